"""equity."""
