"""The bot's "News": the latest posts meant for the member, five at a time, with "More"."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.callbacks import register_prefix, whole_number
from bot.handlers import menu
from bot.handlers.common import button, keyboard, say, send, stale
from bot.runtime import db, lang, t
from diaspora.accounts import telegram as tg
from diaspora.delivery.messages import escape
from diaspora.formatting import format_when
from diaspora.news import service as news
from diaspora.news.messages import render_news
from diaspora.timezones import member_timezone

PAGE = news.BOT_PAGE
MAX_OFFSET = 500  # "More" stops somewhere: older news is on the website
MORE = register_prefix("nw", owner="news")


def _latest(chat_id: int, offset: int, locale: str) -> tuple[list[str], bool]:
    """The member's posts, each rendered as the push announced it (one template), with the
    day and time it was published in the member's time zone (a list is read later)."""
    user = tg.find_chat_user(chat_id)
    posts, more = news.relevant_posts(user, offset, PAGE)
    zone = member_timezone(user)
    with force_locale(locale):
        texts = [
            render_news(news.broadcast_params(post), locale)
            + f"\n<i>{escape(format_when(post.published_at, locale, zone))}</i>"
            for post in posts
        ]
    return texts, more and offset + PAGE < MAX_OFFSET


async def show_news(update: Update, context: ContextTypes.DEFAULT_TYPE, offset: int = 0) -> None:
    locale = lang(update, context)
    texts, more = await db(context, _latest, update.effective_chat.id, offset, locale)
    if not texts:
        await say(update, context, _l("There is no news for you yet.") if offset == 0
                  else _l("That was all the news."))
        return
    for index, text in enumerate(texts):
        markup = None
        if more and index == len(texts) - 1:
            markup = keyboard([button(t(context, locale, _l("More news")),
                                      MORE.data(offset + PAGE))])
        await send(update, context, text, markup)


async def news_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await show_news(update, context)


async def more_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    parsed = MORE.parse(update.callback_query.data)
    try:
        offset = whole_number(parsed.value if parsed else None, MAX_OFFSET)
    except ValueError:
        await stale(update, context)
        return
    await update.callback_query.answer()
    await show_news(update, context, offset)


def register(application: Application) -> None:
    menu.add_item(application, "news", _l("News"), news_command, order=10)
    menu.add_command(application, "news", _l("The latest news for you"), news_command, order=25)
    application.add_handler(MORE.handler(more_button))
