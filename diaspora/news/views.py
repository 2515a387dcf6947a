"""News pages: the list, a post, the Atom feeds, and the editor."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from diaspora.accounts.permissions import can, verified_places
from diaspora.errors import DomainError
from diaspora.forms import ConfirmForm, show_domain_error
from diaspora.i18n import SUPPORTED_LOCALES, localized
from diaspora.images import requested_width
from diaspora.main.templating import current_locale
from diaspora.news import service as news
from diaspora.news.forms import NewsForm
from diaspora.news.models import NewsPost
from diaspora.news.topics import TOPICS
from diaspora.pagecache import fragment, kept
from diaspora.places import service as places
from diaspora.places.countries import country_choices
from diaspora.rendering import shorten, xml_text

bp = Blueprint("news", __name__, url_prefix="/news")
bp.add_app_template_filter(xml_text, "xml_text")


@bp.get("/")
def index() -> ResponseReturnValue:
    page = request.args.get("page", 1, type=int)
    tag = request.args.get("topic") or None
    if tag and tag not in TOPICS:
        tag = None
    region_id = request.args.get("region", type=int)
    listing = fragment("news.index", (page, tag, region_id), lambda: render_template(
        "news/_list.html", pagination=news.list_published(page, tag=tag, region_id=region_id),
        topics=TOPICS, topic=tag, regions=places.regions(), region_id=region_id,
        shorten=shorten))
    return render_template("news/index.html", listing=listing)


@bp.get("/<int:post_id>")
def show(post_id: int) -> ResponseReturnValue:
    if not current_user.is_authenticated:
        # The same for every visitor who is not logged in: kept until the content changes.
        page_title, article = kept("news.show", (post_id,), lambda: _article(post_id))
        return render_template("news/show.html", page_title=page_title, article=article)
    post = news.get_post(post_id)
    page_title, article = _article(post_id, post)
    return render_template("news/show.html", page_title=page_title, article=article, post=post,
                           form=ConfirmForm())


def _article(post_id: int, post: NewsPost | None = None) -> tuple[str, Markup]:
    """The post's title and its <article>, for a reader who may see it (404 otherwise)."""
    post = post or news.get_post(post_id)
    if not news.can_view(current_user, post):
        abort(404)
    locale = current_locale()
    title = localized(post.title, locale)
    body = localized(post.body, locale)
    # Rendered and cleaned (nh3) when the post was written: no Markdown here.
    html = Markup((post.body_html or {}).get(body.locale or "", ""))  # noqa: S704
    return title.text, Markup(render_template(  # noqa: S704  (an autoescaped template)
        "news/_post.html", post=post, title=title, body=body, html=html))


@bp.get("/images/<int:image_id>")
def image(image_id: int) -> ResponseReturnValue:
    picture = news.image_for(image_id, current_user)
    # Asked after the permission, so a hidden image answers alike with or without `?w=`.
    response = Response(picture.bytes_for(requested_width()), mimetype=picture.content_type)
    # A draft's image is for its writers only: no shared cache may keep it.
    response.headers["Cache-Control"] = ("public, max-age=86400" if news.image_is_public(image_id)
                                         else "private, no-store")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/feed/<lang>.atom")
def feed(lang: str) -> ResponseReturnValue:
    if lang not in SUPPORTED_LOCALES:
        abort(404)
    site = current_app.config["SITE_URL"]
    xml = kept("news.feed", (lang,), lambda: render_template(
        "news/feed.atom", posts=news.latest_for_feed(), lang=lang, site=site,
        localized=lambda value: localized(value, lang), shorten=shorten))
    return Response(xml, mimetype="application/atom+xml")


# -- writing -----------------------------------------------------------------------------------


