"""gunicorn entry point: ``gunicorn monolith.wsgi:app``; configured from the environment."""

from monolith import create_app

app = create_app()
