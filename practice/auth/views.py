from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..extensions import limiter, login_manager
from ..i18n import gettext as _
from ..web import public
from . import services
from .forms import LanguageForm, LoginForm

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(session_id: str):
    return services.load_session_user(session_id, session.get("key"), datetime.now(UTC))


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never bounce a login to another host."""
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("agenda.day")


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, datetime.now(UTC))
        except services.LoginThrottled as throttled:
            flash(_("Too many failed attempts for this address. Try again in %(seconds)d seconds.",
                    seconds=throttled.seconds), "error")
            return render_template("auth/login.html", form=form), 429
        if user is not None and user.two_step_since:
            language = session.get("language")
            session.clear()
            session.update(pending_user=user.id, pending_since=datetime.now(UTC).timestamp(), language=language,
                           next=_safe_next(request.args.get("next")))
            return redirect(url_for("accounts.second_step"))
        if user is not None:
            return logged_in(user, _safe_next(request.args.get("next")))
        flash(_("Unknown e-mail address or wrong password."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


def logged_in(user, target: str):
    """The end of every way in (password, second step, an accepted invitation): a fresh session (OWASP ASVS
    V7.2.4) with a server-side record, then on to `target`."""
    language = session.get("language")
    session.clear()
    session["key"] = services.start_session(user, datetime.now(UTC))
    login_user(user)
    if language and not user.language:
        services.store_language(user, language)
    return redirect(target)


@bp.post("/logout")
def logout():
    services.end_session(session.get("key"), datetime.now(UTC))
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language")
@public
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["language"] = form.language.data
        services.store_language(current_user if current_user.is_authenticated else None, form.language.data)
    return redirect(_safe_next(request.form.get("next")))
