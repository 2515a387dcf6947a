"""`flask create-admin`."""

from __future__ import annotations

import click
from flask import Flask

from diaspora.accounts import service as accounts
from diaspora.errors import DomainError


def register_commands(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--email", prompt=True)
    @click.password_option()
    def create_admin_command(email: str, password: str) -> None:
        """Create the first administrator (or make an existing account one)."""
        try:
            user = accounts.create_admin(email, password)
        except DomainError as error:
            raise click.ClickException(str(error.message)) from error
        click.echo(f"{user.email} is an administrator.")
