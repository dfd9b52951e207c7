from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..extensions import limiter, login_manager
from ..web import public
from . import services
from .forms import LanguageForm, LoginForm

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(session_id: str):
    return services.load_user_by_session_id(session_id)


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
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            language = session.get("language")
            session.clear()  # a fresh session at login (OWASP ASVS V7.2.4)
            login_user(user)
            if language and not user.language:
                services.store_language(user, language)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Unknown e-mail address or wrong password."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
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
