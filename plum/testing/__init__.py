"""Test support shared by every test folder (loaded by the root conftest.py); never imported by the app."""
