"""Entry point for gunicorn: ``gunicorn wsgi:app``."""

from cpspartners import create_app

app = create_app()
