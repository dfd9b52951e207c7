"""Settings from the environment, with embedded defaults: SQLite and SQLite-Huey under instance/,
development sinks for mail and SMS. Production parts are chosen here, never in code."""
import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "development", "password"}
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says what to change."""


def instance_path(environ=os.environ) -> Path:
    return Path(environ.get("PRACTICE_INSTANCE", ROOT / "instance")).resolve()


def huey_url(environ=os.environ) -> str:
    return environ.get("HUEY_URL") or f"sqlite:///{instance_path(environ) / 'huey.db'}"


def database_url(environ=os.environ) -> str:
    url = environ.get("DATABASE_URL") or f"sqlite:///{instance_path(environ) / 'practice.db'}"
    # Heroku-style URLs name the dialect only; SQLAlchemy 2 needs the driver.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _secret_key(environ, production: bool) -> str:
    secret = environ.get("SECRET_KEY", "")
    if production:
        if secret.lower() in WEAK_SECRETS or len(secret) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"SECRET_KEY is missing or weak: production needs at least {MIN_SECRET_LENGTH} random "
                'characters, e.g. python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        return secret
    if secret:
        return secret
    # Development: one random key per instance folder, so sessions survive a restart.
    path = instance_path(environ) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _flag(environ, name: str, default: bool) -> bool:
    value = environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(environ=os.environ) -> dict:
    production = environ.get("PRACTICE_ENV", "development") == "production"
    instance_path(environ).mkdir(parents=True, exist_ok=True)
    return {
        "PRODUCTION": production,
        "SECRET_KEY": _secret_key(environ, production),
        "SQLALCHEMY_DATABASE_URI": database_url(environ),
        "HUEY_URL": huey_url(environ),
        "PUBLIC_BASE_URL": environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        # Mail: "sink" keeps messages in the database for a person to read in the app; "smtp" sends.
        "MAIL_BACKEND": environ.get("MAIL_BACKEND", "smtp" if environ.get("SMTP_HOST") else "sink"),
        "SMTP_HOST": environ.get("SMTP_HOST", "127.0.0.1"),
        "SMTP_PORT": int(environ.get("SMTP_PORT", "25")),
        "SMTP_USERNAME": environ.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": environ.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _flag(environ, "SMTP_STARTTLS", False),
        "SMTP_TIMEOUT": float(environ.get("SMTP_TIMEOUT", "10")),
        "MAIL_FROM": environ.get("MAIL_FROM", "practice@localhost"),
        # SMS: "sink" shows messages in the app and simulates delivery reports; "kannel" sends.
        "SMS_GATEWAY": environ.get("SMS_GATEWAY", "sink"),
        "KANNEL_SENDSMS_URL": environ.get("KANNEL_SENDSMS_URL", "http://127.0.0.1:13013/cgi-bin/sendsms"),
        "KANNEL_USERNAME": environ.get("KANNEL_USERNAME", ""),
        "KANNEL_PASSWORD": environ.get("KANNEL_PASSWORD", ""),
        "SMS_TIMEOUT": float(environ.get("SMS_TIMEOUT", "10")),
        # A message claimed longer ago than this belongs to a worker that died while sending it.
        "MESSAGE_CLAIM_SECONDS": float(environ.get("MESSAGE_CLAIM_SECONDS", "120")),
        # Messages a worker claims at once: small enough that its claims stay young while it sends them.
        "MESSAGE_CLAIM_BATCH": int(environ.get("MESSAGE_CLAIM_BATCH", "200")),
        "RATELIMIT_STORAGE_URI": environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Behind a TLS proxy: how many proxies' X-Forwarded-* headers to believe (0: none, the app faces clients).
        "TRUSTED_PROXIES": int(environ.get("TRUSTED_PROXIES", "0")),
        "PUBLIC_RATE_LIMIT": environ.get("PUBLIC_RATE_LIMIT", "60/minute;600/hour"),  # per address, public pages
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": environ.get("LOGIN_RATE_LIMIT", "10/minute;50/hour"),
        "WTF_CSRF_TIME_LIMIT": None,  # a reception tab stays open all day
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=int(environ.get("SESSION_HOURS", "10"))),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    }
