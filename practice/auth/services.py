"""Accounts: who may log in, their sessions, and creating them."""
import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, true, update
from werkzeug.security import check_password_hash, generate_password_hash

from .. import passwords
from ..enums import Role
from ..errors import FieldError
from ..extensions import db
from ..inbox import services as inbox
from ..models import Practice, User
from .models import LoginThrottle, UserSession

log = logging.getLogger(__name__)
FREE_TRIES = 5  # failed logins for an address before each next one waits: 1 s, 2 s, 4 s ... up to LONGEST_WAIT
LONGEST_WAIT = timedelta(minutes=15)
SEEN_EVERY = timedelta(minutes=1)  # how often a session's last use is written down (its idle time counts from it)
# Checked when an address is unknown, so that a failed login takes as long whether or not the address exists.
_NOBODY = generate_password_hash(secrets.token_urlsafe(16))


class LoginThrottled(Exception):
    """Too many failed logins for this address: the next try is possible in `seconds`."""

    def __init__(self, seconds: int):
        super().__init__(f"wait {seconds} s")
        self.seconds = seconds


def authenticate(email: str, password: str, now: datetime) -> User | None:
    """The user with this address and password, or None. Every address, known or not, gets the same treatment:
    the same password check, and after FREE_TRIES failures an exponentially growing wait (LoginThrottled), so
    neither the time taken nor the answers tell which addresses exist. Nothing about the address is logged."""
    address = email.strip().lower()
    user = db.session.scalar(select(User).where(func.lower(User.email) == address))
    correct = user.check_password(password) if user is not None else check_password_hash(_NOBODY, password)
    if attempted(f"address:{address}", correct and user.active, now):
        log.info("password right for user %s", user.id)
        return user
    log.warning("login failed")
    return None


def attempted(key: str, succeeded: bool, now: datetime) -> bool:
    """One attempt at something guessable (a password for an address, a code for a user): LoginThrottled while
    `key` must wait; a failure counts towards the next wait, a success clears them. Returns `succeeded`."""
    throttle = db.session.get(LoginThrottle, _digest(key))
    if throttle and throttle.blocked_until and throttle.blocked_until > now:
        raise LoginThrottled(int((throttle.blocked_until - now).total_seconds()) + 1)
    if succeeded:
        if throttle:
            db.session.delete(throttle)
            db.session.commit()
        return True
    if throttle is None:
        throttle = LoginThrottle(address_hash=_digest(key), failures=0)
        db.session.add(throttle)
    throttle.failures += 1
    if throttle.failures >= FREE_TRIES:
        throttle.blocked_until = now + min(timedelta(seconds=2 ** (throttle.failures - FREE_TRIES)), LONGEST_WAIT)
    db.session.commit()
    return False


def start_session(user: User, now: datetime) -> str:
    """A new session for `user`; the key goes in the browser's session cookie, its hash in the table."""
    key = secrets.token_urlsafe(32)
    db.session.add(UserSession(key_hash=_digest(key), user_id=user.id, started_at=now, seen_at=now))
    db.session.commit()
    return key


# Built once, like the other statements every page runs (Practice.current): putting a statement together costs
# SQLAlchemy more than running it. The practice comes along (its session lifetimes apply, and every page reads it),
# and so does the inbox's count of open replies that every page's navigation shows: a statement less per page.
_SESSION_USER = (select(User, UserSession, Practice, inbox.OPEN_REPLIES)
                 .join(UserSession, UserSession.user_id == User.id)
                 .join(Practice, true()).where(UserSession.key_hash == bindparam("key_hash"),
                                               User.id == bindparam("user_id"))
                 .order_by(Practice.id).limit(1))


def load_session_user(session_id: str, key: str | None, now: datetime) -> User | None:
    """The user of a session still open: the cookie's user and version (User.get_id) match, and its session record
    has not ended and has not outlived the practice's idle and absolute lifetimes."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit() and key and len(user_id) <= 10):
        return None
    found = db.session.execute(_SESSION_USER, {"key_hash": _digest(key), "user_id": int(user_id)}).first()
    if found is None:
        return None
    user, record, practice, open_replies = found  # one query for all: it runs on every request
    practice = Practice.current(practice)
    if not user.active or user.session_version != int(version) or record.ended_at is not None:
        return None
    if (now - record.seen_at > timedelta(minutes=practice.session_idle_minutes)
            or now - record.started_at > timedelta(hours=practice.session_hours)):
        record.ended_at = now
        db.session.commit()
        return None
    if now - record.seen_at > SEEN_EVERY:
        record.seen_at = now
        db.session.commit()
    inbox.count_unread(open_replies)  # after the commit, which would make it count again
    return user


def end_session(key: str | None, now: datetime) -> None:
    """This browser's session ends (logging out); a cookie copied before opens nothing."""
    if key:
        db.session.execute(update(UserSession).where(UserSession.key_hash == _digest(key),
                                                     UserSession.ended_at.is_(None)).values(ended_at=now))
        db.session.commit()


def end_all_sessions(user: User, now: datetime) -> None:
    """Every session of `user` ends: signing out everywhere, a new password, deactivation."""
    db.session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
                       .values(ended_at=now))
    user.session_version += 1
    db.session.commit()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def store_language(user: User | None, language: str) -> None:
    if user is not None:
        user.language = language
        db.session.commit()


def create_user(email: str, name: str, password: str, role: Role) -> User:
    """An account made on the command line (`flask create-owner`, the demo); colleagues are invited in the app."""
    problem = passwords.problem_with(password, email=email, name=name)
    if problem:
        raise FieldError(f"this password will not do ({problem.replace('_', ' ')}): choose at least "
                         f"{passwords.MIN_LENGTH} characters, not a common password, not your name", "password")
    if db.session.scalar(select(User).where(func.lower(User.email) == email.lower())):
        raise FieldError(f"there is already an account for {email}", "email")
    user = User(email=email.strip().lower(), name=name, role=role, session_version=0)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user
