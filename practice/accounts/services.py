"""The practice's accounts, run by the owner in the app: inviting a colleague by e-mail (a one-time link, through
the outbox), roles, deactivation; and for everyone their own password, forgotten or changed, and signing out
everywhere. Every change ends the sessions it must and is noted in the audit trail."""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from .. import links, passwords
from ..audit import services as audit
from ..auth.services import end_all_sessions
from ..enums import AuditAction, Channel, MessageKind, MessageStatus, Role
from ..errors import FieldError
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..messages.planning import practice_language
from ..models import Message, Practice, User
from ..signals import messages_planned
from .models import AccountLink, LinkPurpose

INVITATION_LASTS = timedelta(hours=48)
RESET_LASTS = timedelta(hours=1)
PASSWORD_PROBLEMS = {
    "too_short": _l("Choose a password of at least %(count)d characters.", count=passwords.MIN_LENGTH),
    "too_long": _l("Choose a password of at most %(count)d characters.", count=passwords.MAX_LENGTH),
    "common": _l("This password is one of the most common ones. Choose another, e.g. a few unrelated words."),
    "personal": _l("This password contains your name or e-mail address. Choose another."),
}


def check_password(password: str, *, email: str, name: str, field: str = "password") -> None:
    problem = passwords.problem_with(password, email=email, name=name)
    if problem:
        raise FieldError(PASSWORD_PROBLEMS[problem], field)


def load_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.active.desc(), User.name)))


def load_open_invitations(now: datetime) -> list[AccountLink]:
    return list(db.session.scalars(select(AccountLink).where(
        AccountLink.purpose == LinkPurpose.INVITE, AccountLink.used_at.is_(None), AccountLink.expires_at > now)
        .order_by(AccountLink.created_at.desc())))


def invite(name: str, email: str, role: Role, by: User, now: datetime) -> AccountLink:
    """An invitation: the colleague gets an e-mail with a link, valid INVITATION_LASTS, to choose a password."""
    email = email.strip().lower()
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise FieldError(_l("There is already an account for this address."), "email")
    link = _link(LinkPurpose.INVITE, email, now + INVITATION_LASTS, name=name.strip(), role=role, created_by_id=by.id)
    audit.record(AuditAction.USER_INVITED, None, f"{link.name} <{email}> · {role}")
    _send(link, MessageKind.INVITATION, practice_language(Practice.current()), now)
    return link


def request_reset(email: str, now: datetime) -> None:
    """A reset link for the account with this address, if there is one; nothing else happens, and the page that
    asks says the same either way."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower(), User.active))
    if user is None:
        return
    link = _link(LinkPurpose.RESET, user.email, now + RESET_LASTS, user_id=user.id)
    _send(link, MessageKind.PASSWORD_RESET, user.language or practice_language(Practice.current()), now)


def find_link(token: str, purpose: LinkPurpose, now: datetime) -> AccountLink | None:
    """The link a token names, when it is of this purpose, unused and not expired."""
    if not links.looks_like_a_token(token):
        return None
    link = db.session.scalar(select(AccountLink).where(AccountLink.token_hash == links.token_hash(token)))
    if link is None or link.purpose != purpose or link.used_at is not None or link.expires_at <= now:
        return None
    return link


def accept_invitation(link: AccountLink, password: str, now: datetime) -> User:
    check_password(password, email=link.email, name=link.name)
    if db.session.scalar(select(User.id).where(func.lower(User.email) == link.email)):
        raise FieldError(_l("There is already an account for this address."))
    user = User(email=link.email, name=link.name, role=link.role or Role.STAFF, session_version=0)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    link.used_at, link.user_id = now, user.id
    audit.record(AuditAction.USER_JOINED, user.id, f"{user.name} <{user.email}> · {user.role}", by=user)
    db.session.commit()
    return user


def reset_password(link: AccountLink, password: str, now: datetime) -> User:
    user = db.session.get(User, link.user_id)
    check_password(password, email=user.email, name=user.name)
    user.set_password(password)
    link.used_at = now
    audit.record(AuditAction.PASSWORD_RESET, user.id, by=user)
    end_all_sessions(user, now)  # commits
    return user


def change_password(user: User, current: str, new: str, now: datetime) -> None:
    """A new password for `user`, who proves the current one; every session of theirs ends (the caller starts
    a new one for the browser it came from)."""
    if not user.check_password(current):
        raise FieldError(_l("This is not your current password."), "current")
    check_password(new, email=user.email, name=user.name, field="new")
    user.set_password(new)
    audit.record(AuditAction.PASSWORD_CHANGED, user.id)
    end_all_sessions(user, now)


def sign_out_everywhere(user: User, now: datetime) -> None:
    audit.record(AuditAction.SIGNED_OUT_EVERYWHERE, user.id)
    end_all_sessions(user, now)


def set_role(user: User, role: Role, by: User) -> None:
    if user.role == role:
        return
    if user.role == Role.OWNER and _other_active_owners(user) == 0:
        raise FieldError(_l("The practice needs an owner: make someone else owner first."), "role")
    user.role = role
    audit.record(AuditAction.USER_ROLE_CHANGED, user.id, f"{user.name} · {role}")
    db.session.commit()


def set_active(user: User, active: bool, by: User, now: datetime) -> None:
    """Deactivating ends the user's sessions at once; their history stays."""
    if user.active == active:
        return
    if not active and user.id == by.id:
        raise FieldError(_l("You cannot deactivate your own account."))
    if not active and user.role == Role.OWNER and _other_active_owners(user) == 0:
        raise FieldError(_l("The practice needs an owner: make someone else owner first."))
    user.active = active
    audit.record(AuditAction.USER_REACTIVATED if active else AuditAction.USER_DEACTIVATED, user.id, user.name)
    end_all_sessions(user, now)


def _other_active_owners(user: User) -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.role == Role.OWNER, User.active,
                                                               User.id != user.id))


def _link(purpose: LinkPurpose, email: str, expires_at: datetime, **fields) -> AccountLink:
    link = AccountLink(purpose=purpose, email=email, expires_at=expires_at, **fields)
    db.session.add(link)
    db.session.flush()
    link.token_hash = links.token_hash(link_token(link))
    return link


def link_token(link: AccountLink) -> str:
    return links.token_for(current_app.config["SECRET_KEY"], f"account-{link.purpose}", link.id, link.nonce)


def _send(link: AccountLink, kind: MessageKind, language: str, now: datetime) -> None:
    """The e-mail with the link, through the outbox like every message (committed here, sent right away)."""
    message = Message(dedupe_key=f"account-link:{link.id}", account_link_id=link.id, kind=kind, channel=Channel.EMAIL,
                      recipient=link.email, language=language, due_at=now, status=MessageStatus.PLANNED,
                      status_at=now)
    db.session.add(message)
    db.session.commit()
    messages_planned.send(current_app._get_current_object(), message_ids=[message.id])
