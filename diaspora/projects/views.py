"""Project pages: browse and search, propose and edit, the project page with its timeline,
support and lifecycle buttons, the authorities' queue, the moderators' list and a place's
answer statistics. Views parse and render; the service decides (permissions via can())."""

from __future__ import annotations

from dataclasses import astuple

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from diaspora.accounts.choices import INTEREST_SECTORS
from diaspora.accounts.permissions import can, verified_places
from diaspora.errors import DomainError, InvalidTransition, ValidationError
from diaspora.extensions import db
from diaspora.forms import ConfirmForm, is_id, show_domain_error
from diaspora.i18n import SUPPORTED_LOCALES
from diaspora.images import requested_width
from diaspora.main.templating import current_locale
from diaspora.pagecache import fragment, kept
from diaspora.places import service as places
from diaspora.places.models import LEVEL_DISTRICT
from diaspora.projects import lifecycle
from diaspora.projects import progress as progress_service
from diaspora.projects import service as projects
from diaspora.projects.choices import CONTRIBUTION_LABELS
from diaspora.projects.forms import (
    BUDGET_ROWS,
    MilestoneForm,
    MoneyForm,
    ProjectForm,
    SupportForm,
    TransitionForm,
    UpdateForm,
)
from diaspora.projects.models import PUBLIC_STATES, Project

bp = Blueprint("projects", __name__, url_prefix="/projects")


@bp.context_processor
def _labels() -> dict:
    return {"STATE_LABELS": lifecycle.STATE_LABELS, "SECTORS": INTEREST_SECTORS,
            "CONTRIBUTION_LABELS": CONTRIBUTION_LABELS, "MONEY_RANGES": projects.MONEY_RANGES,
            "days_waiting": projects.days_waiting, "PARTS": lifecycle,
            "PUBLIC_STATES": PUBLIC_STATES,
            "format_percent": format_percent}


def _id_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if is_id(value) else None


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


# -- reading -----------------------------------------------------------------------------------


@bp.get("/")
def index() -> ResponseReturnValue:
    sector = request.args.get("sector") or None
    status = request.args.get("status") or None
    sort = request.args.get("sort") or "newest"
    filters = projects.ProjectFilters(
        region_id=_id_arg("region"), district_id=_id_arg("district"),
        place_id=_id_arg("community"),
        sector=sector if sector in INTEREST_SECTORS else None,
        status=status if status in PUBLIC_STATES else None,
        query=(request.args.get("q") or "")[:200],
        sort=sort if sort in projects.SORTS else "newest")
    page = _page()
    if filters.query:  # a search is rarely asked twice: drawn for the asker, not kept
        return render_template("projects/index.html", listing=Markup(_listing(filters, page)))  # noqa: S704
    return render_template("projects/index.html", listing=fragment(
        "projects.index", (*astuple(filters), page), lambda: _listing(filters, page)))


def _listing(filters: projects.ProjectFilters, page: int) -> str:
    region = places.get_place(filters.region_id)
    district = places.get_place(filters.district_id)
    districts = places.children(region) if region is not None and region.level == 1 else []
    communities = (places.children(district) if district is not None
                   and district.level == LEVEL_DISTRICT else [])
    return render_template("projects/_list.html",
                           pagination=projects.list_public(filters, page), filters=filters,
                           regions=places.regions(), districts=districts,
                           communities=communities, public_states=PUBLIC_STATES,
                           sorts=projects.SORTS)


@bp.get("/<int:project_id>")
def show(project_id: int) -> ResponseReturnValue:
    if not current_user.is_authenticated:
        # The same for every visitor who is not logged in: kept until the content changes.
        cpage = request.args.get("cpage", 1, type=int) or 1
        page_title, body = kept("projects.show", (project_id, cpage), lambda: _body(
            projects.get_visible_project(current_user, project_id)))
        return render_template("projects/show.html", page_title=page_title, body=body)
    return _show(projects.get_visible_project(current_user, project_id))


def _show(project: Project, **forms: object) -> ResponseReturnValue:
    """The project page; `forms`: a progress form posted with errors, shown as it was typed."""
    page_title, body = _body(project, **forms)
    return render_template("projects/show.html", page_title=page_title, body=body)


