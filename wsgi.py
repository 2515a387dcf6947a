"""WSGI entry point: `gunicorn wsgi:app`."""

from diaspora import create_app

app = create_app()
