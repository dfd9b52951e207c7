"""E-mail: multipart text + HTML with a reply-to, a Message-ID of our own and an optional .ics file.

A message is composed completely (addresses in their wire form, every byte) before anything goes out, so a
message that cannot be composed fails alone and before the hand-over. International addresses: a domain in
Unicode travels in its IDNA form (RFC 5890); a mailbox name outside ASCII needs the server's SMTPUTF8
(RFC 6531), and without it the message is refused with that reason.
"""
import base64
import os
import secrets
import smtplib
import socket
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import formataddr, formatdate
from pathlib import Path

import icalendar
import idna

from ..enums import Note, noted
from .outcome import OutcomeUnknown


class TemporaryFailure(Exception):
    """The server could not take the message now (down, busy, 4xx): try again later."""


class PermanentFailure(Exception):
    """The server refused the message (5xx): trying again will not help."""


class AddressProblem(ValueError):
    """An address that cannot be used: not an address at all, or one the mail server cannot take."""


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
    """A Message-ID that names our message, so bounces and replies can be matched to it. The same for every
    attempt: a message sent again after an unclear hand-over is dropped as a repeat by mail systems that
    already delivered it. `reference` must be unique to the message (and not repeat in a new database)."""
    return f"<{reference}@{wire_address('x@' + domain).address.partition('@')[2]}>"


@dataclass(frozen=True)
class WireAddress:
    address: str  # as it goes into the envelope and the headers
    needs_smtputf8: bool  # the mailbox name is not ASCII


def wire_address(address: str) -> WireAddress:
    """The address as SMTP carries it: the domain in IDNA (ASCII) form; a non-ASCII mailbox name as it is, which
    only a server offering SMTPUTF8 accepts. AddressProblem if it is not an address."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain or any(c in address for c in "<>\r\n\",;:() "):
        raise AddressProblem(noted(Note.NOT_AN_ADDRESS, then=address))
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii") if not domain.isascii() else domain
    except idna.IDNAError as error:
        raise AddressProblem(noted(Note.NOT_IDNA, then=f"{address}: {error}")) from None
    return WireAddress(f"{local}@{ascii_domain}", not local.isascii())


@dataclass(frozen=True)
class Outgoing:
    """A message ready for the wire: the envelope and every byte of the content."""

    sender: str
    recipient: str
    smtputf8: bool
    content: bytes
    message_id: str


def compose(email: Email) -> Outgoing:
    """Everything that can go wrong with a message itself goes wrong here, before any hand-over."""
    to, sender = wire_address(email.to), wire_address(email.sender)
    reply_to = wire_address(email.reply_to) if email.reply_to else None
    smtputf8 = to.needs_smtputf8 or sender.needs_smtputf8 or bool(reply_to and reply_to.needs_smtputf8)
    content = message_bytes(email, to.address, sender.address, reply_to.address if reply_to else "", smtputf8)
    return Outgoing(sender.address, to.address, smtputf8, content, email.message_id)


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    start: datetime
    end: datetime
    summary: str
    location: str
    description: str


def appointment_ics(events: list[CalendarEvent], *, organizer: str, cancelled: bool = False,
                    sequence: int = 0) -> bytes:
    """An iCalendar (RFC 5545) file for the client's calendar, in UTC: one event per appointment (a series holds
    several)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//practice//appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    for each in events:
        event = icalendar.Event()
        event.add("uid", each.uid)
        event.add("dtstamp", datetime.now(each.start.tzinfo))
        event.add("dtstart", each.start)
        event.add("dtend", each.end)
        event.add("summary", each.summary)
        event.add("location", each.location)
        event.add("description", each.description)
        event.add("sequence", sequence)
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        if organizer:
            event.add("organizer", f"mailto:{organizer}")
        calendar.add_component(event)
    return calendar.to_ical()