def _body(project: Project, **forms: object) -> tuple[str, Markup]:
    mine = projects.support_of(current_user, project)
    support_form = SupportForm(obj=mine) if mine is not None else SupportForm()
    if mine is not None and mine.money_range is None:
        support_form.money_range.data = ""
    transition_form = TransitionForm(language=current_locale())
    actions = projects.available_actions(current_user, project)
    if not any(step.note_required for step in actions):
        transition_form.note.description = ""  # the hint speaks of buttons not shown
    return project.title, Markup(render_template(  # noqa: S704  (an autoescaped template)
        "projects/_show_body.html", project=project, actions=actions,
        timeline=projects.timeline_entries(project), summary=projects.support_summary(project),
        mine=mine, may_support=can(current_user, "projects.support", project),
        may_edit=can(current_user, "projects.edit", project),
        support_form=support_form, transition_form=transition_form, confirm=ConfirmForm(),
        **_progress_context(project, forms)))


@bp.get("/photos/<int:photo_id>")
def photo(photo_id: int) -> ResponseReturnValue:
    picture = projects.photo_for(current_user, photo_id)
    # Asked after the permission, so a hidden photo answers alike with or without `?w=`.
    response = Response(picture.bytes_for(requested_width()), mimetype=picture.content_type)
    # A draft's photo is for its proposer and staff only: no shared cache may keep it.
    response.headers["Cache-Control"] = ("public, max-age=86400"
                                         if projects.photo_is_public(picture)
                                         else "private, no-store")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/place/<int:place_id>")
def place(place_id: int) -> ResponseReturnValue:
    where = places.get_place(place_id) or abort(404)
    pagination = projects.list_public(projects.filters_for_place(where), _page())
    return render_template("projects/place.html", place=where,
                           stats=projects.place_answer_stats(where), pagination=pagination,
                           inside=places.children(where))


@bp.get("/mine")
@login_required
def mine() -> ResponseReturnValue:
    return render_template("projects/mine.html", projects=projects.own_projects(current_user))


@bp.get("/queue")
@login_required
def queue() -> ResponseReturnValue:
    pagination = projects.authority_queue(current_user, _page())
    return render_template("projects/queue.html", pagination=pagination)


@bp.get("/moderation")
@login_required
def moderation() -> ResponseReturnValue:
    return render_template("projects/moderation.html",
                           awaiting=projects.awaiting_moderation(current_user),
                           flagged=projects.flagged_projects(current_user))


# -- writing -----------------------------------------------------------------------------------


def _place_groups() -> list[tuple[str, list[tuple[int, str]]]]:
    return places.grouped_place_choices(current_locale())


def _prefill(form: ProjectForm, project: Project) -> None:
    draft = projects.draft_of(project)
    form.place_id.data = str(draft.place_id)
    form.title.data, form.summary.data = draft.title, draft.summary
    form.description.data = draft.description
    form.sector.data = draft.sector or ""
    form.budget_som.data = "" if draft.budget_som is None else str(draft.budget_som)
    form.contributions.data = list(draft.contributions)
    form.language.data = draft.language


def _budget_rows(form: ProjectForm, project: Project | None) -> list[tuple[str, str]]:
    """The rows the form shows: what was posted, else the project's lines; padded with empty
    rows up to BUDGET_ROWS (and two spare rows beyond a longer breakdown)."""
    if request.method == "POST":
        rows = [(label, amount) for label, amount in form.budget_rows() if label or amount]
    elif project is not None:
        rows = [(item.label, str(item.amount_som)) for item in project.budget_items]
    else:
        rows = []
    return rows + [("", "")] * max(BUDGET_ROWS - len(rows), 2)


def _save(form: ProjectForm, project: Project | None) -> Project | None:
    uploads = [f for f in (form.photos.data or []) if getattr(f, "filename", "")]
    draft = projects.ProjectDraft(
        place_id=int(form.place_id.data) if form.place_id.data else None,
        title=form.title.data or "", summary=form.summary.data or "",
        description=form.description.data or "", sector=form.sector.data or None,
        budget_som=form.budget_som.data, budget_items=form.budget_rows(),
        contributions=form.contributions.data or [],
        language=form.language.data if form.language.data in SUPPORTED_LOCALES
        else current_locale(),
        as_authority=bool(form.as_authority.data),
        photos=[upload.read() for upload in uploads],
        remove_photo_ids=[int(x) for x in form.remove_photo_ids.data or [] if is_id(x)])
    try:
        saved = projects.save_project(current_user, draft, project)
    except DomainError as error:
        show_domain_error(form, error)
        return None
    if request.form.get("action") == "submit":
        try:
            projects.transition(current_user, saved, "submit", language=current_locale())
        except DomainError as error:
            flash(str(error.message), "error")
            return saved
        flash(_("The project is sent to the moderators. You will hear from them."), "success")
    else:
        flash(_("The draft is saved. This is how the project will look."), "success")
    return saved


