"""The specialists blueprint."""