def _fill_choices(form: NewsForm) -> None:
    locale = current_locale()
    own = [] if can(current_user, "news.edit_any") else verified_places(current_user)
    grouped = places.grouped_place_choices(locale)
    all_places = [(str(pid), name) for _group, options in grouped for pid, name in options]
    if own:
        form.place_id.choices = [(str(p.id), p.full_name(locale)) for p in own]
        form.place_ids.choices = [(str(p.id), p.full_name(locale)) for p in own]
    else:
        form.place_id.choices = [("", _("— the whole programme —"))] + all_places
        form.place_ids.choices = all_places
    form.countries.choices = country_choices(locale)


def _save(form: NewsForm, post: NewsPost | None) -> NewsPost | None:
    upload = form.image.data
    data = upload.read() if upload and getattr(upload, "filename", "") else None
    try:
        saved = news.save_post(
            current_user, post,
            title={code: getattr(form, f"title_{code}").data for code in SUPPORTED_LOCALES},
            body={code: getattr(form, f"body_{code}").data for code in SUPPORTED_LOCALES},
            tags=form.tags.data or [], audience=form.audience.data,
            place_ids=[int(x) for x in form.place_ids.data or []],  # ids: checked by the form
            countries=form.countries.data or [], push_telegram=form.push_telegram.data,
            place_id=int(form.place_id.data) if form.place_id.data else None,
            image=data, remove_image=form.remove_image.data,
        )
        action = request.form.get("action", "draft")
        if action == "publish":
            when = form.publish_at.data
            if when is not None:
                zone = ZoneInfo(str(get_timezone()))
                when = when.replace(tzinfo=zone).astimezone(UTC)
            news.publish(current_user, saved, at=when)
            flash(_("The post is scheduled.") if saved.status == "scheduled"
                  else _("The post is published."), "success")
        else:
            flash(_("The draft is saved."), "success")
        return saved
    except DomainError as error:
        show_domain_error(form, error)
        return None


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create() -> ResponseReturnValue:
    if not can(current_user, "news.create"):
        abort(403)
    form = NewsForm()
    _fill_choices(form)
    if form.validate_on_submit():
        saved = _save(form, None)
        if saved is not None:
            return redirect(url_for("news.edit", post_id=saved.id))
    return render_template("news/edit.html", form=form, post=None)


@bp.route("/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int) -> ResponseReturnValue:
    post = news.get_post(post_id)
    if not can(current_user, "news.edit", post):
        abort(403)
    form = NewsForm(obj=None)
    _fill_choices(form)
    if request.method == "GET":
        for code in SUPPORTED_LOCALES:
            getattr(form, f"title_{code}").data = post.title.get(code, "")
            getattr(form, f"body_{code}").data = post.body.get(code, "")
        form.tags.data = post.tags
        form.audience.data = post.audience
        form.place_ids.data = [str(i) for i in post.place_ids]
        form.countries.data = post.country_codes
        form.push_telegram.data = post.push_telegram
        form.place_id.data = str(post.place_id or "")
    elif form.validate_on_submit():
        saved = _save(form, post)
        if saved is not None:
            return redirect(url_for("news.edit", post_id=saved.id))
    return render_template("news/edit.html", form=form, post=post, confirm=ConfirmForm(),
                           audience_size=news.audience_size(post))


@bp.post("/<int:post_id>/unpublish")
@login_required
def unpublish(post_id: int) -> ResponseReturnValue:
    post = news.get_post(post_id)
    if not can(current_user, "news.unpublish", post):
        abort(403)
    if ConfirmForm().validate_on_submit():
        try:
            news.unpublish(current_user, post)
            flash(_("The post is unpublished."), "info")
        except DomainError as error:
            flash(str(error.message), "error")
    return redirect(url_for("news.show", post_id=post.id))


@bp.get("/manage")
@login_required
def manage() -> ResponseReturnValue:
    if not can(current_user, "news.create"):
        abort(403)
    page = request.args.get("page", 1, type=int)
    return render_template("news/manage.html", pagination=news.manageable_posts(current_user, page))
