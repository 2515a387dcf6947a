from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from diaspora import timezones
from diaspora.accounts import authority, service, sessions, two_factor
from diaspora.accounts import telegram as telegram_accounts
from diaspora.accounts.deeplink import open_in_telegram
from diaspora.accounts.forms import (
    AuthorityRequestForm,
    DeleteAccountForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    RegistrationForm,
    RoleForm,
    TelegramCodeForm,
    TwoFactorCodeForm,
)
from diaspora.accounts.models import User
from diaspora.accounts.permissions import can
from diaspora.errors import DomainError
from diaspora.extensions import limiter
from diaspora.forms import ConfirmForm, show_domain_error
from diaspora.i18n import LANGUAGE_NAMES, SESSION_LANG_KEY, SUPPORTED_LOCALES
from diaspora.main.templating import current_locale
from diaspora.places import service as places
from diaspora.places.countries import country_choices
from diaspora.places.models import Place

bp = Blueprint("accounts", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


def _me() -> User:
    """The logged-in user itself, not the `current_user` proxy: services keep and audit it."""
    return current_user._get_current_object()


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never send someone off-site after login."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("accounts.account")


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            user = service.register(
                form.email.data,
                form.password.data,
                accepted_privacy=form.accept_privacy.data,
                locale=current_locale(),
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            sessions.start(user)
            flash(_("Welcome to Mekendesh! Tell us a little about yourself."), "success")
            return redirect(url_for("accounts.edit_profile"))
    return render_template("accounts/register.html", form=form)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = service.authenticate(form.email.data, form.password.data)
        except DomainError as error:  # blocked: why, until when, how to appeal
            form.form_errors.append(str(error.message))
            return render_template("accounts/login.html", form=form)
        if user is None:
            form.form_errors.append(_("Wrong e-mail or password."))
        else:
            sessions.start(user, remember=form.remember.data)
            if two_factor.required(user):  # staff: the code step before anything else
                return redirect(url_for("accounts.two_factor", next=request.args.get("next")))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    sessions.end(current_user)
    flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere() -> ResponseReturnValue:
    if ConfirmForm().validate_on_submit():
        sessions.end(current_user, everywhere=True)
        flash(_("You have logged out on every device and browser."), "info")
        return redirect(url_for("accounts.login"))
    return redirect(url_for("accounts.account"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"])
def change_password() -> ResponseReturnValue:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        # This browser proved its second factor already: the new password keeps it so.
        was_verified = sessions.two_factor_done(_me())
        try:
            user = service.change_password(
                _me(), form.current_password.data, form.password.data
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            # Every other session ended with the old password; this browser goes on.
            sessions.start(user)
            if was_verified:
                sessions.mark_two_factor(user)
            flash(_("Your password is changed. Other devices have been logged out."), "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/password_form.html", form=form)


@bp.get("/account")
@login_required
def account() -> ResponseReturnValue:
    profile = service.ensure_profile(current_user)
    return render_template(
        "accounts/account.html",
        profile=profile,
        profile_complete=service.is_profile_complete(profile),
        summary=service.profile_summary(current_user, current_locale()),
        confirm_form=ConfirmForm(),
        authority_requests=authority.own_requests(current_user),
        two_factor_enrolled=two_factor.required(current_user)
        and two_factor.is_enrolled(_me()),
    )


def _fill_profile_choices(
    form: ProfileForm, locale: str, find: str = "", current: Place | None = None
) -> list[Place] | None:
    """The form's lists; with `find`, the home place list narrowed to the places of that name
    (current or former, any language), the member's current place kept. Returns the places
    found (None when nothing was looked for)."""
    form.country_code.choices = [("", _("— choose —")), *country_choices(locale)]
    form.locale.choices = [(code, LANGUAGE_NAMES[code]) for code in SUPPORTED_LOCALES]
    profile = service.ensure_profile(current_user)
    automatic = timezones.timezone_label(
        timezones.country_timezone(profile.country_code) or timezones.DEFAULT_TIMEZONE, locale
    )
    form.timezone.choices = [
        ("", _("As in my country of residence: %(zone)s", zone=automatic)),
        *timezones.timezone_choices(locale, current_user.timezone),
    ]
    found = places.search_places(find, limit=30) if find else None
    if found:
        shown = found + ([current] if current is not None and current not in found else [])
        form.home_place_id.choices = {
            "": [("", _("— choose —"))],
            _("Places found"): [(str(p.id), p.full_name(locale)) for p in shown],
        }
        return found
    groups = places.grouped_place_choices(locale)
    form.home_place_id.choices = {
        "": [("", _("— choose —"))],
        **{name: [(str(value), label) for value, label in options] for name, options in groups},
    }
    return found


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
def edit_profile() -> ResponseReturnValue:
    profile = service.ensure_profile(current_user)
    form = ProfileForm(obj=profile)
    find = " ".join(request.args.get("find", "").split())[: places.MAX_SEARCH]
    found = _fill_profile_choices(form, current_locale(), find, profile.home_place)
    if request.method == "GET":
        form.skills.data = ", ".join(profile.skills or [])
        form.home_place_id.data = str(profile.home_place_id or "")
        form.country_code.data = profile.country_code or ""
        form.locale.data = current_user.locale or current_locale()
        form.timezone.data = current_user.timezone or ""
        for field in ("birth_band", "gender", "occupation_sector", "return_plan", "remittances"):
            getattr(form, field).data = getattr(profile, field) or ""
    if form.validate_on_submit():
        try:
            # first: an unknown zone refuses the form before anything is saved
            service.set_timezone(current_user, current_user, form.timezone.data)
            service.update_profile(
                current_user,
                current_user,
                display_name=form.display_name.data,
                country_code=form.country_code.data,
                city=form.city.data,
                home_place_id=form.home_place_id.data,
                home_village=form.home_village.data,
                birth_band=form.birth_band.data,
                gender=form.gender.data,
                occupation_sector=form.occupation_sector.data,
                skills=form.skills.data,
                years_abroad=form.years_abroad.data,
                return_plan=form.return_plan.data,
                remittances=form.remittances.data,
                wants_to_invest=form.wants_to_invest.data,
                wants_to_volunteer=form.wants_to_volunteer.data,
                interest_sectors=form.interest_sectors.data,
                notify_news=form.notify_news.data,
                notify_surveys=form.notify_surveys.data,
                notify_projects=form.notify_projects.data,
                notify_by_email=form.notify_by_email.data,
            )
            service.require_complete_profile(profile)
            if form.locale.data in SUPPORTED_LOCALES:
                service.set_locale(current_user, form.locale.data)
                session[SESSION_LANG_KEY] = form.locale.data
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/profile_form.html", form=form, find=find, found=found)


@bp.route("/account/authority", methods=["GET", "POST"])
@login_required
def request_authority() -> ResponseReturnValue:
    if not can(current_user, "authority.request"):
        abort(403)
    form = AuthorityRequestForm()
    groups = places.grouped_place_choices(current_locale())
    form.place_id.choices = {
        "": [("", _("— choose —"))],
        **{name: [(str(value), label) for value, label in options] for name, options in groups},
    }
    limit = authority.document_max_bytes()
    form.document.description = _(
        "A photo or scan of your appointment order or service card: JPEG, PNG, WebP or PDF, "
        "at most %(size)s MB. Only moderators see it.", size=authority.megabytes(limit))
    last = authority.last_request(current_user)
    if request.method == "GET" and last is not None:
        # Another place of the same authority: what they typed last time, ready to send.
        form.position.data, form.organisation.data = last.position, last.organisation
    if form.validate_on_submit():
        upload = form.document.data
        # One byte past the limit is enough to refuse it; the rest is never read.
        data = upload.read(limit + 1) if upload and getattr(upload, "filename", "") else None
        try:
            service.request_authority(
                current_user, places.get_place(int(form.place_id.data or 0)),
                form.organisation.data, form.position.data, data,
            )
        except DomainError as error:
            # The form comes back with everything typed; only the file must be chosen again.
            show_domain_error(form, error)
        except ValueError:
            form.place_id.errors = [_("Choose the place your authority serves.")]
        else:
            flash(_("Thank you. A moderator will verify your authority soon."), "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/authority_form.html", form=form)


@bp.get("/account/data.json")
@login_required
def download_data() -> ResponseReturnValue:
    data = service.export_personal_data(current_user, current_user)
    response = current_app.response_class(
        json.dumps(data, ensure_ascii=False, indent=2, default=str), mimetype="application/json"
    )
    response.headers["Content-Disposition"] = 'attachment; filename="mekendesh-my-data.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account() -> ResponseReturnValue:
    form = DeleteAccountForm()
    if form.validate_on_submit():
        # The same erasure as the bot's /delete: chat, the bot's stored answers, sessions.
        service.delete_personal_data(_me(), _me())
        sessions.end(None)  # erasing already ended every session of the account
        flash(_("Your personal data has been deleted. Thank you for having been with us."), "info")
        return redirect(url_for("main.index"))
    return render_template("accounts/delete.html", form=form)


# -- administration --------------------------------------------------------------------------


@admin_bp.get("/users")
@login_required
def users() -> ResponseReturnValue:
    if not can(current_user, "admin.manage_roles"):
        abort(403)
    page = request.args.get("page", 1, type=int)
    query = request.args.get("q", "")[:100]
    pagination = service.list_users(page=page, query=query)
    return render_template(
        "admin/users.html",
        pagination=pagination,
        q=query,
        role_form=RoleForm(),
        enrolled=two_factor.enrolled_ids([user.id for user in pagination.items]),
        confirm_form=ConfirmForm(),
    )


@admin_bp.post("/users/<int:user_id>/role")
@login_required
def change_role(user_id: int) -> ResponseReturnValue:
    target = service.get_user(user_id)
    if not can(current_user, "admin.manage_roles", target):
        abort(403)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            service.change_role(current_user, target, form.role.data)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(
                _(
                    "The role of %(name)s is now: %(role)s.",
                    name=target.name,
                    role=dict(form.role.choices)[target.role],
                ),
                "success",
            )
    else:
        flash(_("Choose one of the roles offered."), "error")
    return redirect(url_for("admin.users"))


# -- Telegram: joining a chat to this account, one-time login links from the bot ------------


@bp.post("/account/telegram/link")
@login_required
@limiter.limit("10 per minute;30 per hour")
def link_telegram() -> ResponseReturnValue:
    """First step: check the code and show which Telegram account it would join."""
    form = TelegramCodeForm()
    if form.validate_on_submit():
        try:
            preview = telegram_accounts.preview_link_code(_me(), form.code.data)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            return render_template(
                "accounts/link_confirm.html", preview=preview, form=TelegramCodeForm(
                    formdata=None, code=preview.code)
            )
    else:
        flash(_("Enter the 8-character code the bot showed you."), "error")
    return redirect(url_for("accounts.account"))


@bp.post("/account/telegram/link/confirm")
@login_required
@limiter.limit("10 per minute;30 per hour")
def confirm_link_telegram() -> ResponseReturnValue:
    """Second step: the member saw whose chat it is and confirmed."""
    form = TelegramCodeForm()
    if form.validate_on_submit():
        try:
            telegram_accounts.redeem_link_code(_me(), form.code.data)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Your Telegram chat is now joined to this account."), "success")
    return redirect(url_for("accounts.account"))


@bp.get("/account/telegram/join")
@login_required
@limiter.limit("20 per minute;60 per hour")
def join_telegram() -> ResponseReturnValue:
    """A one-time deep link that opens the bot; the chat that opens it asks to join this
    account, and the member confirms here, seeing which chat it is."""
    preview = telegram_accounts.preview_web_link(_me())
    link = None
    if preview is None and open_in_telegram() is not None:  # no bot, no code
        link = open_in_telegram(telegram_accounts.JOIN_PREFIX
                                + telegram_accounts.issue_web_link(_me()))
    return render_template("accounts/join_telegram.html", link=link, preview=preview,
                           form=ConfirmForm())


@bp.post("/account/telegram/join/confirm")
@login_required
@limiter.limit("10 per minute;30 per hour")
def confirm_join_telegram() -> ResponseReturnValue:
    form = ConfirmForm()
    token_id = request.form.get("token", type=int)
    if form.validate_on_submit() and token_id:
        try:
            telegram_accounts.redeem_web_link(_me(), token_id)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Your Telegram chat is now joined to this account."), "success")
    return redirect(url_for("accounts.account"))


@bp.route("/login/telegram/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def login_telegram(token: str) -> ResponseReturnValue:
    """GET only shows a button (link previews and scanners must not use the link up)."""
    if request.method == "POST":
        try:
            user = telegram_accounts.consume_login_token(token)
        except DomainError as error:
            flash(str(error.message), "error")
            return render_template("accounts/link_telegram.html", valid=False), 410
        why = service.login_refusal(user)
        if why:
            flash(why, "error")
            return redirect(url_for("accounts.login"))
        sessions.start(user)
        flash(_("Welcome! You are logged in through Telegram."), "success")
        if two_factor.required(user):
            return redirect(url_for("accounts.two_factor"))
        return redirect(url_for("accounts.account"))
    valid = telegram_accounts.login_token_is_valid(token)
    return render_template("accounts/link_telegram.html", valid=valid), (200 if valid else 410)


# -- staff two-factor sign-in (accounts/two_factor.py) ----------------------------------------

# Per account, not per address: a stolen password tried from many addresses gets as few
# guesses at the code as one. The pages say so.
TWO_FACTOR_LIMIT = "5 per minute;20 per hour"
_PENDING_SECRET_KEY = "two_factor_pending"  # noqa: S105 - a session key, not a secret


def _account_key() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else request.remote_addr


def second_step_first() -> ResponseReturnValue | None:
    """A staff member refused only for want of the second sign-in step is sent to it (the
    403 handler asks; JSON requests keep their 403)."""
    if not can(current_user, "two_factor.use") or sessions.two_factor_done(_me()):
        return None
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    flash(_("Enter the code from your authenticator app to use the staff pages."), "info")
    return redirect(url_for("accounts.two_factor", next=target))


@bp.route("/account/two-factor", methods=["GET", "POST"], endpoint="two_factor")
@login_required
@limiter.limit(TWO_FACTOR_LIMIT, key_func=_account_key, methods=["POST"])
def two_factor_step() -> ResponseReturnValue:
    """After the password: a code from the authenticator, or a recovery code."""
    if not can(current_user, "two_factor.use"):
        abort(403)
    me = _me()
    if sessions.two_factor_done(me):
        return redirect(_safe_next(request.args.get("next")))
    if not two_factor.is_enrolled(me):
        return redirect(url_for("accounts.two_factor_setup", next=request.args.get("next")))
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        try:
            used = two_factor.verify(me, form.code.data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            sessions.mark_two_factor(me)
            if used == "recovery":
                left = two_factor.recovery_codes_left(me)
                flash(ngettext(
                    "Recovery code accepted; it cannot be used again. %(num)d code is left: "
                    "make new ones on your account page.",
                    "Recovery code accepted; it cannot be used again. %(num)d codes are left: "
                    "make new ones on your account page.", left), "info")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/two_factor_step.html", form=form)


@bp.route("/account/two-factor/setup", methods=["GET", "POST"])
@login_required
@limiter.limit(TWO_FACTOR_LIMIT, key_func=_account_key, methods=["POST"])
def two_factor_setup() -> ResponseReturnValue:
    """Enrolment: scan the QR code (or type the secret), confirm with a first code, then
    see the recovery codes once."""
    if not can(current_user, "two_factor.use"):
        abort(403)
    me = _me()
    if two_factor.is_enrolled(me):
        return redirect(url_for("accounts.two_factor", next=request.args.get("next")))
    # The secret waits in the session until confirmed: showing the page stores nothing,
    # and reloading it shows the same code (an app that scanned it keeps working).
    pending = session.get(_PENDING_SECRET_KEY)
    if not (isinstance(pending, dict) and pending.get("user") == me.get_id()
            and isinstance(pending.get("secret"), str)):
        pending = {"user": me.get_id(), "secret": two_factor.new_secret()}
        session[_PENDING_SECRET_KEY] = pending
        if request.method == "POST":
            flash(_("The page had expired. Scan this new code and enter the code it gives."),
                  "error")
            return redirect(url_for("accounts.two_factor_setup",
                                    next=request.args.get("next")))
    enrolment = two_factor.enrolment(me, pending["secret"])
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(me, enrolment.secret, form.code.data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            session.pop(_PENDING_SECRET_KEY, None)
            sessions.mark_two_factor(me)
            return render_template("accounts/two_factor_codes.html", codes=codes,
                                   next=_safe_next(request.args.get("next")))
    return render_template("accounts/two_factor_setup.html", form=form, enrolment=enrolment)


@bp.route("/account/two-factor/recovery-codes", methods=["GET", "POST"])
@login_required
@limiter.limit(TWO_FACTOR_LIMIT, key_func=_account_key, methods=["POST"])
def two_factor_recovery_codes() -> ResponseReturnValue:
    """New recovery codes, against a current authenticator code."""
    if not can(current_user, "staff.area"):
        abort(403)
    me = _me()
    if not two_factor.is_enrolled(me):
        return redirect(url_for("accounts.two_factor_setup"))
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.regenerate_recovery_codes(me, form.code.data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            return render_template("accounts/two_factor_codes.html", codes=codes,
                                   next=url_for("accounts.account"))
    return render_template("accounts/two_factor_new_codes.html", form=form,
                           left=two_factor.recovery_codes_left(me))


@admin_bp.post("/users/<int:user_id>/two-factor/reset")
@login_required
def reset_two_factor(user_id: int) -> ResponseReturnValue:
    """A staff member lost their device: another admin resets their authenticator."""
    target = service.get_user(user_id)
    if not can(current_user, "two_factor.reset", target):
        abort(403)
    if ConfirmForm().validate_on_submit():
        try:
            two_factor.reset(_me(), target)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("%(name)s will set up an authenticator again at their next sign-in; "
                    "their sessions have ended.", name=target.name), "success")
    return redirect(url_for("admin.users"))
