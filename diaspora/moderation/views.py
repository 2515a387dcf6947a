"""Staff pages: verifying authorities, adding communities, reading the audit log."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField, widgets
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from diaspora import timezones
from diaspora.accounts.permissions import can
from diaspora.errors import DomainError
from diaspora.extensions import db
from diaspora.forms import (
    NOT_AN_OPTION,
    REQUIRED,
    TOO_LONG,
    ConfirmForm,
    IdSelectField,
    WholeNumberField,
    is_id,
    show_domain_error,
)
from diaspora.main.templating import current_locale
from diaspora.models import utcnow
from diaspora.moderation import audit, queue
from diaspora.places import service as places
from diaspora.places.models import Place

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


class DayField(StringField):
    """A day typed as YYYY-MM-DD (the browser's date picker sends that), refused in our
    catalogs' words."""

    widget = widgets.DateInput()

    def process_formdata(self, valuelist: list) -> None:
        text = str(valuelist[0]).strip() if valuelist else ""
        self.data = None
        self.raw_text = text
        if not text:
            return
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(_l("Enter a day as YYYY-MM-DD.")) from exc
        # Far-off years overflow when a day's start is moved to UTC; no row is that old.
        if not 1970 <= day.year <= 9998:
            raise ValueError(_l("Enter a day as YYYY-MM-DD."))
        self.data = day

    def _value(self) -> str:
        return self.data.isoformat() if self.data else getattr(self, "raw_text", "")


class CommunityForm(FlaskForm):
    district_id = IdSelectField(_l("District"), validators=[InputRequired(REQUIRED)])
    name_ky = StringField(
        _l("Name in Kyrgyz"), validators=[Optional(), Length(max=120, message=TOO_LONG)]
    )
    name_ru = StringField(
        _l("Name in Russian"), validators=[Optional(), Length(max=120, message=TOO_LONG)]
    )
    name_en = StringField(
        _l("Name in English"), validators=[Optional(), Length(max=120, message=TOO_LONG)]
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.district_id.validate_choice = False



def _staff_only() -> None:
    if not can(current_user, "staff.area"):
        abort(403)


@bp.get("/")
@login_required
def dashboard() -> ResponseReturnValue:
    """The one queue: everything waiting for a moderator, the longest waiting first."""
    _staff_only()
    return _render_queue()


def _render_queue(error_key: str | None = None, error: str | None = None,
                  reason: str = "", status: int = 200) -> ResponseReturnValue:
    source = request.args.get("source") or None
    if source not in queue.sources():
        source = None
    items, counts = queue.overview(current_user, source)
    return render_template(
        "moderation/dashboard.html", items=items, sources=queue.sources(), source=source,
        counts=counts, histories=queue.histories(items), form=ConfirmForm(),
        error_key=error_key, error=error, reason=reason), status


@bp.post("/queue/decide")
@login_required
def decide() -> ResponseReturnValue:
    """One decision on one entry. A refusal re-renders the queue with the reason the
    moderator typed kept and the message at the entry."""
    if not can(current_user, "moderation.queue"):
        abort(403)
    key = request.form.get("key", "")[:200]
    reason = request.form.get("reason", "")
    if not ConfirmForm().validate_on_submit():
        return _render_queue(key, _("The form expired: please try again."), reason, 400)
    try:
        decision = queue.decide(current_user, key, request.form.get("action", ""), reason)
    except queue.AlreadyDecided as already:
        flash(str(already.message), "info")
        return redirect(_back())
    except DomainError as error:
        return _render_queue(key, str(error.message), reason, 422)
    flash(_("Done: %(action)s.", action=decision.action_label), "success")
    return redirect(_back())


def _back() -> str:
    return url_for("moderation.dashboard", source=request.args.get("source"),
                   lang=request.args.get("lang"))


@bp.post("/authorities/<int:link_id>/<any(verify, reject, revoke):decision>")
@login_required
def decide_authority(link_id: int, decision: str) -> ResponseReturnValue:
    """Verify, reject (with a reason) or revoke (with a reason): authority_views.py."""
    from diaspora.moderation.authority_views import decide

    return decide(link_id, decision)


@bp.route("/places", methods=["GET", "POST"])
@login_required
def add_community() -> ResponseReturnValue:
    if not can(current_user, "places.add_community"):
        abort(403)
    locale = current_locale()
    form = CommunityForm()
    districts = db.session.scalars(select(Place).where(Place.level == 2)).all()
    form.district_id.choices = [("", _("— choose —"))] + sorted(
        ((str(d.id), d.full_name(locale)) for d in districts), key=lambda item: item[1]
    )
    if form.validate_on_submit():
        try:
            place = places.add_community(
                current_user,
                places.get_place(int(form.district_id.data or 0)),
                {"ky": form.name_ky.data, "ru": form.name_ru.data, "en": form.name_en.data},
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("%(place)s was added.", place=place.full_name(locale)), "success")
            return redirect(url_for("moderation.add_community"))
    return render_template("moderation/places.html", form=form)


class PromoteVillageForm(FlaskForm):
    district_id = WholeNumberField(validators=[InputRequired(REQUIRED)])
    village = StringField(validators=[InputRequired(REQUIRED), Length(max=80, message=TOO_LONG)])
    name_ky = StringField(
        _l("Name in Kyrgyz"), validators=[Optional(), Length(max=120, message=TOO_LONG)]
    )
    name_ru = StringField(
        _l("Name in Russian"), validators=[Optional(), Length(max=120, message=TOO_LONG)]
    )
    name_en = StringField(
        _l("Name in English"), validators=[Optional(), Length(max=120, message=TOO_LONG)]
    )


@bp.get("/villages")
@login_required
def typed_villages() -> ResponseReturnValue:
    """The villages members typed beside their home place, counted per district."""
    if not can(current_user, "places.promote_village"):
        abort(403)
    return render_template(
        "moderation/villages.html", villages=places.typed_villages(), locale=current_locale(),
        form=PromoteVillageForm(),
    )


@bp.post("/villages/promote")
@login_required
def promote_village() -> ResponseReturnValue:
    if not can(current_user, "places.promote_village"):
        abort(403)
    form = PromoteVillageForm()
    if not form.validate_on_submit():
        flash(_("Choose a village from the list."), "error")
        return redirect(url_for("moderation.typed_villages"))
    locale = current_locale()
    try:
        place, moved = places.promote_village(
            current_user,
            places.get_place(form.district_id.data),
            form.village.data,
            {"ky": form.name_ky.data, "ru": form.name_ru.data, "en": form.name_en.data},
        )
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("%(place)s was added; %(count)s members now have it as their home.",
                place=place.full_name(locale), count=moved), "success")
    return redirect(url_for("moderation.typed_villages"))


class OfferedChoiceField(SelectField):
    """A select whose refusal of a value it did not offer is in our catalogs."""

    def pre_validate(self, form: FlaskForm) -> None:
        if self.data and self.data not in {value for value, _label in self.choices or []}:
            raise ValidationError(NOT_AN_OPTION)


class AuditFilterForm(FlaskForm):
    """The audit log's filters: a GET form (nothing changes, so no CSRF token)."""

    class Meta:
        csrf = False

    actor = StringField(_l("Who (account id, e-mail or name)"),
                        validators=[Optional(), Length(max=254, message=TOO_LONG)])
    action = OfferedChoiceField(_l("Action"), validators=[Optional()])
    object_type = OfferedChoiceField(_l("Object"), validators=[Optional()])
    object_id = WholeNumberField(_l("Object id"), validators=[Optional()])
    date_from = DayField(_l("From (day)"), validators=[Optional()])
    date_to = DayField(_l("To (day, included)"), validators=[Optional()])

    def validate_object_id(self, field: WholeNumberField) -> None:
        if field.data is not None and not is_id(field.data):
            raise ValidationError(_l("Enter a whole number."))

    def validate_date_to(self, field: DayField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The last day cannot come before the first."))

    def filters(self) -> audit.AuditFilter:
        return audit.AuditFilter(
            # Control characters (a NUL byte PostgreSQL refuses) can be in no name or e-mail.
            actor="".join(ch for ch in self.actor.data or "" if ch >= " ").strip(),
            action=self.action.data or "",
            object_type=self.object_type.data or "", object_id=self.object_id.data,
            date_from=self.date_from.data, date_to=self.date_to.data,
            zone=timezones.member_timezone(current_user),
        )


def _filter_form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    everything = [("", _("— all —"))]
    form.action.choices = everything + [(value, value) for value in audit.action_choices()]
    form.object_type.choices = everything + [(value, value) for value in audit.object_types()]
    return form


@bp.get("/audit")
@login_required
def audit_log() -> ResponseReturnValue:
    if not can(current_user, "audit.view"):
        abort(403)
    form = _filter_form()
    # A filter that cannot be read is shown at its field, and no rows: a page that quietly
    # dropped it would look filtered when it is not.
    valid = form.validate()
    filters = form.filters() if valid else None
    pagination = (audit.entries(current_user, filters, request.args.get("page", 1, type=int))
                  if filters is not None else None)
    return render_template("moderation/audit.html", form=form, pagination=pagination,
                           filters=filters)


@bp.get("/audit.csv")
@login_required
def audit_csv() -> ResponseReturnValue:
    if not can(current_user, "audit.export"):
        abort(403)
    form = _filter_form()
    if not form.validate():
        abort(400)
    chunks = audit.csv_chunks(current_user._get_current_object(), form.filters())
    response = Response(stream_with_context(chunks), mimetype="text/csv; charset=utf-8")
    name = f"mekendesh-audit-{utcnow():%Y%m%d-%H%M}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
