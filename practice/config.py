"""Settings from the environment, with embedded defaults: SQLite and SQLite-Huey under instance/,
development sinks for mail and SMS. Production parts are chosen here, never in code."""
import math
import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIN_SECRET_BITS = 128  # OWASP ASVS V11.5.1: at least 128 bits of randomness
MIN_SECRET_LENGTH = 32  # and no phrase: words look more random to the estimate than they are


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
        if len(secret) < MIN_SECRET_LENGTH or secret_bits(secret) < MIN_SECRET_BITS:
            raise ConfigError(
                f"SECRET_KEY is missing or guessable: production needs {MIN_SECRET_LENGTH} or more random characters "
                f"({MIN_SECRET_BITS} bits or more), "
                'e.g. python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        return secret
    if secret:
        return secret
    # Development: one random key per instance folder, so sessions survive a restart.
    path = instance_path(environ) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        with private_file(path) as file:  # never readable by others, not even for a moment
            file.write(secrets.token_urlsafe(48).encode())
    return path.read_text().strip()


def private_file(path: Path):
    """A new file that only its owner can read and write (0600 from the start); an existing one is opened as is."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "wb")


def private_sqlite(url: str) -> None:
    """An SQLite file made private before SQLite makes it (readable by all, under the usual umask); its journal
    files take the same mode."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            private_file(path).close()


def secret_bits(secret: str) -> float:
    """A cautious guess at the randomness of a secret, in bits: the characters that could not be guessed from the
    ones before (a repeated block counts once; a character that repeats or continues a sequence, as in "aaaa",
    "abcd" or "1234", counts nothing), times the bits of the alphabet its character classes span."""
    if not secret:
        return 0.0
    block = secret[:_period(secret)]
    surprising = 1 + sum(abs(ord(c) - ord(previous)) > 1 for previous, c in zip(block, block[1:]))
    classes = [(str.islower, 26), (str.isupper, 26), (str.isdigit, 10), (lambda c: not c.isalnum(), 33)]
    alphabet = sum(size for test, size in classes if any(test(c) for c in secret))
    return surprising * math.log2(alphabet)


def _period(text: str) -> int:
    """The shortest block of which `text` is a repetition (possibly cut short): the prefix function's border."""
    border = [0] * len(text)
    for i in range(1, len(text)):
        k = border[i - 1]
        while k and text[i] != text[k]:
            k = border[k - 1]
        border[i] = k + (text[i] == text[k])
    return len(text) - border[-1]


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
        "BACKUP_DIR": environ.get("BACKUP_DIR", str(instance_path(environ) / "backups")),  # the nightly backups
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
        # Where delivery reports may come from (the gateway's addresses, comma-separated): a report URL that
        # leaked cannot be replayed from elsewhere.
        "SMS_REPORT_ADDRESSES": environ.get("SMS_REPORT_ADDRESSES", "127.0.0.1,::1"),
        # The secret the gateway puts in every reply it passes on (Kannel's sms-service get-url, `key=`); empty: no
        # replies are taken.
        "SMS_INBOUND_SECRET": environ.get("SMS_INBOUND_SECRET", ""),
        # A message claimed longer ago than this belongs to a worker that died while sending it.
        "MESSAGE_CLAIM_SECONDS": float(environ.get("MESSAGE_CLAIM_SECONDS", "120")),
        # Messages a worker claims at once: small enough that its claims stay young while it sends them.
        "MESSAGE_CLAIM_BATCH": int(environ.get("MESSAGE_CLAIM_BATCH", "200")),
        "RATELIMIT_STORAGE_URI": environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Behind a TLS proxy: how many proxies' X-Forwarded-* headers to believe (0: none, the app faces clients).
        "TRUSTED_PROXIES": int(environ.get("TRUSTED_PROXIES", "0")),
        "PUBLIC_RATE_LIMIT": environ.get("PUBLIC_RATE_LIMIT", "60/minute;600/hour"),  # per address, public pages
        "RATELIMIT_HEADERS_ENABLED": True,
        # Per client address, against automation; a wrong password slows down only its own address (auth.services).
        "LOGIN_RATE_LIMIT": environ.get("LOGIN_RATE_LIMIT", "30/minute;300/hour"),
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
