"""Signing in: from the password to the level a service needs (the second step is mfa's)."""