def _render_form(form: ProjectForm, project: Project | None) -> ResponseReturnValue:
    if project is not None:
        form.remove_photo_ids.choices = [(str(p.id), str(p.id)) for p in project.photos]
    return render_template(
        "projects/edit.html", form=form, project=project, place_groups=_place_groups(),
        budget_rows=_budget_rows(form, project),
        may_post_as_authority=project is None and can(current_user,
                                                      "projects.post_as_authority", None))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create() -> ResponseReturnValue:
    if not can(current_user, "projects.propose"):
        abort(403)
    form = ProjectForm(language=current_locale())
    if request.method == "GET":
        own = verified_places(current_user)
        profile = current_user.profile
        if request.args.get("as") == "authority" and own:
            form.as_authority.data = True
            form.place_id.data = str(own[0].id)
        elif profile is not None and profile.home_place_id:
            form.place_id.data = str(profile.home_place_id)  # their home community first
    elif form.validate_on_submit():
        saved = _save(form, None)
        if saved is not None:
            return redirect(url_for("projects.show", project_id=saved.id))
    return _render_form(form, None)


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def edit(project_id: int) -> ResponseReturnValue:
    project = projects.get_visible_project(current_user, project_id)
    if not can(current_user, "projects.edit", project):
        abort(403)
    form = ProjectForm()
    if request.method == "GET":
        _prefill(form, project)
    elif form.validate_on_submit():
        form.remove_photo_ids.choices = [(str(p.id), "") for p in project.photos]
        if _save(form, project) is not None:
            return redirect(url_for("projects.show", project_id=project.id))
        db.session.rollback()
        project = projects.get_project(project_id)
    return _render_form(form, project)


def _flash_errors(form: TransitionForm | SupportForm) -> None:
    """A form on the project page was refused: say why there, above it."""
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")


@bp.post("/<int:project_id>/act")
@login_required
def act(project_id: int) -> ResponseReturnValue:
    """A lifecycle button: publish, return, answer, withdraw... (the service says who may)."""
    project = projects.get_visible_project(current_user, project_id)
    form = TransitionForm()
    if form.validate_on_submit():
        action = request.form.get("action", "")
        try:
            projects.transition(current_user, project, action, note=form.note.data or "",
                                language=form.language.data or current_locale())
        except (InvalidTransition, ValidationError) as error:
            flash(str(error.message), "error")
        else:
            flash(_("Done: the project is now “%(state)s”.",
                    state=lifecycle.STATE_LABELS[project.status]), "success")
    else:
        _flash_errors(form)
    return redirect(url_for("projects.show", project_id=project.id))


@bp.post("/<int:project_id>/support")
@login_required
def support(project_id: int) -> ResponseReturnValue:
    project = projects.get_visible_project(current_user, project_id)
    form = SupportForm()
    if form.validate_on_submit():
        already = projects.supports(current_user, project)
        try:
            projects.support(current_user, project, projects.Intention(
                money_range=form.money_range.data or None, skills=form.skills.data,
                volunteering=form.volunteering.data, equipment=form.equipment.data,
                show_name=form.show_name.data))
        except ValidationError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Your intention is updated.") if already
                  else _("Thank you: you support this project."), "success")
    else:
        _flash_errors(form)
    return redirect(url_for("projects.show", project_id=project.id, _anchor="support"))


@bp.post("/<int:project_id>/support/withdraw")
@login_required
def withdraw_support(project_id: int) -> ResponseReturnValue:
    project = projects.get_visible_project(current_user, project_id)
    if ConfirmForm().validate_on_submit() and projects.supports(current_user, project):
        projects.withdraw_support(current_user, project)
        flash(_("You no longer support this project."), "info")
    return redirect(url_for("projects.show", project_id=project.id, _anchor="support"))


# -- progress: updates, milestones, money (progress.py) ---------------------------------------


