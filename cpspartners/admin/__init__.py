"""Administration (/admin): people's roles, approving pending accounts, switching accounts off."""
