"""Families ask for a learning licence without an account; distributors answer; holders renew (/licences)."""