def _progress_context(project: Project, forms: dict) -> dict:
    """The Progress section: what was reported and, for those who report it, its forms (one
    posted with errors comes back as it was typed)."""
    reporting = can(current_user, "projects.report_progress", project)
    context: dict = {"progress": progress_service.progress_of(project),
                     "may_report": reporting}
    if reporting:
        money = MoneyForm(formdata=None, raised_som=_som(project.raised_som),
                          spent_som=_som(project.spent_som))
        context.update(
            update_form=forms.get("update_form") or UpdateForm(
                formdata=None, update_language=current_locale()),
            milestone_form=forms.get("milestone_form") or MilestoneForm(formdata=None),
            money_form=forms.get("money_form") or money)
    return context


def _som(value: int | None) -> str:
    return "" if value is None else str(value)


def _progress_refused(project: Project, error: DomainError, form: object,
                      name: str, anchor: str) -> ResponseReturnValue:
    """A state refusal is said above the page; a refused value next to its field, with the
    form as it was typed."""
    if isinstance(error, InvalidTransition):
        flash(str(error.message), "error")
        return redirect(url_for("projects.show", project_id=project.id, _anchor=anchor))
    db.session.rollback()
    show_domain_error(form, error)
    return _show(projects.get_project(project.id), **{name: form})


@bp.post("/<int:project_id>/updates")
@login_required
def post_update(project_id: int) -> ResponseReturnValue:
    project = projects.get_visible_project(current_user, project_id)
    form = UpdateForm()
    if not form.validate_on_submit():
        return _show(project, update_form=form)
    uploads = [f for f in (form.photos.data or []) if getattr(f, "filename", "")]
    try:
        update = progress_service.post_update(
            current_user, project, form.body.data or "",
            language=form.update_language.data or current_locale(),
            photos=[upload.read() for upload in uploads])
    except (InvalidTransition, ValidationError) as error:
        return _progress_refused(project, error, form, "update_form", "progress")
    flash(_("Your update is posted; the project's supporters will hear of it."), "success")
    return redirect(url_for("projects.show", project_id=project_id,
                            _anchor=f"update-{update.id}"))


@bp.get("/updates/photos/<int:update_photo_id>")
def update_photo(update_photo_id: int) -> ResponseReturnValue:
    picture = progress_service.update_photo_for(current_user, update_photo_id)
    response = Response(picture.bytes_for(requested_width()), mimetype=picture.content_type)
    response.headers["Cache-Control"] = ("public, max-age=86400"
                                         if progress_service.update_photo_is_public(picture)
                                         else "private, no-store")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/<int:project_id>/milestones")
@login_required
def add_milestone(project_id: int) -> ResponseReturnValue:
    project = projects.get_visible_project(current_user, project_id)
    form = MilestoneForm()
    if not form.validate_on_submit():
        return _show(project, milestone_form=form)
    try:
        progress_service.add_milestone(current_user, project, form.milestone_title.data or "",
                                       form.planned_on.data or None)
    except (InvalidTransition, ValidationError) as error:
        return _progress_refused(project, error, form, "milestone_form", "milestones")
    flash(_("The milestone is added."), "success")
    return redirect(url_for("projects.show", project_id=project_id, _anchor="milestones"))


@bp.post("/<int:project_id>/milestones/<int:milestone_id>")
@login_required
def milestone(project_id: int, milestone_id: int) -> ResponseReturnValue:
    """Mark a milestone done or planned again, or remove it (the button says which)."""
    project = projects.get_visible_project(current_user, project_id)
    step = progress_service.get_milestone(project, milestone_id)
    if ConfirmForm().validate_on_submit():
        action = request.form.get("action", "")
        try:
            if action == "remove":
                progress_service.remove_milestone(current_user, step)
                flash(_("The milestone is removed."), "info")
            else:
                progress_service.set_milestone_status(current_user, step, action)
                flash(_("The milestone is updated."), "success")
        except InvalidTransition as error:
            flash(str(error.message), "error")
    return redirect(url_for("projects.show", project_id=project_id, _anchor="milestones"))


@bp.post("/<int:project_id>/money")
@login_required
def money(project_id: int) -> ResponseReturnValue:
    project = projects.get_visible_project(current_user, project_id)
    form = MoneyForm()
    if not form.validate_on_submit():
        return _show(project, money_form=form)
    try:
        progress_service.set_money(current_user, project, form.raised_som.data,
                                   form.spent_som.data)
    except (InvalidTransition, ValidationError) as error:
        return _progress_refused(project, error, form, "money_form", "money")
    flash(_("The figures are saved."), "success")
    return redirect(url_for("projects.show", project_id=project_id, _anchor="money"))
