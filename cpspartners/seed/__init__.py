"""Seeding: real Chicago data (``schools``) and a deterministic demo directory (``demo``)."""
