"""The public directory: opportunities, partners, schools and community areas."""
