"""Staff pages: verifying authorities, adding communities, reading the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import InputRequired, Length, Optional

from diaspora.accounts import service as accounts
from diaspora.accounts.models import AuthorityPlace
from diaspora.accounts.permissions import can
from diaspora.errors import DomainError
from diaspora.extensions import db
from diaspora.forms import (
    REQUIRED,
    TOO_LONG,
    ConfirmForm,
    IdSelectField,
    WholeNumberField,
    show_domain_error,
)
from diaspora.main.templating import current_locale
from diaspora.moderation.models import AuditEntry
from diaspora.places import service as places
from diaspora.places.models import Place

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


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
    _staff_only()
    from diaspora.moderation.reports import open_count

    return render_template(
        "moderation/dashboard.html", pending=accounts.pending_authorities(), form=ConfirmForm(),
        open_reports=open_count(current_user),
    )


@bp.post("/authorities/<int:link_id>/<any(verify, reject):decision>")
@login_required
def decide_authority(link_id: int, decision: str) -> ResponseReturnValue:
    link = db.session.get(AuthorityPlace, link_id) or abort(404)
    if not can(current_user, "authority.verify", link):
        abort(403)
    if ConfirmForm().validate_on_submit():
        try:
            if decision == "verify":
                accounts.verify_authority(current_user, link)
                flash(_("The authority is verified."), "success")
            else:
                accounts.reject_authority(current_user, link)
                flash(_("The request was rejected."), "info")
        except DomainError as error:
            flash(str(error.message), "error")
    return redirect(url_for("moderation.dashboard"))


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


@bp.get("/audit")
@login_required
def audit_log() -> ResponseReturnValue:
    if not can(current_user, "audit.view"):
        abort(403)
    page = request.args.get("page", 1, type=int)
    pagination = db.paginate(
        select(AuditEntry).order_by(AuditEntry.id.desc()), page=page, per_page=50, error_out=False
    )
    return render_template("moderation/audit.html", pagination=pagination)
