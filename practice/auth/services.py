"""Accounts: who may log in, and creating them."""
import logging

from sqlalchemy import func, select

from ..errors import FieldError
from ..extensions import db
from ..enums import Role
from ..models import User

log = logging.getLogger(__name__)
MIN_PASSWORD_LENGTH = 10


def load_user_by_session_id(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.active or not user.check_password(password):
        log.warning("login failed for %r", email)
        return None
    log.info("login by user %s", user.id)
    return user


def store_language(user: User | None, language: str) -> None:
    if user is not None:
        user.language = language
        db.session.commit()


def create_user(email: str, name: str, password: str, role: Role) -> User:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise FieldError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters", "password")
    if db.session.scalar(select(User).where(func.lower(User.email) == email.lower())):
        raise FieldError(f"there is already an account for {email}", "email")
    user = User(email=email.strip().lower(), name=name, role=role, session_version=0)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user
