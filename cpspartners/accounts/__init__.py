"""Accounts (/account): register, sign in and out, confirm an email, reset a password, one's profile."""
