"""The partners blueprint."""
