"""Searching projects: Kyrgyz, Russian and English words in any case, prefixes, phrases and
OR; hostile queries answered, never a server error; search with the filters, the sorts and
the pages. Every test runs on SQLite (FTS5) and, with TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.projects import search, service
from diaspora.projects.models import Project
from diaspora.projects.service import ProjectDraft, ProjectFilters


def _published(proposer, place, moderator, title: str, summary: str = "Долбоор",
               **fields) -> Project:
    project = service.save_project(proposer, ProjectDraft(
        place_id=place.id, title=title, summary=summary, **fields))
    service.transition(proposer, project, "submit")
    service.transition(moderator, project, "publish")
    return project


@pytest.fixture
def library(make_user, here, elsewhere) -> dict[str, Project]:
    """Projects in the three languages, two places and two sectors."""
    moderator = make_user("moderator")
    made = {}
    for key, place, title, summary, sector in (
        ("school", here, "Мектепке жаңы ЧАТЫР", "Айылдын мектеби үчүн", "education"),
        ("bridge", elsewhere, "Көпүрө куруу", "Өзөн аркылуу өтүүчү көпүрө", "roads"),
        ("water", here, "Чистая вода для школы", "Водопровод в селе", "water"),
        ("clinic", elsewhere, "A new CLINIC roof", "Health post for the village", "health"),
        ("nurse", here, "Ңөү letters: ҢӨҮ", "Kyrgyz letters, upper case", "health"),
        ("phrase", here, "Суу таза эмес", "Айылда", "water"),
    ):
        made[key] = _published(make_user(), place, moderator, title, summary, sector=sector)
    return made


def _found(query: str, **filters) -> list[int]:
    return [p.id for p in service.list_public(ProjectFilters(query=query, **filters)).items]


def test_words_are_cut_and_folded_the_same_for_every_language() -> None:
    assert search.words("Жол-көпүрө! ҢӨҮ, Школа; CAFÉ_bar ﬁne") == [
        "жол", "көпүрө", "ңөү", "школа", "café", "bar", "fine"]
    assert search.search_text_of("Таза СУУ", "Мектепке") == "таза суу мектепке"


def test_a_query_is_rebuilt_from_its_words_alone() -> None:
    parsed = search.parse('таза "суу түтүгү" OR school & a')
    assert parsed == [[["таза"], ["суу", "түтүгү"]], [["school"], ["a"]]]
    assert search.to_tsquery_text(parsed) == (
        "(('таза':*) & ('суу':* <-> 'түтүгү':*)) | (('school':*) & ('a'))")
    assert search.to_fts5_match(parsed) == (
        '(("таза"*) AND ("суу"* + "түтүгү"*)) OR (("school"*) AND ("a"))')
    for hostile in ('"', "''", "*", "OR", "OR OR", "& | ! <->", "(", ":*", "\\", "\x00"):
        assert search.parse(hostile) == [], hostile
    assert sum(len(p) for g in search.parse("сөз " * 500) for p in g) == search.MAX_WORDS
    assert all(len(w) <= search.MAX_WORD for g in search.parse("ж" * 5000) for p in g
               for w in p)


def test_kyrgyz_russian_and_english_in_any_case(library) -> None:
    assert _found("мектепке") == [library["school"].id]
    assert _found("ЧАТЫР") == [library["school"].id]
    assert _found("чатыр мектеп") == [library["school"].id]  # every word, any order
    assert _found("көпүрө") == [library["bridge"].id]
    assert _found("КӨПҮРӨ") == [library["bridge"].id]
    assert _found("ңөү") == [library["nurse"].id]  # Kyrgyz letters fold both ways
    assert _found("ҢӨҮ") == [library["nurse"].id]
    assert _found("ВОДА") == [library["water"].id]
    assert _found("водопровод") == [library["water"].id]  # the summary too
    assert _found("clinic") == [library["clinic"].id]
    assert _found("Village") == [library["clinic"].id]
    assert _found("вода мектеп") == []  # both words must occur
    assert _found("nothing-like-this") == []


def test_words_match_as_prefixes_but_single_letters_exactly(library) -> None:
    assert _found("мектеп") == [library["school"].id]  # мектепке, мектеби
    assert _found("школ") == [library["water"].id]  # школы
    assert _found("heal") == sorted([library["clinic"].id])
    assert _found("с") == []  # one letter: only the word "с" itself
    assert _found("ектеп") == []  # a prefix, not any substring


def test_quoted_words_must_follow_each_other_and_or_gives_alternatives(library) -> None:
    assert _found('"таза эмес"') == [library["phrase"].id]
    assert _found('"эмес таза"') == []
    assert set(_found("көпүрө OR clinic")) == {library["bridge"].id, library["clinic"].id}
    assert _found("көпүрө or clinic") == []  # lower-case "or" is a word to find


HOSTILE = ['"', "'", "*", "&", "|", "!", "OR", "AND", "NOT", "NEAR(a b)", "a:*", "a & b",
           '"unclosed', "мектеп*", "title:мектеп", "(", ")", "^", "-мектеп", "\\", "'; DROP",
           "%", "_", "<->", "мектеп OR", "OR мектеп", "ж" * 3000, "сөз " * 300, "\u0301",
           "🚀", "\u200b", "１２３"]


def test_hostile_queries_are_answered_not_errors(app, library) -> None:
    for query in HOSTILE:
        service.list_public(ProjectFilters(query=query))  # raises nothing
    assert _found("мектеп*") == [library["school"].id]  # the * only separates
    assert _found("-мектеп") == [library["school"].id]
    client = app.test_client()
    for query in HOSTILE:
        response = client.get(f"/projects/?q={quote(query)}&page=2")
        assert response.status_code == 200, query
    assert client.get(f"/projects/?q={quote('мектеп' + chr(0))}").status_code == 400


def test_search_combines_with_filters_and_sorts(app, make_user, library, here,
                                                elsewhere) -> None:
    assert _found("суу", region_id=here.region_id) == [library["phrase"].id]
    assert _found("health", sector="health") == [library["clinic"].id]
    assert _found("letters OR roof", district_id=here.id) == [library["nurse"].id]
    assert _found("roof", region_id=here.region_id) == []
    assert _found("көпүрө", status="accepted") == []
    authority = make_user("authority", places=(elsewhere,))
    service.transition(authority, library["bridge"], "accept", note="Yes")
    assert _found("көпүрө", status="accepted") == [library["bridge"].id]
    assert _found("көпүрө", sort="waiting") == []  # answered: no longer waiting
    service.support(make_user(), library["nurse"])
    assert _found("health OR letters", sort="supported") == [library["nurse"].id,
                                                             library["clinic"].id]
    assert _found("health OR letters") == [library["nurse"].id, library["clinic"].id]
    page = app.test_client().get(f"/projects/?q={quote('Көпүрө')}&region={elsewhere.region_id}")
    html = page.get_data(as_text=True)
    assert re.findall(r'class="project-title"><a [^>]*>([^<]+)</a>', html) == ["Көпүрө куруу"]


def test_an_edited_title_is_found_by_its_new_words_only(make_user, here) -> None:
    moderator, proposer = make_user("moderator"), make_user()
    project = service.save_project(proposer, ProjectDraft(place_id=here.id, title="Эски ат",
                                                          summary="Кыскача"))
    service.save_project(proposer, ProjectDraft(place_id=here.id, title="Жаңы аталыш",
                                                summary="Кыскача"), project)
    service.transition(proposer, project, "submit")
    service.transition(moderator, project, "publish")
    assert _found("эски") == []
    assert _found("аталыш") == [project.id]
    db.session.delete(project)
    db.session.commit()
    assert _found("аталыш") == []


def test_pages_of_a_search_and_a_capped_count(app, make_user, here, monkeypatch) -> None:
    moderator = make_user("moderator")
    ids = [_published(make_user(), here, moderator, f"Жол {n}", "Айыл жолу").id
           for n in range(7)]
    _published(make_user(), here, moderator, "Башка", "Суу")
    newest = list(reversed(ids))
    pages = [service.list_public(ProjectFilters(query="жол"), page, per_page=3)
             for page in (1, 2, 3)]
    assert [[p.id for p in page.items] for page in pages] == [newest[:3], newest[3:6],
                                                              newest[6:]]
    assert [(p.total, p.total_exact, p.pages, p.has_next) for p in pages] == [
        (7, True, 3, True), (7, True, 3, True), (7, True, 3, False)]
    far = service.list_public(ProjectFilters(query="жол"), 500, per_page=3)
    assert far.items == [] and not far.has_next
    # Past the counting window the page says "more than", and still walks on.
    monkeypatch.setattr(service, "COUNT_WINDOW", 1)
    first = service.list_public(ProjectFilters(query="жол"), 1, per_page=2)
    assert (first.total, first.total_exact, first.has_next) == (3, False, True)
    client = app.test_client()
    html = client.get("/projects/?q=жол&lang=en").get_data(as_text=True)
    assert "7 projects found" in html  # 20 a page: the window reaches past 7
    monkeypatch.setattr(service, "PER_PAGE", 2)
    monkeypatch.setattr(service.list_public, "__defaults__", (2,))
    html = client.get("/projects/?q=жол&lang=en&page=2").get_data(as_text=True)
    assert "more than 5 projects found" in html and "Page 2<" in html
    assert "page=3" in html and "page=1" in html
    assert "No projects match" in client.get("/projects/?page=4999&lang=en").get_data(
        as_text=True)


def test_the_search_index_exists_on_this_database(app) -> None:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            plan = "\n".join(db.session.scalars(sa.text(
                "EXPLAIN SELECT id FROM projects WHERE to_tsvector('simple'::regconfig, "
                "search_text) @@ to_tsquery('simple'::regconfig, 'x') ")))
            assert "ix_projects_search" in plan or "Seq Scan" in plan
            assert db.session.scalar(sa.text(
                "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_projects_search'")) == 1
        else:
            assert db.session.scalar(sa.text(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'projects_fts_%'")) == 3


def test_cards_show_the_budget_total_read_with_the_list(app, make_user, here) -> None:
    moderator = make_user("moderator")
    _published(make_user(), here, moderator, "Lines", budget_items=[("Pump", "120000"),
                                                                     ("Pipes", "30000")])
    _published(make_user(), here, moderator, "Estimate", budget_som="75000")
    _published(make_user(), here, moderator, "Nothing")
    html = app.test_client().get(f"/projects/place/{here.id}?lang=en").get_data(as_text=True)
    cards = dict(re.findall(r'>(Lines|Estimate|Nothing)</a>.*?project-facts">(.*?)</p>', html,
                            re.S))
    assert "150,000" in cards["Lines"] and "75,000" in cards["Estimate"]
    assert "som" not in cards["Nothing"].lower()
