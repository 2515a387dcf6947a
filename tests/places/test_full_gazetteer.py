"""The whole map down to every aiyl aimak: counts against the source, SOATE codes, former
names found by search (web and service), renames, and a reload that keeps ids."""

from __future__ import annotations

import json
import re
from pathlib import Path

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.places import service
from diaspora.places.models import Place
from tests.conftest import login, place_by_code

# Aiyl aimaks and towns of district significance per district, as the source lists them
# (the State Tax Service list of SOATE units before the 2023-2024 merger).
SOURCE_DISTRICTS = {
    "KG-B-batken": (9, 0), "KG-B-kadamjay": (13, 2), "KG-B-leilek": (9, 1),
    "KG-C-alamudun": (17, 0), "KG-C-chuy": (10, 0), "KG-C-jayyl": (12, 0),
    "KG-C-kemin": (11, 2), "KG-C-moskva": (12, 0), "KG-C-panfilov": (6, 1),
    "KG-C-sokuluk": (19, 1), "KG-C-ysyk-ata": (18, 0), "KG-J-aksy": (11, 1),
    "KG-J-ala-buka": (8, 0), "KG-J-bazar-korgon": (9, 0), "KG-J-chatkal": (4, 0),
    "KG-J-nooken": (8, 1), "KG-J-suzak": (13, 1), "KG-J-toguz-toro": (5, 0),
    "KG-J-toktogul": (10, 1), "KG-N-ak-talaa": (13, 0), "KG-N-at-bashy": (11, 0),
    "KG-N-jumgal": (13, 0), "KG-N-kochkor": (11, 0), "KG-N-naryn": (15, 0),
    "KG-O-alay": (14, 0), "KG-O-aravan": (8, 0), "KG-O-chong-alay": (3, 0),
    "KG-O-kara-kulja": (12, 0), "KG-O-kara-suu": (16, 1), "KG-O-nookat": (16, 1),
    "KG-O-ozgon": (19, 1), "KG-T-aitmatov": (10, 0), "KG-T-bakay-ata": (9, 0),
    "KG-T-manas": (5, 0), "KG-T-talas": (13, 0), "KG-Y-ak-suu": (14, 0),
    "KG-Y-issyk-kul": (12, 1), "KG-Y-jeti-oguz": (13, 0), "KG-Y-tong": (9, 0),
    "KG-Y-tup": (13, 0),
}
SOURCE_REGIONS = {"KG-B": 31, "KG-C": 105, "KG-J": 68, "KG-N": 63, "KG-O": 88, "KG-T": 37,
                  "KG-Y": 61}


def _coded_below(district: Place) -> list[Place]:
    return list(db.session.scalars(sa.select(Place).where(
        Place.parent_id == district.id, Place.soate.is_not(None), Place.added_by_id.is_(None))))


def test_every_district_has_its_aiyl_aimaks_and_towns_as_the_source_counts(ctx) -> None:
    for code, (aimaks, towns) in SOURCE_DISTRICTS.items():
        below = _coded_below(place_by_code(code))
        assert sum(p.kind == "community" for p in below) == aimaks, code
        assert sum(p.kind == "town" for p in below) == towns, code
    per_region = {}
    for code in SOURCE_DISTRICTS:
        region = code[: code.index("-", 3)]
        per_region[region] = per_region.get(region, 0) + SOURCE_DISTRICTS[code][0]
    assert per_region == SOURCE_REGIONS
    assert sum(SOURCE_REGIONS.values()) == 453  # the NSC counted 452 before the merger
    rural = db.session.scalars(sa.select(Place).where(Place.kind == "district")).all()
    assert len([d for d in rural if not d.code.startswith("KG-GB")]) == 40


def test_soate_codes_nest_in_their_district(ctx) -> None:
    for code in SOURCE_DISTRICTS:
        district = place_by_code(code)
        assert re.fullmatch(r"417\d{5}000000", district.soate), code
        for place in _coded_below(district):
            assert re.fullmatch(r"\d{14}", place.soate)
            assert place.soate[:8] == district.soate[:8], place.code
            assert place.district_id == district.id and place.region_id == district.region_id
    assert place_by_code("KG-N").soate == "41704000000000"
    assert place_by_code("KG-GB").soate == "41711000000000"


def test_the_data_file_names_its_sources_and_each_districts_state(ctx) -> None:
    data = json.loads(service.GAZETTEER_FILE.read_text(encoding="utf-8"))
    about = data["about"]
    assert "СОАТЕ" in about["classifier"] and len(about["sources"]) >= 3
    assert all(s.get("source") for s in about["sources"])
    states = {d["code"]: d["state"] for r in data["regions"] for d in r.get("districts", [])}
    assert {states[code] for code in SOURCE_DISTRICTS} <= set(about["states"])


def test_kyrgyz_names_use_kyrgyz_letters_and_words(ctx) -> None:
    assert place_by_code("KG-J-aksy-jangy-jol").name == {
        "ky": "Жаңы-Жол айыл аймагы", "ru": "Джаны-Джольский айылный аймак",
        "en": "Jangy-Jol Aiyl Aimak"}
    assert place_by_code("KG-J-aksy-kerben").name["ky"] == "Кербен шаары"
    communities = db.session.scalars(sa.select(Place).where(Place.level == 3)).all()
    assert all(p.name["ky"].endswith(("айыл аймагы", "шаары")) for p in communities
               if p.soate), "a Kyrgyz name in Russian form"


