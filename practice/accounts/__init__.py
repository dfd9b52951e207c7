"""The practice's accounts: inviting colleagues, roles, deactivation, passwords and two-step login."""
