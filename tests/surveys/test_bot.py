"""Answering a survey in Telegram, through the real HTTP stack against the Bot API double:
every kind of question, Skip and Back, a condition, a typed answer retried, Kyrgyz and
Russian, a restart in the middle, already answered, closed meanwhile, stale buttons."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from diaspora.accounts.models import BotState
from diaspora.extensions import db
from diaspora.places.models import Place
from diaspora.surveys import service
from diaspora.surveys.models import SurveyAnswer, SurveyResponse
from tests.bot.conftest import (  # noqa: F401
    BotRunner,
    bot,
    chat_user,
    mode,
    new_chat,
    registered_chat,
    tg,
)
from tests.conftest import place_by_code
from tests.surveys.conftest import answers_for


def responses() -> list[SurveyResponse]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(SurveyResponse)))


def answers_by_question(response: SurveyResponse) -> dict[int, list[SurveyAnswer]]:
    found: dict[int, list[SurveyAnswer]] = {}
    for row in db.session.scalars(sa.select(SurveyAnswer).where(
            SurveyAnswer.response_id == response.id)):
        found.setdefault(row.question_id, []).append(row)
    return found


def place_buttons(message: dict) -> list[tuple[str, str]]:
    from tests.bot.conftest import Chat

    return [(label, data) for label, data in Chat.buttons(message)
            if re.fullmatch(r"svp:\d+", data)]


def pick_district(chat, home: dict, region: str | None = None) -> tuple[str, dict]:
    """Region (the first, or by name) -> its first district, kept as the answer; returns the
    district's name and the next message with buttons (the next question)."""
    if region is None:
        region_data = place_buttons(home)[0][1]
    else:
        region_data = next(d for label, d in place_buttons(home) if label == region)
    districts = chat.press_data(region_data, message=home)[0]
    label, district = place_buttons(districts)[0]
    replies = chat.press_data(district, message=districts)
    page = replies[-1]
    keep = [data for _, data in chat.buttons(page) if data.startswith("svp!this")]
    if keep:
        replies = chat.press_data(keep[0], message=page, n=2)  # keep the district
    else:
        replies = chat.wait(lambda ms: len(ms) >= 2)
    return label, replies[-1]


def start(chat, title: str = "Diaspora & home", start_label: str = "▶ Start") -> dict:
    listing = chat.command("surveys")[0]
    intro = chat.press(title, message=listing)[0]
    return chat.press(start_label, message=intro)[0]


