"""The accounts blueprint."""
