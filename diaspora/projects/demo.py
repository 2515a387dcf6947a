"""Demo projects (`flask seed-demo`, `flask bootstrap`): a few proposals in different states,
so every page of the projects feature has something to show."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from diaspora.accounts import service as accounts
from diaspora.accounts.demo import DEMO_ACCOUNTS
from diaspora.accounts.models import User
from diaspora.accounts.permissions import verified_places
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.places.models import Place
from diaspora.projects import service as projects
from diaspora.projects.models import Project
from diaspora.projects.service import Intention, ProjectDraft


def _community_in(district: Place) -> Place:
    """The first community of the district (the district itself if it has none)."""
    return db.session.scalar(select(Place).where(Place.parent_id == district.id)
                             .order_by(Place.code).limit(1)) or district


def _backdate(project: Project, days: int) -> None:
    """Make a published proposal look as if it had waited `days` days (for the queue), its
    timeline too."""
    when = utcnow() - timedelta(days=days)
    project.published_at = when
    project.submitted_at = when - timedelta(days=1)
    for event in project.events:
        event.created_at = {"create": when - timedelta(days=2),
                            "submit": project.submitted_at}.get(event.action, when)
    db.session.commit()


def seed_demo_projects(members: int) -> str | None:
    """Six projects beside the demo accounts, once (None: nothing added)."""
    member = accounts.find_by_email(DEMO_ACCOUNTS[4][0])
    moderator = accounts.find_by_email(DEMO_ACCOUNTS[1][0])
    authority = accounts.find_by_email(DEMO_ACCOUNTS[2][0])
    if member is None or moderator is None or authority is None or db.session.scalar(
            select(Project.id).where(Project.proposer_id == member.id).limit(1)):
        return None
    own = verified_places(authority)
    if not own:
        return None
    district = own[0]
    village = _community_in(district)

    def propose(title: str, summary: str, description: str, sector: str, items: list,
                contributions: list[str], language: str, place: Place = village,
                proposer: User = member, as_authority: bool = False) -> Project:
        return projects.save_project(proposer, ProjectDraft(
            place_id=place.id, title=title, summary=summary, description=description,
            sector=sector, budget_items=items, contributions=contributions,
            language=language, as_authority=as_authority))

    water = propose(
        "Айылга таза суу түтүгү", "Мектепке жана 120 үйгө таза ичүүчү суу жеткирүү.",
        "Азыр суу **арыктан** ташылат.\n\n- насос\n- 2 км түтүк\n- суу сактагыч",
        "water", [("Насос", 180_000), ("Түтүк, 2 км", 420_000), ("Суу сактагыч", 95_000)],
        ["money", "volunteering", "equipment"], "ky")
    projects.transition(member, water, "submit")
    projects.transition(moderator, water, "publish")
    _backdate(water, 34)
    projects.flag_unanswered()
    supporters = list(db.session.scalars(
        select(User).where(User.role == "member", User.id != member.id).order_by(User.id)
        .limit(12)))
    for index, fan in enumerate(supporters):
        projects.support(fan, water, Intention(
            money_range=("10k_50k", "under_10k", None)[index % 3],
            volunteering=index % 2 == 0, show_name=index % 4 == 0))

    school = propose(
        "Компьютерный класс для школы", "Десять компьютеров и интернет для сельской школы.",
        "Школа просит помочь с **компьютерным классом**: ученики учатся по телефонам.",
        "education", [("Компьютеры, 10 шт.", 350_000), ("Интернет на год", 24_000)],
        ["money", "skills", "mentoring"], "ru")
    projects.transition(member, school, "submit")
    projects.transition(moderator, school, "publish")
    _backdate(school, 12)
    projects.transition(authority, school, "accept", language="ru",
                        note="Айыл окмоту выделит помещение и оплатит электричество.")
    for fan in supporters[:5]:
        projects.support(fan, school, Intention(money_range="50k_200k", show_name=True))

    bridge = propose(
        "Дарыянын үстүнөн жөө көпүрө", "Жазында суу ташыганда балдар мектепке бара алышпайт.",
        "Көпүрө 30 метр болот.", "roads", [], ["money", "equipment"], "ky")
    bridge.budget_som = 900_000
    db.session.commit()
    projects.transition(member, bridge, "submit")

    clinic = propose(
        "Ремонт фельдшерского пункта", "Крыша течёт, нужен ремонт до зимы.",
        "", "health", [("Кровля", 150_000)], ["money"], "ru")
    projects.transition(member, clinic, "submit")
    projects.transition(moderator, clinic, "return", language="ru",
                        note="Добавьте фотографии крыши и смету от мастера.")

    propose("Жаштар үчүн спорт аянтча", "Футбол жана волейбол аянтчасы.", "",
            "culture_sport", [], ["volunteering"], "ky")

    greenhouse = propose(
        "Жылыткана: жыл бою жашылча", "Айыл өкмөтү жылыткана курат, мекендештердин "
        "тажрыйбасын жана колдоосун күтөт.", "Жер бөлүнүп берилди.", "agriculture",
        [("Жылыткананын каркасы", 260_000), ("Сугаруу системасы", 70_000)],
        ["money", "skills", "connections"], "ky", place=district, proposer=authority,
        as_authority=True)
    projects.transition(authority, greenhouse, "submit")
    projects.transition(moderator, greenhouse, "publish")
    projects.transition(authority, greenhouse, "start", language="ky",
                        note="Курулуш башталды.")
    _report_progress(authority, greenhouse)
    return "6 demo projects"


def _report_progress(authority: User, project: Project) -> None:
    """The project in progress reports it: milestones, money, two updates a week apart."""
    from diaspora.projects import progress

    done = progress.add_milestone(authority, project, "Жер тегизделди")
    progress.set_milestone_status(authority, done, "done")
    frame = progress.add_milestone(authority, project, "Каркас орнотулду")
    progress.set_milestone_status(authority, frame, "done")
    today = utcnow().date()
    progress.add_milestone(authority, project, "Сугаруу системасы",
                           today + timedelta(days=30))
    progress.add_milestone(authority, project, "Биринчи түшүм", today + timedelta(days=120))
    progress.set_money(authority, project, 185_000, 140_000)
    first = progress.post_update(
        authority, project, "Жер тегизделип, пайдубал куюлду. **Он эки** мекендеш "
        "шейшемби күнү ашарга келди — рахмат!", language="ky")
    second = progress.post_update(
        authority, project, "Каркас орнотулду. Эми сугаруу системасына каражат чогултуп "
        "жатабыз: калганы 145 000 сом.\n\n- түтүктөр сатылып алынды\n- насос күтүлүүдө",
        language="ky")
    first.created_at = utcnow() - timedelta(days=9)
    second.created_at = utcnow() - timedelta(days=2)
    done.done_at, frame.done_at = first.created_at, second.created_at
    db.session.commit()
