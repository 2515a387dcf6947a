"""`flask create-admin` and `flask reset-two-factor`."""

from __future__ import annotations

import click
from flask import Flask

from diaspora.accounts import service as accounts
from diaspora.accounts import two_factor
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

    @app.cli.command("reset-two-factor")
    @click.option("--email", prompt=True)
    def reset_two_factor_command(email: str) -> None:
        """Remove a staff member's authenticator and recovery codes and end their sessions:
        they enrol again at their next sign-in."""
        user = accounts.find_by_email(email)
        if user is None:
            raise click.ClickException(f"No account has the email {email}.")
        try:
            two_factor.reset_at_console(user)
        except DomainError as error:
            raise click.ClickException(str(error.message)) from error
        click.echo(f"{user.email}: authenticator and recovery codes removed, every session "
                   "ended. They set up two-factor sign-in again at their next sign-in.")
