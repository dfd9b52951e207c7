"""The factory: configuration, extensions, blueprints, the ways out, the queue and the commands, in one app."""
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import cli, i18n, web
from .accounts.views import bp as accounts
from .agenda.views import bp as agenda
from .audit.views import bp as audit
from .auth.views import bp as auth
from .channels import setup as channels
from .clients.views import bp as clients
from .config import ROOT, instance_path, load_config, private_sqlite
from .dashboard.views import bp as dashboard
from .data.views import bp as data
from .feed.views import bp as feed
from .inbox.views import bp as inbox, callback as inbound
from .extensions import babel, csrf, db, engine_options, init_database, limiter, login_manager, migrate
from .messages.views import bp as messages, callbacks
from .public.views import bp as public
from .settings.views import bp as settings
from .tasks import Tasks
from .waiting import offers as waiting_offers
from .waiting.views import bp as waiting


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
                instance_path=str(instance_path()))
    app.config.from_mapping(load_config())
    app.config.from_mapping(config or {})
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "translations")
    if hops := app.config["TRUSTED_PROXIES"]:  # the client's address and scheme, as the proxy in front saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    app.url_map.converters["int"] = web.RecordId  # before any route is added
    private_sqlite(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config["SQLALCHEMY_DATABASE_URI"],
                                                             app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    db.init_app(app)
    init_database(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale, timezone_selector=web.select_timezone)
    i18n.init_app(app)  # after Babel: its catalogue lookup replaces Flask-Babel's in the templates
    limiter.init_app(app)
    for blueprint in (auth, accounts, agenda, clients, waiting, inbox, messages, callbacks, inbound, public, feed,
                      settings, data, dashboard, audit):
        app.register_blueprint(blueprint)
    waiting_offers.init_app(app)
    tasks = Tasks(app)
    channels.init_app(app, schedule_sink_report=tasks.schedule_sink_report)
    web.init_app(app)
    cli.init_app(app)
    return app
