"""My record: a student sees their experiences, hours and credentials, and shares them by a link."""
