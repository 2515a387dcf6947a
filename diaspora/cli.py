"""`flask` commands: create-admin, seed-demo, load-places."""

from __future__ import annotations

import os
import random

import click
from flask import Flask
from sqlalchemy import func, select

from diaspora.accounts import service as accounts
from diaspora.accounts.models import AuthorityPlace, Profile, User
from diaspora.accounts.permissions import can
from diaspora.errors import DomainError
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.places import service as places
from diaspora.places.models import Place

# Published in the README on purpose: demo data is for trying every role on a laptop.
DEMO_ACCOUNTS = [
    ("admin@demo.mekendesh.kg", "admin", "Demo-admin-2026", "Айгүл Админ"),
    ("moderator@demo.mekendesh.kg", "moderator", "Demo-moderator-2026", "Нурлан (IOM)"),
    ("authority@demo.mekendesh.kg", "authority", "Demo-authority-2026", "Кочкор айыл өкмөтү"),
    ("authority.osh@demo.mekendesh.kg", "authority", "Demo-authority-2026", "Алай району"),
    ("member@demo.mekendesh.kg", "member", "Demo-member-2026", "Бакыт"),
]
DEMO_COUNTRIES = ["RU", "RU", "RU", "RU", "KZ", "KZ", "TR", "KR", "US", "AE", "DE", "GB"]
DEMO_CITIES = {"RU": ["Москва", "Санкт-Петербург", "Екатеринбург", "Новосибирск"],
               "KZ": ["Алматы", "Астана"], "TR": ["Istanbul"], "KR": ["Seoul", "Ansan"],
               "US": ["Chicago", "New York"], "AE": ["Dubai"], "DE": ["Berlin"], "GB": ["London"]}


def register_commands(app: Flask) -> None:
    @app.cli.command("bootstrap")
    @click.option("--announce", is_flag=True, help="Say where the site is served, and the bot.")
    def bootstrap_command(announce: bool) -> None:
        """Migrate the database, load the gazetteer, and add demo data the first time."""
        from flask_migrate import upgrade

        upgrade()
        places.load_gazetteer()
        # Demo data goes into a new, empty database only: the database itself remembers.
        if db.session.scalar(select(User.id).limit(1)) is None:
            seed_demo()
            click.echo("Demo accounts created (see README, \"Demo accounts\").")
        if announce:
            _say_how_to_start_the_bot(app)

    @app.cli.command("load-places")
    def load_places_command() -> None:
        """Load or refresh the gazetteer of Kyrgyzstan (safe to run again)."""
        counts = places.load_gazetteer()
        total = db.session.scalar(select(func.count(Place.id)))
        click.echo(f"Gazetteer: {counts['created']} created, {counts['updated']} updated, "
                   f"{total} places in all.")

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

    @app.cli.command("seed-demo")
    @click.option("--members", default=40, show_default=True, help="Extra demo members.")
    def seed_demo_command(members: int) -> None:
        """Create demo accounts for every role, once (does nothing when they exist)."""
        if accounts.find_by_email(DEMO_ACCOUNTS[0][0]):
            click.echo("Demo data is already there; nothing to do.")
            return
        if not db.session.scalar(select(func.count(Place.id))):
            places.load_gazetteer()
        seed_demo(members)
        click.echo(f"Demo data created: {len(DEMO_ACCOUNTS)} accounts and {members} members.")

    @app.cli.command("news-publish-due")
    def news_publish_due_command() -> None:
        """Publish the scheduled news posts whose time has come (the sender does it too)."""
        from diaspora.news.service import publish_due_posts

        click.echo(f"{publish_due_posts()} scheduled post(s) published.")


def _place(code: str) -> Place | None:
    return db.session.scalar(select(Place).where(Place.code == code))


