"""Survey invitations: queued when a survey opens, delivered by the sender to the Bot API
double; once per member, never to /stop or to members who turned survey news off, at most
one survey invitation a week; the message in the member's language, titles escaped."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.surveys import service
from diaspora.surveys.models import SurveyInvitation
from diaspora.surveys.service import SurveySettings
from tests.delivery.conftest import send_all, tg  # noqa: F401


def chats(tg) -> list[int]:  # noqa: F811
    return sorted(m["chat_id"] for m in tg.sent_messages())


def test_an_open_survey_invites_its_audience_once(app, tg, make_user, make_survey):  # noqa: F811
    make_user(locale="ky", telegram_chat_id=501)
    make_user(locale="ru", telegram_chat_id=502)
    stopped = make_user(telegram_chat_id=503)
    stopped.broadcasts_paused = True  # /stop
    quiet = make_user(telegram_chat_id=504)
    quiet.profile.notify_surveys = False  # survey news off in the profile
    make_user()  # no Telegram
    db.session.commit()

    survey = make_survey()
    assert survey.invitation_broadcast_id is not None
    send_all(app, tg)
    assert chats(tg) == [501, 502]
    # housekeeping runs again (and again): nobody is invited twice
    service.invite_to_started_surveys()
    service.invite_to_started_surveys()
    send_all(app, tg)
    assert chats(tg) == [501, 502]


def test_at_most_one_survey_invitation_a_week(app, tg, make_user, make_survey):  # noqa: F811
    first = make_user(telegram_chat_id=601)
    make_survey()
    send_all(app, tg)
    assert chats(tg) == [601]

    newcomer = make_user(telegram_chat_id=602)
    second = make_survey()  # opened the same week
    send_all(app, tg)
    assert chats(tg) == [601, 602]  # the newcomer only: 601 had one this week
    assert [m["chat_id"] for m in tg.sent_messages()][-1] == newcomer.telegram_chat_id
    assert {i.user_id for i in db.session.scalars(sa.select(SurveyInvitation).where(
        SurveyInvitation.survey_id == second.id))} == {newcomer.id}

    # eight days later a third survey reaches both again
    db.session.execute(sa.update(SurveyInvitation).values(
        invited_at=utcnow() - timedelta(days=8)))
    db.session.commit()
    make_survey()
    send_all(app, tg)
    assert chats(tg) == [601, 601, 602, 602]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyInvitation).where(
        SurveyInvitation.user_id == first.id)) == 2  # the first survey and the third


def test_the_invitation_reads_right_in_kyrgyz_and_russian(app, tg, make_user, make_survey):  # noqa: F811
    make_user(locale="ky", telegram_chat_id=701)
    make_user(locale="ru", telegram_chat_id=702)
    survey = make_survey(open_it=False)
    moderator = make_user("moderator")
    service.update_survey(moderator, survey, SurveySettings(
        title={"ky": "Жер & <суу>", "ru": "Земля & <вода>"},
        intro={"ky": "Беш мүнөт & <b>жооп</b>", "ru": "Пять минут & <b>ответ</b>"}))
    service.open_survey(moderator, survey)
    send_all(app, tg)
    ky, ru = (tg.sent_messages(chat)[0] for chat in (701, 702))
    assert ky["text"].startswith("Сиз үчүн жаңы сурамжылоо: <b>Жер &amp; &lt;суу&gt;</b>")
    assert "Беш мүнөт &amp; &lt;b&gt;жооп&lt;/b&gt;" in ky["text"]
    assert "Бул жерден /surveys аркылуу же сайтта жооп бериңиз:" in ky["plain_text"]
    assert f'href="http://mekendesh.test/surveys/{survey.id}?lang=ky"' in ky["text"]
    assert ru["plain_text"].startswith("Новый опрос для вас: Земля & <вода>")
    assert "Пять минут & <b>ответ</b>" in ru["plain_text"]
    assert "Ответьте здесь командой /surveys или на сайте:" in ru["plain_text"]
    assert f'href="http://mekendesh.test/surveys/{survey.id}?lang=ru"' in ru["text"]
    assert all(m["parse_mode"] == "HTML" for m in (ky, ru))
