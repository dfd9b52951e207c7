"""practice: agenda, client cards and client messages for one practice."""
from flask import Flask, g, has_request_context, request, session
from flask_login import current_user

from .config import ROOT, instance_path, load_config
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .models import LANGUAGES, Practice



def select_locale() -> str | None:
    if not has_request_context():
        return None  # tasks choose a language with force_locale
    if g.get("language") in LANGUAGES:
        return g.language  # the public page speaks the client's language
    if current_user.is_authenticated and current_user.language:
        return current_user.language
    if session.get("language") in LANGUAGES:
        return session["language"]
    return request.accept_languages.best_match(LANGUAGES)


def select_timezone() -> str:
    return practice().timezone


def practice() -> Practice:
    """The practice settings, loaded once per app context."""
    if "practice" not in g:
        g.practice = Practice.load()
    return g.practice


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(instance_path()),
    )
    app.config.from_mapping(load_config())
    app.config.from_mapping(config or {})
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "translations")

    if app.config["TRUSTED_PROXIES"]:  # the client's address and scheme, as the proxy in front saw them
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)

    from . import agenda, auth, channels, cli, clients, dashboard, messages, public, settings, web

    for blueprint in (auth.bp, agenda.bp, clients.bp, messages.bp, messages.callbacks, public.bp, settings.bp,
                      dashboard.bp):
        app.register_blueprint(blueprint)
    channels.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    return app
