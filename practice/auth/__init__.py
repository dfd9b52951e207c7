"""Logging in and out, and the accounts of the practice."""
