"""Accounts: the owner's users page (invite, role, deactivate), everyone's own account page (password, sign out
everywhere, two-step login), and the public pages behind the one-time links and the second step of a login."""
from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from ..auth import services as sessions
from ..auth.views import logged_in
from ..enums import Role
from ..errors import FieldError
from ..extensions import db, limiter
from ..i18n import gettext as _
from ..models import Practice, User
from ..web import owner_required, public, show_error
from . import services, two_step
from .forms import CodeForm, ForgotForm, InviteForm, NewPasswordForm, PasswordChangeForm, PasswordForm, RoleForm
from .models import LinkPurpose

bp = Blueprint("accounts", __name__)
SECOND_STEP_WITHIN = timedelta(minutes=5)  # after the password, the code must follow soon


def _limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


# --- the owner's users page ----------------------------------------------------------------------------------

@bp.route("/users/", methods=["GET", "POST"])
@owner_required
def users():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            services.invite(form.name.data, form.email.data, Role(form.role.data), current_user, datetime.now(UTC))
        except FieldError as problem:
            show_error(form, problem)
        else:
            flash(_("The invitation is on its way to %(email)s.", email=form.email.data), "info")
            return redirect(url_for(".users"), 303)
    return render_template("accounts/users.html", form=form, users=services.load_users(),
                           invitations=services.load_open_invitations(datetime.now(UTC)), role_form=RoleForm(),
                           status=422 if form.errors else 200), 422 if form.errors else 200


@bp.post("/users/<int:user_id>/role")
@owner_required
def role(user_id):
    user, form = db.get_or_404(User, user_id), RoleForm()
    if form.validate_on_submit():
        _refused_or(lambda: services.set_role(user, Role(form.role.data), current_user), _("Role changed."))
    return redirect(url_for(".users"), 303)


@bp.post("/users/<int:user_id>/active")
@owner_required
def active(user_id):
    user = db.get_or_404(User, user_id)
    wanted = request.form.get("active") == "yes"
    _refused_or(lambda: services.set_active(user, wanted, current_user, datetime.now(UTC)),
                _("Account reactivated.") if wanted else _("Account deactivated; its sessions have ended."))
    return redirect(url_for(".users"), 303)


def _refused_or(change, done: str) -> None:
    try:
        change()
    except FieldError as problem:
        flash(str(problem.message), "error")
    else:
        flash(done, "info")


# --- one's own account ---------------------------------------------------------------------------------------

@bp.get("/account/")
def account():
    return _account_page()


@bp.post("/account/password")
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.new.data, datetime.now(UTC))
        except FieldError as problem:
            show_error(form, problem)
        else:
            flash(_("Your password is changed; you are signed out everywhere else."), "info")
            return logged_in(db.session.get(User, current_user.id), url_for(".account"))
    return _account_page(password_form=form, status=422)


@bp.post("/account/sign-out-everywhere")
def sign_out_everywhere():
    services.sign_out_everywhere(current_user, datetime.now(UTC))
    session.clear()
    flash(_("You are signed out everywhere."), "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/account/two-step", methods=["GET", "POST"])
def two_step_setup():
    """Switching two-step login on: the secret is kept in the session until a code shows the app has it."""
    if current_user.two_step_since:
        return redirect(url_for(".account"))
    secret = session.get("two_step_secret") or two_step.new_secret()
    session["two_step_secret"] = secret
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = two_step.switch_on(current_user, secret, form.code.data, datetime.now(UTC))
        except FieldError as problem:
            show_error(form, problem)
        else:
            session.pop("two_step_secret", None)
            return render_template("accounts/recovery_codes.html", codes=codes)
    uri = two_step.setup_uri(current_user, secret, Practice.current().name)
    return render_template("accounts/two_step.html", form=form, secret=secret, qr=two_step.qr_code(uri),
                           required=Practice.current().two_step_required), 422 if form.errors else 200


@bp.post("/account/two-step/off")
def two_step_off():
    if Practice.current().two_step_required:
        abort(403)
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            two_step.switch_off(current_user, form.password.data, datetime.now(UTC))
        except FieldError as problem:
            show_error(form, problem)
            return _account_page(off_form=form, status=422)
        flash(_("Two-step login is off."), "info")
    return redirect(url_for(".account"), 303)


def _account_page(*, password_form=None, off_form=None, status: int = 200):
    return render_template("accounts/account.html", password_form=password_form or PasswordChangeForm(formdata=None),
                           off_form=off_form or PasswordForm(formdata=None),
                           required=Practice.current().two_step_required), status


# --- the public side: the second step, invitations, forgotten passwords -----------------------------------------

@bp.route("/login/code", methods=["GET", "POST"])
@public
@limiter.limit(_limit, methods=["POST"])
def second_step():
    now = datetime.now(UTC)
    user = db.session.get(User, session.get("pending_user") or 0)
    since = datetime.fromtimestamp(session.get("pending_since", 0), UTC)
    if user is None or not user.active or now - since > SECOND_STEP_WITHIN:
        session.clear()
        flash(_("Please log in again."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            right = sessions.attempted(f"code:{user.id}", two_step.verify(user, form.code.data, now), now)
        except sessions.LoginThrottled as throttled:
            form.code.errors = [_("Too many wrong codes. Try again in %(seconds)d seconds.", seconds=throttled.seconds)]
            return render_template("auth/code.html", form=form), 429
        if right:
            return logged_in(user, session.get("next") or url_for("agenda.day"))
        form.code.errors = [_("This code is not right.")]
    return render_template("auth/code.html", form=form), 401 if form.errors else 200


@bp.route("/welcome/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_limit, methods=["POST"])
def welcome(token):
    link = services.find_link(token, LinkPurpose.INVITE, datetime.now(UTC))
    if link is None:
        return render_template("accounts/link_gone.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(link, form.password.data, datetime.now(UTC))
        except FieldError as problem:
            show_error(form, problem)
        else:
            flash(_("Welcome, %(name)s.", name=user.name), "info")
            target = url_for(".two_step_setup") if Practice.current().two_step_required else url_for("agenda.day")
            return logged_in(user, target)
    return render_template("accounts/welcome.html", form=form, link=link), 422 if form.errors else 200


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit(_limit, methods=["POST"])
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        services.request_reset(form.email.data, datetime.now(UTC))
        return render_template("accounts/forgot_sent.html")  # the same answer whether the address exists or not
    return render_template("accounts/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_limit, methods=["POST"])
def reset(token):
    link = services.find_link(token, LinkPurpose.RESET, datetime.now(UTC))
    if link is None:
        return render_template("accounts/link_gone.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(link, form.password.data, datetime.now(UTC))
        except FieldError as problem:
            show_error(form, problem)
        else:
            flash(_("Your password is set; log in with it."), "info")
            return redirect(url_for("auth.login"), 303)
    return render_template("accounts/reset.html", form=form), 422 if form.errors else 200
