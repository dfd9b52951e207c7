"""E-mail: multipart text + HTML with a reply-to, a Message-ID of our own and an optional .ics file."""
import base64
import secrets
import smtplib
import socket
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path

import icalendar

from . import OutcomeUnknown


class TemporaryFailure(Exception):
    """The server could not take the message now (down, busy, 4xx): try again later."""


class PermanentFailure(Exception):
    """The server refused the message (5xx): trying again will not help."""


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    sender: str
    sender_name: str
    reply_to: str
    message_id: str
    ics: bytes | None = None


def message_id(reference: str, domain: str) -> str:
    """A Message-ID that names our message, so bounces and replies can be matched to it."""
    return make_msgid(idstring=reference, domain=domain)


def appointment_ics(*, uid: str, start: datetime, end: datetime, summary: str, location: str,
                    description: str, organizer: str, cancelled: bool = False, sequence: int = 0) -> bytes:
    """An iCalendar (RFC 5545) event for the client's calendar, in UTC."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//practice//appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", datetime.now(start.tzinfo))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if organizer:
        event.add("organizer", f"mailto:{organizer}")
    calendar.add_component(event)
    return calendar.to_ical()


def message_bytes(email: Email) -> bytes:
    """The message as it goes on the wire (CRLF line ends): multipart/mixed with the text and HTML alternatives
    and the .ics. Composed directly: every part is base64, so nothing needs folding or quoting, and the
    standard library's generator would spend more on that than the whole rest of a send (bench/send_rate.py)."""
    mark = secrets.token_hex(12)
    outer, inner = f"=_mixed_{mark}", f"=_alternative_{mark}"
    lines = [
        f"From: {formataddr((email.sender_name, email.sender))}",  # encodes a non-ASCII name
        f"To: {email.to}",
        f"Subject: {Header(email.subject, 'utf-8').encode(linesep=chr(13) + chr(10))}",
        f"Message-ID: {email.message_id}",
        f"Date: {formatdate(localtime=False)}",
        *([f"Reply-To: {email.reply_to}"] if email.reply_to else []),
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{outer}"',
        "",
        f"--{outer}",
        f'Content-Type: multipart/alternative; boundary="{inner}"',
        "",
        f"--{inner}",
        *_part("text/plain; charset=utf-8", email.text.encode()),
        f"--{inner}",
        *_part("text/html; charset=utf-8", email.html.encode()),
        f"--{inner}--",
    ]
    if email.ics:
        ics = email.ics if isinstance(email.ics, bytes) else email.ics.encode()
        lines += [f"--{outer}", *_part("text/calendar; charset=utf-8; method=PUBLISH", ics,
                                       'Content-Disposition: attachment; filename="appointment.ics"')]
    lines += [f"--{outer}--", ""]
    return "\r\n".join(lines).encode("ascii")


def _part(content_type: str, data: bytes, *headers: str) -> list[str]:
    encoded = base64.encodebytes(data).decode("ascii").rstrip("\n").split("\n")  # lines of 76
    return [f"Content-Type: {content_type}", "Content-Transfer-Encoding: base64", *headers, "", *encoded]


class SmtpMailer:
    def __init__(self, host: str, port: int, *, username: str = "", password: str = "", starttls: bool = False,
                 timeout: float = 10.0):
        self.host, self.port, self.username, self.password = host, port, username, password
        self.starttls, self.timeout = starttls, timeout

    def send(self, email: Email, point_of_no_return=lambda: None) -> None:
        """Hand the message to the server. `point_of_no_return` runs just before the final "." of DATA: until
        then a dropped connection means the server keeps nothing (RFC 5321 §4.1.1.4), after it the server has
        the whole message. The outbox records that moment, so a worker killed mid-send knows which side it was on.
        """
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                # The final dot goes in its own small write: without this, Nagle's algorithm holds it back
                # until the server's delayed ACK (~40 ms a message).
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password)
                _transaction(smtp, email, point_of_no_return)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise (PermanentFailure if all(c >= 500 for c in codes) else TemporaryFailure)(str(error)) from error
        except smtplib.SMTPResponseException as error:
            raise (PermanentFailure if error.smtp_code >= 500 else TemporaryFailure)(
                f"{error.smtp_code} {error.smtp_error!r}") from error
        except (OSError, smtplib.SMTPException, socket.timeout) as error:
            raise TemporaryFailure(f"SMTP server {self.host}:{self.port}: {error}") from error


def _transaction(smtp: smtplib.SMTP, email: Email, point_of_no_return) -> None:
    """MAIL, RCPT and DATA as smtplib.sendmail does them, with the final dot sent on its own."""
    smtp.ehlo_or_helo_if_needed()
    code, reply = smtp.mail(email.sender)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, reply, email.sender)
    code, reply = smtp.rcpt(email.to)
    if code not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({email.to: (code, reply)})
    code, reply = smtp.docmd("DATA")
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    content = message_bytes(email)  # base64 parts: no line starts with a dot, so nothing to dot-stuff
    smtp.send(content if content.endswith(b"\r\n") else content + b"\r\n")
    point_of_no_return()
    try:
        smtp.send(b".\r\n")
        code, reply = smtp.getreply()
    except (OSError, smtplib.SMTPServerDisconnected) as error:
        raise OutcomeUnknown(f"no answer after the whole message was sent: {error}") from error
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)


class SinkMailer:
    """Development: keeps each message as an .eml file under instance/mail for a person to read in the app."""

    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, email: Email, point_of_no_return=lambda: None) -> None:
        point_of_no_return()
        self.folder.mkdir(parents=True, exist_ok=True)
        name = email.message_id.strip("<>").replace("/", "_")
        (self.folder / f"{name}.eml").write_bytes(message_bytes(email))
