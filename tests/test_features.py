"""A feature is its package plus one line in FEATURES: nothing else needs editing."""

from __future__ import annotations

import asyncio
import textwrap

import pytest
import sqlalchemy as sa

import diaspora
from diaspora import create_app, features
from diaspora.delivery import housekeeping
from diaspora.delivery.messages import render_message, template_kinds
from tests.conftest import make_test_config

THROWAWAY = '''
"""A feature written for this test only."""
from flask import Blueprint, Flask
import click

bp = Blueprint("throwaway", __name__, url_prefix="/throwaway")
RAN = []


@bp.get("/")
def index():
    return "a page of the throwaway feature"


def render(params, locale):
    return f"<b>throwaway</b> {params['n']} in {locale}"


def tidy():
    RAN.append("tidied")


def init_app(app: Flask) -> None:
    from diaspora.delivery.housekeeping import register_job
    from diaspora.delivery.messages import register_template

    app.register_blueprint(bp)
    register_template(app, "throwaway", render)
    register_job(app, "throwaway.tidy", tidy)

    @app.cli.command("throwaway-hello")
    def hello():
        click.echo("hello from the throwaway feature")
'''


@pytest.fixture
def throwaway_feature(tmp_path, monkeypatch):
    package = tmp_path / "throwaway"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent(THROWAWAY))
    # The package lives beside the real features, and the list names it: nothing else.
    monkeypatch.setattr(diaspora, "__path__", [*diaspora.__path__, str(tmp_path)])
    monkeypatch.setattr(features, "FEATURES", (*features.FEATURES, "throwaway"))
    yield
    import sys

    sys.modules.pop("diaspora.throwaway", None)


def test_a_feature_in_the_list_gets_its_page_command_template_and_job(
        throwaway_feature, database_url) -> None:
    app = create_app(make_test_config(database_url))

    assert app.test_client().get("/throwaway/").get_data(as_text=True) == (
        "a page of the throwaway feature")
    result = app.test_cli_runner().invoke(args=["throwaway-hello"])
    assert result.exit_code == 0 and "hello from the throwaway feature" in result.output
    assert "throwaway" in template_kinds(app)
    with app.app_context():
        assert render_message("throwaway", {"n": 3}, "ru") == "<b>throwaway</b> 3 in ru"

    jobs = housekeeping.jobs(app)
    names = [job.name for job in jobs]
    # The new feature's job runs after those of the features listed before it.
    assert {"accounts.forget_old_ended_sessions", "news.publish_due"} <= set(names)
    assert names[-1] == "throwaway.tidy"
    from diaspora import throwaway  # type: ignore[attr-defined]

    jobs[-1]()
    assert throwaway.RAN == ["tidied"]


def test_without_the_line_the_feature_is_absent(database_url) -> None:
    app = create_app(make_test_config(database_url))
    assert app.test_client().get("/throwaway/").status_code == 404
    assert "throwaway" not in template_kinds(app)


def test_every_feature_in_the_list_is_plugged_in(app) -> None:
    assert app.extensions["mekendesh.features"] == features.FEATURES
    assert set(app.blueprints) >= {"main", "accounts", "admin", "moderation", "delivery", "news"}
    assert set(template_kinds(app)) == {"news", "text", "survey.invitation", "survey.results",
                                        "project.status", "project.update",
                                        "project.comment", "project.published_here",
                                        "project.supported_status", "notifications.digest",
                                        "moderation.sanction", "moderation.decision",
                                        "authority.decision", "support.step",
                                        "support.authority"}
    assert {"load-places", "create-admin", "news-publish-due", "bootstrap", "seed-demo"} <= set(
        app.cli.list_commands(None))


def test_the_sender_runs_the_registered_jobs(app, monkeypatch) -> None:
    """The sender's housekeeping is what the features registered (news publishes due posts)."""
    from bot import sender

    ran = []
    monkeypatch.setitem(app.extensions, "mekendesh.housekeeping", {})
    housekeeping.register_job(app, "probe", lambda: ran.append("probe"))
    started = asyncio.Event()

    class _Bot:
        async def initialize(self) -> None:
            return None

        async def shutdown(self) -> None:
            return None

    async def run() -> None:
        stop = asyncio.Event()
        worker = sender.Sender(app, _Bot(), housekeeping=housekeeping.jobs(app),
                               housekeeping_interval=0.0, idle_interval=0.01)
        task = asyncio.create_task(worker.run(stop))
        for _ in range(500):
            if ran:
                started.set()
                break
            await asyncio.sleep(0.01)
        stop.set()
        await task

    asyncio.run(run())
    assert started.is_set() and ran[0] == "probe"


def test_a_template_kind_is_claimed_once(app) -> None:
    from diaspora.delivery.messages import register_template

    with pytest.raises(ValueError, match="already registered"):
        register_template(app, "news", lambda params, locale: "")


def test_models_known_through_the_features(app) -> None:
    """No hand-kept list: every table the migrations create belongs to a feature's model."""
    with app.app_context():
        from diaspora.extensions import db
        from diaspora.projects.search import is_search_table

        # The SQLite full-text tables are the search's index, made with projects (search.py).
        migrated = {name for name in sa.inspect(db.engine).get_table_names()
                    if name != "alembic_version" and not is_search_table(name)}
        assert migrated == set(db.metadata.tables)