def test_every_kind_skip_back_condition_retry(app, tg, bot, registered_chat, make_survey):  # noqa: F811
    survey = make_survey()
    q = survey.questions
    chat = registered_chat()
    listing = chat.command("surveys")[0]
    assert listing["plain_text"].startswith("Surveys for you")
    intro = chat.press("Diaspora & home", message=listing)[0]
    assert "Five minutes, anonymous." in intro["plain_text"]
    assert "Your answers are anonymous." in intro["plain_text"]
    first = chat.press("▶ Start", message=intro)[0]
    # the amount is asked only of those who send money: 7 questions until they say so
    assert first["plain_text"].startswith("1/7 · Do you send money home?")
    assert [label for label, _ in chat.buttons(first)] == ["Regularly", "Sometimes", "No"]

    sectors = chat.press("Regularly", n=2)[-1]
    assert sectors["plain_text"].startswith("2/8 · Which sectors interest you? (optional)")
    assert "Choose up to 2, then press Done." in sectors["plain_text"]
    chat.press("Agriculture", message=sectors)
    chat.press("Health & care", message=sectors)
    chat.press("Roads", message=sectors, n=0)  # a third: refused, with the reason
    refused = [q_["answer"] for q_ in tg.callback_answers().values()
               if q_.get("data", "").startswith("svm:") and q_.get("answer", {}).get("text")]
    assert refused[-1]["text"] == "You can choose at most 2. Untick one to choose another."
    ticked = [label for label, _ in chat.buttons(chat.last_with_buttons())]
    assert ticked[:4] == ["✓ Agriculture", "Education", "✓ Health & care", "Roads"]

    scale = chat.press("✅ Done", n=2)[-1]
    assert scale["plain_text"].startswith("3/8 · How much do you trust local authorities?")
    assert "1 means “Not at all”, 5 means “Fully”." in scale["plain_text"]
    assert [label for label, _ in chat.buttons(scale)] == ["1", "2", "3", "4", "5", "⬅ Back"]
    # Back: the previous question again, with its ticks as they were
    again = chat.press("⬅ Back", message=scale, n=2)[-1]
    assert again["plain_text"].startswith("2/8 · Which sectors")
    assert [label for label, _ in chat.buttons(again)][:4] == [
        "✓ Agriculture", "Education", "✓ Health & care", "Roads"]
    chat.press("✅ Done", n=2, message=again)

    amount = chat.press("4", n=2)[-1]
    assert amount["plain_text"].startswith("4/8 · How much a month, in som?")
    assert "Type a whole number from 0 to 1000000." in amount["plain_text"]
    # typed answers are checked by the service, and the question waits for a retry
    assert chat.send("a lot")[0]["plain_text"] == "Write a whole number, in digits."
    assert chat.send("2000000")[0]["plain_text"] == "The number must be at most 1000000."
    city = chat.send("15 000", n=2)
    assert city[0]["plain_text"] == "✅ 15000"
    assert city[1]["plain_text"].startswith("5/8 · Your city abroad (optional)")
    # Back to a typed answer: it is shown, and kept with one press
    amount = chat.press("⬅ Back", message=city[1], n=2)[-1]
    assert "Your answer: 15000" in amount["plain_text"]
    city = chat.press("✅ Keep this answer", message=amount, n=2)[-1]
    assert city["plain_text"].startswith("5/8 · Your city abroad")

    help_text = chat.press("Skip", message=city, n=2)[-1]
    assert help_text["plain_text"].startswith("6/8 · What would help you invest at home?")
    home = chat.send("Trust & <partners>", n=2)[-1]
    assert home["plain_text"].startswith("7/8 · Where is home?")

    district_label, country = pick_district(chat, home, "Naryn Region")
    assert country["plain_text"].startswith("8/8 · Where do you live?")
    chat.press("Another country", message=country, n=2)
    assert chat.send("Atlantis")[0]["plain_text"].startswith("We don't know this country.")
    replies = chat.send("Германия", n=2)
    assert replies[0]["plain_text"] == "✅ Germany"
    summary = replies[1]
    text = summary["plain_text"]
    assert "Your answers. Press Submit to send them" in text
    assert "Agriculture, Health & care" in text and "15000" in text
    assert "Your city abroad\n(no answer)" in text and "Trust & <partners>" in text
    assert district_label in text and "Germany" in text
    assert [label for label, _ in chat.buttons(summary)] == ["Submit", "Cancel", "⬅ Back"]
    assert not responses()  # nothing stored before Submit

    done = chat.press("Submit", message=summary, n=2)
    assert done[-1]["plain_text"].startswith("Thank you! Your answers are saved.")
    (response,) = responses()
    assert response.channel == "bot" and response.user_id is None
    got = answers_by_question(response)
    assert got[q[0].id][0].option_id == q[0].options[0].id
    assert {a.option_id for a in got[q[1].id]} == {q[1].options[0].id, q[1].options[2].id}
    assert got[q[2].id][0].number_value == 4
    assert got[q[3].id][0].number_value == 15000
    assert q[4].id not in got  # skipped
    assert got[q[5].id][0].text_value == "Trust & <partners>"
    place = db.session.get(Place, got[q[6].id][0].place_id)
    assert place.level == 2 and place.display_name("en") == district_label
    assert place.region_id == place_by_code("KG-N").id
    assert got[q[7].id][0].country_code == "DE"


def test_condition_not_met_skips_question(app, bot, registered_chat, make_survey):  # noqa: F811
    survey = make_survey()
    chat = registered_chat()
    start(chat)
    sectors = chat.press("No", n=2)[-1]
    assert sectors["plain_text"].startswith("2/7 · Which sectors")
    # Done with nothing ticked: fine on an optional question (as Skip)
    scale = chat.press("✅ Done", message=sectors, n=2)[-1]
    assert scale["plain_text"].startswith("3/7 · How much do you trust")
    amount_or_city = chat.press("3", message=scale, n=2)[-1]
    # the amount is not asked of someone who sends no money
    assert amount_or_city["plain_text"].startswith("4/7 · Your city abroad")
    assert survey.questions[3].kind == "number"  # the one not asked


