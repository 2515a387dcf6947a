"""Demo accounts for every role, and demo members (`flask seed-demo`, `flask bootstrap`)."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from diaspora.accounts import service as accounts
from diaspora.accounts.models import AuthorityPlace, Profile, User
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



def seed_demo_accounts(members: int) -> str | None:
    """The demo accounts and `members` demo members, once (None: they are already there)."""
    if accounts.find_by_email(DEMO_ACCOUNTS[0][0]):
        return None
    if not db.session.scalar(select(func.count(Place.id))):
        places.load_gazetteer()
    _create_demo_accounts(members)
    return f"{len(DEMO_ACCOUNTS)} demo accounts and {members} members"


def _place(code: str) -> Place | None:
    return db.session.scalar(select(Place).where(Place.code == code))


def _create_demo_accounts(extra_members: int) -> None:
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
                place_id=home.id, organisation=name, position="Айыл өкмөтүнүн башчысы",
                verified_at=utcnow()))
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


def _first_district(region_code: str) -> Place | None:
    region = _place(region_code)
    if region is None:
        return None
    return db.session.scalar(
        select(Place).where(Place.parent_id == region.id).order_by(Place.code).limit(1)
    )