def message_bytes(email: Email, to: str, sender: str, reply_to: str, smtputf8: bool) -> bytes:
    """The message as it goes on the wire (CRLF line ends): multipart/mixed with the text and HTML alternatives
    and the .ics. Composed directly: every part is base64, so nothing needs folding or quoting, and the
    standard library's generator would spend more on that than the whole rest of a send (bench/send_rate.py).
    Addresses in their wire form; with SMTPUTF8 the headers may carry them in UTF-8 (RFC 6532)."""
    mark = secrets.token_hex(12)
    outer, inner = f"=_mixed_{mark}", f"=_alternative_{mark}"
    lines = [
        f"From: {_mailbox(email.sender_name, sender)}",
        f"To: {to}",
        f"Subject: {Header(email.subject, 'utf-8').encode(linesep=chr(13) + chr(10))}",
        f"Message-ID: {email.message_id}",
        f"Date: {formatdate(localtime=False)}",
        *([f"Reply-To: {reply_to}"] if reply_to else []),
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
    return "\r\n".join(lines).encode("utf-8" if smtputf8 else "ascii")


def _mailbox(name: str, address: str) -> str:
    """`Name <address>` with the name encoded if need be (formataddr itself takes ASCII addresses only)."""
    if not name:
        return address
    return f"{formataddr((name, 'x@x'))[:-len('<x@x>')]}<{address}>"


def _part(content_type: str, data: bytes, *headers: str) -> list[str]:
    encoded = base64.encodebytes(data).decode("ascii").rstrip("\n").split("\n")  # lines of 76
    return [f"Content-Type: {content_type}", "Content-Transfer-Encoding: base64", *headers, "", *encoded]


class SmtpMailer:
    def __init__(self, host: str, port: int, *, username: str = "", password: str = "", starttls: bool = False,
                 timeout: float = 10.0):
        self.host, self.port, self.username, self.password = host, port, username, password
        self.starttls, self.timeout = starttls, timeout

    def send(self, outgoing: Outgoing, point_of_no_return=lambda: None) -> None:
        """Hand the message to the server. `point_of_no_return` runs just before the final "." of DATA: until
        then a dropped connection means the server keeps nothing (RFC 5321 §4.1.1.4); from then on the server may
        have the whole message, and it certainly has it once it answers 250. The outbox records that moment, so a
        worker killed in between knows the outcome is in doubt."""
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                # The final dot goes in its own small write: without this, Nagle's algorithm holds it back
                # until the server's delayed ACK (~40 ms a message).
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password)
                _transaction(smtp, outgoing, point_of_no_return)
        except smtplib.SMTPRecipientsRefused as error:
            answers = error.recipients.values()
            raise _refusal(min(code for code, _ in answers),
                           "; ".join(f"{code} {_text(reply)}" for code, reply in answers)) from error
        except smtplib.SMTPResponseException as error:
            raise _refusal(error.smtp_code, f"{error.smtp_code} {_text(error.smtp_error)}") from error
        except (OSError, smtplib.SMTPException, socket.timeout) as error:
            raise TemporaryFailure(noted(Note.MAIL_UNREACHABLE, then=f"{self.host}:{self.port}: {error}")) from error


def _refusal(code: int, answer: str) -> Exception:
    """The server's answer, kept as it came: a 5xx refuses for good, anything else only for now."""
    if code >= 500:
        return PermanentFailure(noted(Note.MAIL_REFUSED, then=answer))
    return TemporaryFailure(noted(Note.MAIL_NOT_NOW, then=answer))


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply  # smtplib keeps bytes


def _transaction(smtp: smtplib.SMTP, outgoing: Outgoing, point_of_no_return) -> None:
    """MAIL, RCPT and DATA as smtplib.sendmail does them, with the final dot sent on its own."""
    smtp.ehlo_or_helo_if_needed()
    options = []
    if outgoing.smtputf8:
        if not smtp.has_extn("smtputf8"):
            raise AddressProblem(noted(Note.NO_SMTPUTF8, then=f"{smtp._host}: {outgoing.recipient}"))
        options = ["SMTPUTF8"]  # smtplib then sends the commands in UTF-8
    code, reply = smtp.mail(outgoing.sender, options)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, reply, outgoing.sender)
    code, reply = smtp.rcpt(outgoing.recipient)
    if code not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({outgoing.recipient: (code, reply)})
    code, reply = smtp.docmd("DATA")
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    content = outgoing.content  # base64 parts: no line starts with a dot, so nothing to dot-stuff
    smtp.send(content if content.endswith(b"\r\n") else content + b"\r\n")
    try:
        point_of_no_return()
    except BaseException:
        smtp.close()  # no final dot: the server keeps nothing (and QUIT would only be read as more of the message)
        raise
    try:
        smtp.send(b".\r\n")
        code, reply = smtp.getreply()
    except (OSError, smtplib.SMTPServerDisconnected) as error:
        raise OutcomeUnknown(noted(Note.MAIL_NO_ANSWER, then=error)) from error
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)


class SinkMailer:
    """Development: keeps each message as an .eml file under instance/mail for a person to read in the app.
    It behaves as a modern mail server: it offers SMTPUTF8, and a message is there whole or not at all (written
    aside, then renamed into place as the final write)."""

    smtputf8 = True

    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, outgoing: Outgoing, point_of_no_return=lambda: None) -> None:
        if outgoing.smtputf8 and not self.smtputf8:
            raise AddressProblem(noted(Note.NO_SMTPUTF8, then=f"sink: {outgoing.recipient}"))
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            name = outgoing.message_id.strip("<>").replace("/", "_")
            aside = self.folder / f".{name}.{secrets.token_hex(4)}.part"
            with os.fdopen(os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
                file.write(outgoing.content)  # a client's message: for the practice's eyes only
        except OSError as error:
            raise TemporaryFailure(noted(Note.MAIL_SINK_FAILED, then=f"{self.folder}: {error}")) from error
        try:
            point_of_no_return()
        except BaseException:
            aside.unlink()
            raise
        os.replace(aside, self.folder / f"{name}.eml")