def seed_demo(extra_members: int = 40) -> None:
    rng = random.Random(2026)  # the same demo data on every machine
    districts = list(db.session.scalars(select(Place).where(Place.level >= 2)))
    home_of = {
        "authority@demo.mekendesh.kg": _first_district("KG-N"),
        "authority.osh@demo.mekendesh.kg": _first_district("KG-O"),
    }
    for email, role, password, name in DEMO_ACCOUNTS:
        user = User(email=email, role=role, locale="ky")
        user.set_password(password)
        accounts.accept_privacy(user)
        home = home_of.get(email) or rng.choice(districts)
        user.profile = Profile(display_name=name, country_code="KG" if role != "member" else "RU",
                               city="Москва" if role == "member" else None,
                               home_place_id=home.id if home else None,
                               return_plan="later" if role == "member" else None,
                               remittances="regularly" if role == "member" else None,
                               wants_to_invest=role == "member",
                               interest_sectors=["education", "water"] if role == "member" else [])
        db.session.add(user)
        if role == "authority" and home is not None:
            user.authority_places.append(AuthorityPlace(
                place_id=home.id, organisation=name, verified_at=utcnow()))
    for n in range(extra_members):
        country = rng.choice(DEMO_COUNTRIES)
        user = User(role="member", locale=rng.choice(["ky", "ky", "ru", "en"]))
        accounts.accept_privacy(user)
        user.profile = Profile(
            display_name=f"Demo {n + 1}",
            country_code=country,
            city=rng.choice(DEMO_CITIES[country]),
            home_place_id=rng.choice(districts).id,
            years_abroad=rng.randint(0, 15),
            return_plan=rng.choice(["within_year", "later", "undecided", "no"]),
            remittances=rng.choice(["regularly", "sometimes", "no"]),
            wants_to_invest=rng.random() < 0.4,
            interest_sectors=rng.sample(["agriculture", "education", "health", "water", "it"], 2),
        )
        db.session.add(user)
    db.session.commit()
    _seed_demo_news()


def _seed_demo_news() -> None:
    """Two published posts (one programme-wide, one from the demo authority), one draft."""
    from diaspora.news import service as news

    moderator = accounts.find_by_email(DEMO_ACCOUNTS[1][0])
    authority = accounts.find_by_email(DEMO_ACCOUNTS[2][0])
    if moderator is None:
        return
    post = news.save_post(moderator, tags=["migration", "official"], title={
        "ky": "Чет өлкөдөгү мекендештер үчүн жаңы платформа",
        "ru": "Новая платформа для соотечественников за рубежом",
        "en": "A new platform for compatriots abroad",
    }, body={
        "ky": "**Мекендеш** — жаңылыктар, сурамжылоолор жана айылыңыздын долбоорлору.",
        "ru": "**Мекендеш** — новости, опросы и проекты вашего родного села.",
        "en": "**Mekendesh** brings news, surveys and projects of your home community.",
    })
    news.publish(moderator, post)
    if authority is not None and can(authority, "news.create"):
        local = news.save_post(authority, audience="home", tags=["community"], title={
            "ky": "Айылда жаңы мектеп курулууда",
            "ru": "В селе строится новая школа",
        }, body={
            "ky": "Курулуш жазда башталды. Колдоо көрсөткүңүз келсе, биз менен байланышыңыз.",
            "ru": "Стройка началась весной. Если хотите помочь, свяжитесь с нами.",
        })
        news.publish(authority, local)
    news.save_post(moderator, title={"en": "Draft: survey results"},
                   body={"en": "To be written."})


def _first_district(region_code: str) -> Place | None:
    region = _place(region_code)
    if region is None:
        return None
    return db.session.scalar(
        select(Place).where(Place.parent_id == region.id).order_by(Place.code).limit(1)
    )


def _host_port() -> str:
    return f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"


def _say_how_to_start_the_bot(app: Flask) -> None:
    if app.config.get("TELEGRAM_BOT_TOKEN"):
        click.echo("Telegram bot: run `make bot` in another terminal to start it.")
    else:
        click.echo(
            "Telegram bot: not started (no TELEGRAM_BOT_TOKEN). Set "
            "TELEGRAM_BOT_TOKEN and run `make bot` in another terminal."
        )
    click.echo(f"Serving Mekendesh on http://{_host_port()}")
