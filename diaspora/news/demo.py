"""Demo news posts (`flask seed-demo`, `flask bootstrap`)."""

from __future__ import annotations

from sqlalchemy import select

from diaspora.accounts import service as accounts
from diaspora.accounts.demo import DEMO_ACCOUNTS
from diaspora.accounts.permissions import can
from diaspora.extensions import db
from diaspora.news import service as news
from diaspora.news.models import NewsPost


def seed_demo_news(members: int) -> str | None:
    """Two published posts (one programme-wide, one from the demo authority), one draft;
    once, and only beside the demo accounts (None: nothing added)."""
    moderator = accounts.find_by_email(DEMO_ACCOUNTS[1][0])
    authority = accounts.find_by_email(DEMO_ACCOUNTS[2][0])
    if moderator is None or db.session.scalar(
            select(NewsPost.id).where(NewsPost.author_id == moderator.id).limit(1)):
        return None
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
    return "3 demo news posts"
