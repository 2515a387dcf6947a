"""The home village typed beside the aiyl aimak (web profile) and the moderators' action
that makes a village many members typed a place of the gazetteer."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from diaspora.accounts import service as accounts
from diaspora.errors import PermissionDenied, ValidationError
from diaspora.extensions import db
from diaspora.moderation.models import AuditEntry
from diaspora.places import service
from diaspora.places.models import Place
from tests.conftest import login, place_by_code


def _profile_form(home: Place, village: str) -> dict:
    return {"home_place_id": str(home.id), "country_code": "RU", "home_village": village,
            "locale": "en"}


def test_web_profile_takes_the_village_validated_and_escaped(client, make_user) -> None:
    home = place_by_code("KG-N-kochkor-ormon-khan")
    member = make_user("member", home=home)
    login(client, member)
    response = client.post("/account/profile?lang=en", data=_profile_form(home, "  Кош-Дөбө  "))
    assert response.status_code == 302
    db.session.expire_all()
    assert member.profile.home_village == "Кош-Дөбө"
    page = client.get("/account?lang=en").get_data(as_text=True)
    assert "Кош-Дөбө" in page
    for bad, reason in (("12345", "must contain letters"), ("<script>x</script>", "letters,"),
                        ("Ак" * 41, "too long")):
        page = client.post("/account/profile?lang=en", data=_profile_form(home, bad))
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and reason in text
        assert "<script>x" not in text
    db.session.expire_all()
    assert member.profile.home_village == "Кош-Дөбө"
    # empty clears it: the village is optional
    client.post("/account/profile?lang=en", data=_profile_form(home, ""))
    db.session.expire_all()
    assert member.profile.home_village is None


def test_clean_village() -> None:
    assert accounts.clean_village("  Жаңы   Айыл ") == "Жаңы Айыл"
    assert accounts.clean_village("") is None
    with pytest.raises(ValidationError):
        accounts.clean_village("", required=True)
    with pytest.raises(ValidationError):
        accounts.clean_village("http://x.example/a")


def _typed(make_user, home: Place, village: str):
    user = make_user("member", home=home)
    accounts.update_profile(user, user, home_village=village)
    return user


def test_villages_typed_are_counted_per_district_and_promoted(ctx, make_user) -> None:
    kochkor = place_by_code("KG-N-kochkor")
    in_kochkor = place_by_code("KG-N-kochkor-ormon-khan")
    first = _typed(make_user, in_kochkor, "Кара-Таш")
    second = _typed(make_user, kochkor, "кара-таш ")
    third = _typed(make_user, in_kochkor, "Кара Таш")
    elsewhere = _typed(make_user, place_by_code("KG-O-alay"), "Кара-Таш")
    _typed(make_user, place_by_code("KG-N"), "Кара-Таш")  # a region only: no district
    listed = {(v.district.code, v.key): v.members for v in service.typed_villages()}
    assert listed == {("KG-N-kochkor", "кара таш"): 3, ("KG-O-alay", "кара таш"): 1}

    with pytest.raises(PermissionDenied):
        service.promote_village(make_user("member"), kochkor, "Кара-Таш", {"ky": "Кара-Таш"})
    with pytest.raises(PermissionDenied):
        service.promote_village(make_user("authority", places=(kochkor,)), kochkor, "Кара-Таш",
                                {"ky": "Кара-Таш"})
    moderator = make_user("moderator")
    with pytest.raises(ValidationError):
        service.promote_village(moderator, place_by_code("KG-N"), "Кара-Таш", {"ky": "X"})
    place, moved = service.promote_village(
        moderator, kochkor, "Кара-Таш", {"ky": "Кара-Таш айылы", "ru": "Село Кара-Таш"})
    assert moved == 3
    assert place.level == 3 and place.district_id == kochkor.id and place.added_by_id
    db.session.expire_all()
    assert {u.profile.home_place_id for u in (first, second, third)} == {place.id}
    assert elsewhere.profile.home_place_id == place_by_code("KG-O-alay").id
    entry = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "place.promote_village"))
    assert entry.actor_id == moderator.id and entry.after["members_moved"] == 3
    # a reload leaves the promoted village in place
    assert service.load_gazetteer() == {"created": 0, "updated": 0}
    assert db.session.get(Place, place.id) is not None


@pytest.mark.parametrize(("role", "status"), [("member", 403), ("authority", 403),
                                              ("moderator", 302), ("admin", 302)])
def test_promote_page_by_role(client, make_user, role, status) -> None:
    kochkor = place_by_code("KG-N-kochkor")
    _typed(make_user, kochkor, 'Жаңы "Конуш" & Co')
    login(client, make_user(role))
    listing = client.get("/moderation/villages?lang=en")
    assert listing.status_code == (200 if status == 302 else 403)
    if status == 302:
        text = listing.get_data(as_text=True)
        assert "Жаңы &#34;Конуш&#34; &amp; Co" in text and '"Конуш" & Co' not in text
    response = client.post("/moderation/villages/promote?lang=en", data={
        "district_id": str(kochkor.id), "village": 'Жаңы "Конуш" & Co', "name_ky": "Жаңы-Конуш"})
    assert response.status_code == status
    created = db.session.scalar(sa.select(Place).where(Place.parent_id == kochkor.id,
                                                       Place.added_by_id.is_not(None)))
    assert (created is not None) == (status == 302)