def test_fixed_spellings(ctx) -> None:
    assert place_by_code("KG-Y-balykchy").name["ru"] == "Город Балыкчи"
    assert place_by_code("KG-GB-birinchi-mai").name["ky"] == "Биринчи май району"
    ormon = place_by_code("KG-N-kochkor-ormon-khan").name
    assert "Ормон-Хан" in ormon["ky"] and "Ормон-Хан" in ormon["ru"]
    assert ormon["en"] == "Ormon-Khan Aiyl Aimak"


def test_renamed_places_show_their_former_name(ctx) -> None:
    manas = place_by_code("KG-J-manas")
    assert manas.display_name("ky") == "Манас шаары (мурдагы Жалал-Абад)"
    assert manas.display_name("ru") == "Город Манас (бывш. Джалал-Абад)"
    assert manas.display_name("en") == "Manas City (formerly Jalal-Abad)"
    kojomkul = place_by_code("KG-C-sokuluk-kojomkul")
    assert "(мурдагы Военно-Антоновка)" in kojomkul.full_name("ky")


def _found(text: str) -> list[str]:
    return [p.code for p in service.search_places(text)]


def test_search_finds_former_names_in_any_language(ctx) -> None:
    assert _found("Военно-Антоновка")[0] == "KG-C-sokuluk-kojomkul"
    assert _found("voenno-antonovka")[0] == "KG-C-sokuluk-kojomkul"
    assert _found("Jergetal")[0] == "KG-N-naryn-esenaly-dairakunov" or (
        "KG-N-naryn-esenaly-dairakunov" in _found("Jergetal"))
    assert "KG-N-kochkor-ormon-khan" in _found("Кош-Дөбө")
    assert "KG-N-kochkor-ormon-khan" in _found("Кош-Дебе")
    assert "KG-J-manas" in _found("Жалал-Абад")
    assert "KG-J-manas" in _found("Jalal-Abad")
    assert "KG-B-kadamjay-airybaz" in _found("Марказ")
    # Kyrgyz and Russian spellings meet; a new name is found as well
    assert "KG-C-alamudun-kok-jar" in _found("Кок-Джар")
    assert _found("Кожомкул")[0] == "KG-C-sokuluk-kojomkul"
    assert _found("") == [] and _found("a") == [] and _found("<script>") == []


def test_profile_page_finds_a_place_by_its_former_name(client, make_user) -> None:
    login(client, make_user("member", locale="ky"))
    page = client.get("/account/profile?find=Военно-Антоновка&lang=ky").get_data(as_text=True)
    assert "Кожомкул айыл аймагы (мурдагы Военно-Антоновка)" in page
    assert "Жайыл району" not in page  # the list narrowed to what was found
    nothing = client.get("/account/profile?find=Qwertyz&lang=en").get_data(as_text=True)
    assert "No place called “Qwertyz” was found" in nothing
    hostile = client.get("/account/profile?find=<b>x</b>&lang=en").get_data(as_text=True)
    assert "<b>x</b>" not in hostile


def test_reload_keeps_ids_profiles_and_moderator_places(ctx, make_user, tmp_path: Path) -> None:
    before = {p.code: p.id for p in db.session.scalars(sa.select(Place))}
    kojomkul = place_by_code("KG-C-sokuluk-kojomkul")
    member = make_user("member", home=kojomkul)
    added = service.add_community(make_user("moderator"), place_by_code("KG-C-sokuluk"),
                                  {"ky": "Жаңы-Конуш"})
    # A later edition renames the aiyl aimak and gives it a new code: found by SOATE code.
    data = json.loads(service.GAZETTEER_FILE.read_text(encoding="utf-8"))
    for region in data["regions"]:
        for district in region.get("districts", []):
            for node in district.get("communities", []):
                if node["code"] == "KG-C-sokuluk-kojomkul":
                    node["code"] = "KG-C-sokuluk-kojomkul-renamed"
                    node["name"] = {**node["name"], "en": "Kojomkul (new edition)"}
    edited = tmp_path / "gazetteer.json"
    edited.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    try:
        counts = service.load_gazetteer(edited)
        assert counts == {"created": 0, "updated": 1}
        db.session.expire_all()
        renamed = db.session.get(Place, kojomkul.id)
        assert renamed.code == "KG-C-sokuluk-kojomkul-renamed"
        assert renamed.name["en"] == "Kojomkul (new edition)"
        assert db.session.get(Place, added.id) is not None
        assert member.profile.home_place_id == kojomkul.id
    finally:
        assert service.load_gazetteer() == {"created": 0, "updated": 1}
    after = {p.code: p.id for p in db.session.scalars(sa.select(Place))
             if p.added_by_id is None}
    assert after == before


def test_load_places_command_reports_places_per_level(app) -> None:
    result = app.test_cli_runner().invoke(args=["load-places"])
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated" in result.output
    assert "level 3 community: 457" in result.output and "level 3 town: 15" in result.output