@pytest.mark.parametrize("locale", ["ky", "ru"])
def test_answering_in_kyrgyz_and_russian(app, bot, registered_chat, make_survey, here, locale):  # noqa: F811
    from flask_babel import force_locale

    survey = make_survey()
    chat = registered_chat(locale)
    with force_locale(locale):
        from flask_babel import gettext

        start_label = "▶ " + gettext("Start")
        skip, back, submit = gettext("Skip"), gettext("Back"), gettext("Submit")
        thanks = gettext("Thank you! Your answers are saved.")
    assert skip != "Skip" and submit != "Submit"
    first = start(chat, f"Diaspora & home ({locale})", start_label)
    assert first["plain_text"].startswith(f"1/7 · Do you send money home? ({locale})")
    sectors = chat.press(f"No ({locale})", n=2)[-1]
    assert sectors["plain_text"].startswith(f"2/7 · Which sectors interest you? ({locale})")
    scale = chat.press(skip, message=sectors, n=2)[-1]
    assert f"«Not at all ({locale})»" in scale["plain_text"] or \
        f"“Not at all ({locale})”" in scale["plain_text"]
    city = chat.press("5", message=scale, n=2)[-1]
    long_text = chat.press(skip, message=city, n=2)[-1]
    home = chat.press(skip, message=long_text, n=2)[-1]
    _, country = pick_district(chat, home)
    summary = chat.press_data("svc:KZ", message=country, n=2)[-1]
    assert f"⬅ {back}" in [label for label, _ in chat.buttons(summary)]
    done = chat.press(submit, message=summary, n=2)
    assert done[-1]["plain_text"].startswith(thanks)
    (response,) = responses()
    got = answers_by_question(response)
    assert got[survey.questions[7].id][0].country_code == "KZ"
    assert got[survey.questions[2].id][0].number_value == 5


def test_restart_midway_resumes_there(app, tg, bot, registered_chat, make_survey):  # noqa: F811
    survey = make_survey()
    chat = registered_chat("ru")
    start(chat, "Diaspora & home (ru)", "▶ Начать")
    sectors = chat.press("Regularly (ru)", n=2)[-1]
    chat.press("Education (ru)", message=sectors)
    scale = chat.press("✅ Готово", n=2)[-1]
    amount = chat.press("2", message=scale, n=2)[-1]
    assert amount["plain_text"].startswith("4/8 · How much a month, in som? (ru)")

    bot.stop()  # the process goes away between two answers
    again = BotRunner(app, tg, "polling").start()
    try:
        replies = chat.send("12 500", n=2)  # typed after the restart: taken as the amount
        assert replies[0]["plain_text"] == "✅ 12500"
        assert replies[1]["plain_text"].startswith("5/8 · Your city abroad (ru)")
        # a pause: the list, the survey again, and Continue asks the same question
        listing = chat.command("surveys")[0]
        intro = chat.press("Diaspora & home (ru)", message=listing)[0]
        resumed = chat.press("▶ Продолжить", message=intro)[0]
        assert resumed["plain_text"].startswith("5/8 · Your city abroad (ru)")
        # Back still knows the answers given before the restart
        amount = chat.press("⬅ Назад", message=resumed, n=2)[-1]
        assert "12500" in amount["plain_text"]
    finally:
        again.stop()
    with app.app_context():
        stored = db.session.scalar(sa.select(BotState.data).where(
            BotState.namespace == "user_data", BotState.key == str(chat.id)))
        db.session.remove()
    assert stored["survey"]["id"] == survey.id
    assert stored["survey"]["answers"][str(survey.questions[3].id)] == 12500


def finish(chat, survey) -> None:
    """Answer everything with the fewest presses (No, skip the optional ones)."""
    start(chat)
    chat.press("No", n=2)
    chat.press("Skip", n=2)
    chat.press("1", n=2)
    chat.press("Skip", n=2)
    home = chat.press("Skip", n=2)[-1]
    _, country = pick_district(chat, home)
    summary = chat.press("Russia", message=country, n=2)[-1]
    chat.press("Submit", message=summary, n=2)


def test_second_try_already_answered(app, bot, registered_chat, make_survey, make_user):  # noqa: F811
    survey = make_survey()
    chat = registered_chat()
    old_intro = chat.press("Diaspora & home", message=chat.command("surveys")[0])[0]
    finish(chat, survey)
    assert len(responses()) == 1
    listing = chat.command("surveys")[0]
    assert [label for label, _ in chat.buttons(listing)] == ["✅ Diaspora & home"]
    intro = chat.press("✅ Diaspora & home", message=listing)[0]
    assert "You have already answered this survey. Thank you!" in intro["plain_text"]
    assert not chat.buttons(intro)
    # the Start button of the first look: refused, with the reason
    again = chat.press("▶ Start", message=old_intro)[0]
    assert again["plain_text"] == "You have already answered this survey. Thank you!"
    assert len(responses()) == 1
    # once staff publish the results, the member gets a link to them
    service.set_results_published(make_user("moderator"), survey, True)
    intro = chat.press("✅ Diaspora & home", message=chat.command("surveys")[0])[0]
    assert f"http://mekendesh.test/surveys/{survey.id}/results?lang=en" in intro["text"]
    listing = chat.command("surveys")[0]
    assert "Results you can read" in listing["plain_text"]


