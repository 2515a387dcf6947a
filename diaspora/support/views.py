"""Support pages: "Help on return" (the member's requests and the directory of their home
place), asking, a request's page with its thread (the member replies, the authority answers,
refers or closes), the authorities' queue, and the local services directory (a public page per
place; adding, changing and removing services for the authorities of the place and staff).
Views parse and render; the service decides (permissions via can())."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from diaspora.accounts.permissions import can, is_staff
from diaspora.errors import DomainError
from diaspora.forms import ConfirmForm, show_domain_error
from diaspora.i18n import LANGUAGE_NAMES
from diaspora.main.templating import current_locale
from diaspora.places import service as places
from diaspora.support import service as support
from diaspora.support.forms import ActForm, ReplyForm, RequestForm, ServiceForm
from diaspora.support.models import SupportRequest, SupportService

bp = Blueprint("support", __name__, url_prefix="/support")


@bp.context_processor
def _labels() -> dict:
    return {"KINDS": support.KINDS, "CONTACT_LABELS": support.CONTACT_LABELS,
            "SUPPORT_STATES": support.STATE_LABELS, "support_days_waiting": support.days_waiting,
            "LANGUAGE_NAMES": LANGUAGE_NAMES}


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


def _place_groups() -> list:
    return places.grouped_place_choices(current_locale())


# -- the member's side ----------------------------------------------------------------------------


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    home = support.home_place_of(current_user)
    return render_template("support/index.html", requests=support.own_requests(current_user),
                           home=home, services=support.directory(home) if home else [],
                           may_queue=can(current_user, "support.queue"))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create() -> ResponseReturnValue:
    if not can(current_user, "support.ask"):
        abort(403)
    form = RequestForm()
    if request.method == "GET":
        home = support.home_place_of(current_user)
        if home is not None:
            form.place_id.data = str(home.id)  # their home place unless they choose another
        if request.args.get("kind") in support.KINDS:
            form.kind.data = request.args["kind"]
    elif form.validate_on_submit():
        draft = support.RequestDraft(
            kind=form.kind.data or None,
            place_id=int(form.place_id.data) if form.place_id.data else None,
            description=form.description.data or "",
            contact_channel=form.contact_channel.data, contact_value=form.contact_value.data or "",
            women_services=bool(form.women_services.data),
            children_services=bool(form.children_services.data), language=current_locale())
        try:
            saved = support.create_request(current_user, draft)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("Your request is sent to the local authority. You will be told here and in "
                    "Telegram when they answer."), "success")
            return redirect(url_for("support.show", request_id=saved.id))
    return render_template("support/new.html", form=form, place_groups=_place_groups())


@bp.get("/<int:request_id>")
@login_required
def show(request_id: int) -> ResponseReturnValue:
    return _show(support.get_request(current_user, request_id))


def _show(item: SupportRequest, reply_form: ReplyForm | None = None,
          act_form: ActForm | None = None) -> ResponseReturnValue:
    may_answer = can(current_user, "support.answer", item)
    act_form = act_form or ActForm()
    services = support.services_for_request(item) if may_answer else []
    act_form.service_id.choices = [("", "—")] + [(str(s.id), s.name) for s in services]
    return render_template(
        "support/show.html", item=item, thread=support.thread(item),
        may_answer=may_answer, may_reply=can(current_user, "support.reply", item),
        reply_form=reply_form or ReplyForm(), act_form=act_form, services=services)


@bp.post("/<int:request_id>/reply")
@login_required
def reply(request_id: int) -> ResponseReturnValue:
    item = support.get_request(current_user, request_id)
    if not can(current_user, "support.reply", item):
        abort(403)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            support.reply(current_user, item, form.body.data or "")
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("Your answer is sent."), "success")
            return redirect(url_for("support.show", request_id=item.id))
    return _show(item, reply_form=form)


@bp.post("/<int:request_id>/act")
@login_required
def act(request_id: int) -> ResponseReturnValue:
    item = support.get_request(current_user, request_id)
    if not can(current_user, "support.answer", item):
        abort(403)
    form = ActForm()
    if form.validate_on_submit():
        try:
            support.act(current_user, item, form.action.data or "",
                        form.body.data or "",
                        int(form.service_id.data) if form.service_id.data else None)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("Done: the member is told."), "success")
            return redirect(url_for("support.show", request_id=item.id))
    return _show(item, act_form=form)


# -- the authorities' side ------------------------------------------------------------------------


@bp.get("/queue")
@login_required
def queue() -> ResponseReturnValue:
    if not can(current_user, "support.queue"):
        abort(403)
    return render_template("support/queue.html",
                           pagination=support.authority_queue(current_user, _page()),
                           everywhere=can(current_user, "support.any_place"),
                           managed=support.managed_places(current_user))


# -- the local services directory -----------------------------------------------------------------


@bp.get("/services/<int:place_id>")
def services(place_id: int) -> ResponseReturnValue:
    place = places.get_place(place_id) or abort(404)
    return render_template("support/services.html", place=place,
                           services=support.directory(place),
                           may_manage=can(current_user, "support.manage_services", place),
                           confirm=ConfirmForm())


def _service_fields(form: ServiceForm) -> support.ServiceFields:
    return support.ServiceFields(name=form.name.data or "", kind=form.kind.data or None,
                                 address=form.address.data or "", phone=form.phone.data or "",
                                 languages=list(form.languages.data or []),
                                 hours=form.hours.data or "")


def _render_service_form(form: ServiceForm, service: SupportService | None) -> ResponseReturnValue:
    own = support.managed_places(current_user)
    groups = (_place_groups() if is_staff(current_user) else
              [(_("Your places"), [(p.id, p.full_name(current_locale())) for p in own])])
    return render_template("support/service_edit.html", form=form, service=service,
                           place_groups=groups)


@bp.route("/services/new", methods=["GET", "POST"])
@login_required
def create_service() -> ResponseReturnValue:
    if not can(current_user, "support.manage_services"):
        abort(403)
    form = ServiceForm()
    if request.method == "GET":
        wanted = request.args.get("place", type=int)
        own = support.managed_places(current_user)
        form.place_id.data = str(wanted or (own[0].id if own else ""))
    elif form.validate_on_submit():
        try:
            saved = support.save_service(
                current_user, int(form.place_id.data) if form.place_id.data else None,
                _service_fields(form))
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("The service is in the directory."), "success")
            return redirect(url_for("support.services", place_id=saved.place_id))
    return _render_service_form(form, None)


@bp.route("/services/item/<int:service_id>/edit", methods=["GET", "POST"])
@login_required
def edit_service(service_id: int) -> ResponseReturnValue:
    service = support.get_service(service_id)
    if not can(current_user, "support.manage_services", service.place):
        abort(403)
    form = ServiceForm(obj=service if request.method == "GET" else None)
    if request.method == "GET":
        form.place_id.data = str(service.place_id)
    elif form.validate_on_submit():
        try:
            support.save_service(current_user,
                                 int(form.place_id.data) if form.place_id.data else None,
                                 _service_fields(form), service)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("The service is saved."), "success")
            return redirect(url_for("support.services", place_id=service.place_id))
    return _render_service_form(form, service)


@bp.post("/services/item/<int:service_id>/delete")
@login_required
def delete_service(service_id: int) -> ResponseReturnValue:
    service = support.get_service(service_id)
    if not can(current_user, "support.manage_services", service.place):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    place_id = service.place_id
    support.delete_service(current_user, service)
    flash(_("The service is removed from the directory."), "success")
    return redirect(url_for("support.services", place_id=place_id))
