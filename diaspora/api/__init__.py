"""The open-data API: read-only JSON under /api/v1/ with its OpenAPI document (issue 11)."""

from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin


def init_app(app: Flask) -> None:
    from diaspora.api.errors import render_status
    from diaspora.api.views import PREFIX, bp
    from diaspora.extensions import csrf
    from diaspora.main.errors import register_json_errors

    app.register_blueprint(bp)
    csrf.exempt(bp)  # read-only: nothing to forge
    app.session_interface = _NoSessionForOpenData()
    register_json_errors(app, PREFIX, render_status)


class _NoSessionForOpenData(SecureCookieSessionInterface):
    """Public, cacheable answers carry no cookie and don't vary by one. Site-wide checks read
    a signed-in member's session on every request (the sanctions' check loads the user), so
    the session is not saved at all under the API's prefix: the answer is the same for
    everyone, and the member's session stays as it was."""

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        from diaspora.api.views import PREFIX

        if request.path.startswith(PREFIX):
            return
        super().save_session(app, session, response)
