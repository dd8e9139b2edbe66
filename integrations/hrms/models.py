"""HRMS connections and their runs."""