def test_answered_on_the_web_meanwhile(app, bot, registered_chat, make_survey, here):  # noqa: F811
    survey = make_survey()
    chat = registered_chat()
    start(chat)
    sectors = chat.press("No", n=2)[-1]
    member = chat_user(app, chat.id)
    service.submit_response(db.session.merge(member), survey, answers_for(survey, here))
    refused = chat.press("Skip", message=sectors, n=2)
    assert refused[-1]["plain_text"] == "You have already answered this survey. Thank you!"
    assert len(responses()) == 1


def test_closed_meanwhile_keeps_nothing(app, bot, registered_chat, make_survey, make_user):  # noqa: F811
    survey = make_survey()
    chat = registered_chat()
    start(chat)
    sectors = chat.press("Sometimes", n=2)[-1]
    service.close_survey(make_user("moderator"), survey)
    refused = chat.press("Skip", message=sectors, n=2)
    assert refused[-1]["plain_text"] == "This survey has closed. Thank you for your interest."
    assert "survey" not in bot.application.user_data[chat.id]
    assert not responses()
    # what is typed next is not taken as an answer to the closed survey
    assert "did not understand" in chat.send("Bishkek")[0]["plain_text"]
    listing = chat.command("surveys")[0]
    assert "There are no open surveys for you right now." in listing["plain_text"]


def test_stale_buttons_answer_helpfully(app, tg, bot, registered_chat, make_survey):  # noqa: F811
    survey = make_survey()
    q = survey.questions
    chat = registered_chat()
    first = start(chat)
    sectors = chat.press("Regularly", message=first, n=2)[-1]
    scale = chat.press("✅ Done", message=sectors, n=2)[-1]

    def last_toast() -> str:
        return [c["answer"] for c in tg.callback_answers().values() if "answer" in c][-1]["text"]

    # a Back control of an earlier question while another is asked: not applied
    assert chat.press_data(f"svk!back:{q[1].id}", message=scale, n=0) == []
    assert last_toast() == "This button is no longer valid."
    assert chat.press_data(f"svm!done:{q[1].id}", message=scale, n=0) == []
    assert last_toast() == "This button is no longer valid."
    # the question asked is still waiting, and still answers
    assert chat.press("4", message=scale, n=2)[-1]["plain_text"].startswith("4/8 ·")
    # /cancel leaves; a button of the survey after that says where surveys are
    stopped = chat.command("cancel")[0]
    assert stopped["plain_text"].startswith("Stopped. Nothing was sent")
    old = chat.press("5", message=scale)[0]
    assert old["plain_text"] == ("This survey question is no longer waiting for an answer. "
                                 "Send /surveys to see your surveys.")
    assert chat.press_data("sv:99999999999999999999", message=scale, n=0) == []
    assert last_toast() == "This button is no longer valid."
    assert "survey" not in bot.application.user_data[chat.id]
    assert not responses()


def test_not_registered_and_nothing_open(app, bot, new_chat, registered_chat):  # noqa: F811
    stranger = new_chat()
    assert stranger.command("surveys")[0]["plain_text"] == (
        "You are not registered yet. Send /start to begin.")
    chat = registered_chat()
    menu = chat.command("menu")[0]
    listing = chat.press("Surveys", message=menu)[0]
    assert listing["plain_text"].startswith("There are no open surveys for you right now.")


def test_a_paused_survey_leaves_profile_changes_alone(app, bot, registered_chat, make_survey):  # noqa: F811
    make_survey()
    chat = registered_chat()
    start(chat)
    sectors = chat.press("No", n=2)[-1]
    # a pause: the member changes their city in /profile, then comes back to the survey
    profile = chat.command("profile")[0]
    chat.press("City", message=profile)
    replies = chat.send("Казань", n=2)
    assert "City: Казань" in replies[-1]["plain_text"]
    assert chat_user(app, chat.id).profile.city == "Казань"
    scale = chat.press("✅ Done", message=sectors, n=2)[-1]
    assert scale["plain_text"].startswith("3/7 · How much do you trust")
    assert chat.command("cancel")[0]["plain_text"].startswith("Stopped. Nothing was sent")
    assert chat.command("cancel")[0]["plain_text"] == "There is nothing to cancel."
