"""Reproducible performance runs, each measuring its own baseline in the same run (see README.md)."""
