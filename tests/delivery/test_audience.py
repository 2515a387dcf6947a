"""Audiences, both directions, from one definition (SQLite and PostgreSQL): the members an
item reaches (outbox INSERT ... SELECT) and the items a member sees (the bot's news)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from diaspora.accounts.models import Profile
from diaspora.delivery import service as delivery
from diaspora.delivery.audience import (
    AUDIENCE_KINDS,
    AUTHORITIES,
    COUNTRY,
    EVERYONE,
    HOME,
    RETURNING,
    Audience,
    count_members,
    members,
    visible_to,
)
from diaspora.delivery.models import OutboxMessage
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.news.models import (
    AUDIENCE_COLUMNS,
    NewsAudienceCountry,
    NewsAudiencePlace,
    NewsPost,
)


@pytest.fixture
def people(make_user, here, elsewhere):
    """Members with different homes, countries and plans; authorities; unreachable ones."""
    from diaspora.places.service import add_community

    moderator = make_user("moderator")
    community = add_community(moderator, here, {"en": "Test village"})
    db.session.commit()
    assert community.district_id == here.id and community.region_id == here.region_id
    chats = iter(range(5000, 5100))

    def member(**kwargs):
        plan = kwargs.pop("plan", None)
        user = make_user(telegram_chat_id=next(chats), **kwargs)
        db.session.get(Profile, user.id).return_plan = plan
        return user

    found = {
        "village": member(home=community, country="KZ", plan="later"),
        "district": member(home=here, country="RU"),
        "far": member(home=elsewhere, country="TR", plan="within_year"),
        "nohome": member(home=None, country=None, plan="no"),
        "authority": member(role="authority", places=(here,), home=None, country="KG"),
        "unverified": member(role="authority", places=(here,), verified=False, home=None,
                             country="KG"),
        "blocked": member(home=here, country="KZ"),
        "paused": member(home=here, country="KZ"),
        "no_chat": make_user(home=here, country="KZ"),
    }
    found["blocked"].telegram_blocked_at = utcnow()
    found["paused"].broadcasts_paused = True
    db.session.commit()
    return found, community


def _reached(audience: Audience) -> set[int]:
    return set(db.session.scalars(members(audience)))


def _names(people: dict, ids: set[int]) -> set[str]:
    return {name for name, user in people.items() if user.id in ids}


def test_the_members_an_audience_reaches(people, here, elsewhere):
    people, community = people
    assert _names(people, _reached(Audience(EVERYONE))) == {
        "village", "district", "far", "nohome", "authority", "unverified"}
    region = Audience(HOME, place_ids=(here.region_id,))
    assert _names(people, _reached(region)) == {"village", "district"}
    assert _names(people, _reached(Audience(HOME, place_ids=(here.id,)))) == {
        "village", "district"}
    assert _names(people, _reached(Audience(HOME, place_ids=(community.id,)))) == {"village"}
    assert _names(people, _reached(Audience(HOME, place_ids=(community.id, elsewhere.id)))) == {
        "village", "far"}
    assert _names(people, _reached(Audience(COUNTRY, country_codes=("KZ", "TR")))) == {
        "village", "far"}
    assert _names(people, _reached(Audience(RETURNING))) == {"village", "far"}
    assert _names(people, _reached(Audience(AUTHORITIES, place_ids=(here.id,)))) == {
        "authority"}
    assert _reached(Audience(HOME)) == set()  # no places chosen: nobody, never everybody
    assert count_members(region) == 2


def test_paused_members_still_get_personal_messages(people):
    people, _ = people
    reached = set(db.session.scalars(members(Audience(HOME, place_ids=(people["paused"].profile
                                                                         .home_place_id,)),
                                             broadcast=False)))
    assert people["paused"].id in reached and people["blocked"].id not in reached


def test_a_broadcast_rows_are_the_audience(people, here):
    people, _ = people
    broadcast = delivery.enqueue_broadcast(
        None, subject="t", template="text", params={"text": {"en": "x"}},
        audience=Audience(HOME, place_ids=(here.region_id,)))
    db.session.commit()
    rows = set(db.session.scalars(
        sa.select(OutboxMessage.user_id).where(OutboxMessage.broadcast_id == broadcast.id)))
    assert _names(people, rows) == {"village", "district"} and broadcast.total == 2


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown audience kind"):
        Audience("martians")


def _item(audience: Audience) -> NewsPost:
    post = NewsPost(title={"en": audience.kind}, body={"en": "x"}, status="published",
                    audience=audience.kind)
    post.audience_places = [NewsAudiencePlace(place_id=p) for p in audience.place_ids]
    post.audience_countries = [NewsAudienceCountry(country_code=c)
                               for c in audience.country_codes]
    db.session.add(post)
    return post


def test_the_items_a_member_sees_match_the_members_each_item_reaches(people, here, elsewhere):
    """Both directions agree for every (item, member) pair: one definition."""
    people, community = people
    audiences = {
        "all": Audience(EVERYONE),
        "region": Audience(HOME, place_ids=(here.region_id,)),
        "village": Audience(HOME, place_ids=(community.id,)),
        "far": Audience(HOME, place_ids=(elsewhere.id,)),
        "kz_tr": Audience(COUNTRY, country_codes=("KZ", "TR")),
        "returning": Audience(RETURNING),
        "authorities": Audience(AUTHORITIES, place_ids=(here.id,)),
    }
    assert {a.kind for a in audiences.values()} == set(AUDIENCE_KINDS)
    items = {name: _item(audience) for name, audience in audiences.items()}
    db.session.commit()
    names_of = {post.id: name for name, post in items.items()}

    def sees(user) -> set[str]:
        return {names_of[i] for i in db.session.scalars(
            sa.select(NewsPost.id).where(visible_to(user, AUDIENCE_COLUMNS)))}

    assert sees(people["village"]) == {"all", "region", "village", "kz_tr", "returning"}
    assert sees(people["district"]) == {"all", "region"}
    assert sees(people["far"]) == {"all", "far", "kz_tr", "returning"}
    assert sees(people["nohome"]) == {"all"}
    assert sees(people["authority"]) == {"all", "authorities"}
    assert sees(people["unverified"]) == {"all"}
    assert sees(None) == {"all"}
    for name, audience in audiences.items():
        reached = _reached(audience)
        for person in ("village", "district", "far", "nohome", "authority", "unverified"):
            user = people[person]
            assert (user.id in reached) == (name in sees(user)), (name, person)
