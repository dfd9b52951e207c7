"""SMS gateways behind one interface: `send` hands a message over, `read_report` reads a delivery report.

Outcomes are our own words (the statuses of the message log), whatever the gateway calls them; failures are notes
(enums.Note) with the gateway's own answer after them.
"""
import http.client
import socket
import urllib.parse
from dataclasses import dataclass
from typing import Protocol

from ..enums import Note, noted
from .outcome import OutcomeUnknown


@dataclass(frozen=True)
class Sms:
    reference: str  # our message id: it comes back in the delivery report
    to: str  # E.164
    sender: str
    text: str
    unicode: bool


@dataclass(frozen=True)
class Report:
    """A delivery report in our words: `status` is a MessageStatus value."""

    reference: str
    status: str
    detail: str = ""


class SmsFailure(Exception):
    """The gateway did not take the message. `status` says how the log shows it; `retry` whether trying
    again later may help (only when the request certainly did not reach the gateway, or it said so)."""

    def __init__(self, status: str, detail: str, *, retry: bool):
        super().__init__(detail)
        self.status, self.detail, self.retry = status, detail, retry


class SmsGateway(Protocol):
    name: str

    def send(self, sms: Sms, report_url: str) -> str | None:
        """Hand the message over; returns the gateway's reference, if it gives one. Raises SmsFailure or
        OutcomeUnknown."""

    def read_report(self, arguments: dict[str, str]) -> Report:
        """Our words for a delivery report's query arguments; ValueError if it is malformed."""


class KannelGateway:
    """Kannel's smsbox HTTP interface `/cgi-bin/sendsms`, with delivery reports to a `dlr-url`
    (Kannel's user guide, "SMS Push": 202 Accepted means queued, not sent; the final word comes by DLR)."""

    name = "kannel"
    # Kannel DLR types: 1 delivered, 2 undeliverable, 4 queued at the SMSC, 8 accepted by the SMSC, 16 rejected.
    DLR_STATUS = {"1": "delivered", "2": "undeliverable", "4": "handed_over", "8": "handed_over",
                  "16": "provider_refused"}

    def __init__(self, url: str, username: str, password: str, timeout: float = 10.0):
        self.url, self.username, self.password, self.timeout = url, username, password, timeout
        parts = urllib.parse.urlsplit(url)
        self._connection = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        self._host, self._port, self._path = parts.hostname, parts.port, parts.path or "/cgi-bin/sendsms"
        self._login = urllib.parse.urlencode({"username": username, "password": password, "dlr-mask": "31"})

    def send(self, sms: Sms, report_url: str) -> str | None:
        arguments = {"from": sms.sender, "to": sms.to.lstrip("+"), "text": sms.text,
                     # Kannel fills in %d (type) and %A (its answer) when it calls back.
                     "dlr-url": f"{report_url}{'&' if '?' in report_url else '?'}type=%d&answer=%A"}
        if sms.unicode:
            arguments |= {"coding": "2", "charset": "UTF-8"}
        connection = self._connection(self._host, self._port, timeout=self.timeout)
        try:
            try:
                connection.connect()
            except OSError as error:  # refused, no route, or no answer to connect: Kannel never saw it
                raise SmsFailure("unreachable", noted(Note.GATEWAY_UNREACHABLE, then=error), retry=True) from error
            try:
                connection.request("GET", f"{self._path}?{self._login}&{urllib.parse.urlencode(arguments)}")
                response = connection.getresponse()
                answer = response.read().decode("utf-8", "replace").strip()
            except (TimeoutError, socket.timeout) as error:
                raise OutcomeUnknown(noted(Note.GATEWAY_NO_ANSWER, f"{self.timeout:g}")) from error
            except (OSError, http.client.HTTPException) as error:
                raise OutcomeUnknown(noted(Note.GATEWAY_LOST, then=error)) from error
        finally:
            connection.close()
        if response.status == 403:
            raise SmsFailure("provider_error", noted(Note.GATEWAY_LOGIN, then=answer), retry=False)
        if response.status >= 500:
            raise SmsFailure("provider_error", noted(Note.GATEWAY_ERROR, then=f"{response.status} {answer}"),
                             retry=False)
        if response.status >= 400:
            raise SmsFailure("provider_refused", noted(Note.GATEWAY_REFUSED, then=f"{response.status} {answer}"),
                             retry=False)
        return None  # Kannel gives no id of its own; our reference travels in the dlr-url

    def read_report(self, arguments: dict[str, str]) -> Report:
        kind = arguments.get("type", "")
        if kind not in self.DLR_STATUS or not arguments.get("ref"):
            raise ValueError("not a Kannel delivery report")
        answer = arguments.get("answer", "")
        status = self.DLR_STATUS[kind]
        if kind == "2" and "stat:EXPIRED" in answer:
            status = "expired"
        elif kind == "2" and "stat:REJECTD" in answer:
            status = "rejected"
        return Report(arguments["ref"], status, answer[:300])


class SinkGateway:
    """Development: keeps the SMS in the app and reports delivery a few seconds later, with failures for test
    numbers ending in 01 (undeliverable), 02 (rejected by the recipient) and 03 (deadline expired)."""

    name = "sink"
    OUTCOMES = {"01": "undeliverable", "02": "rejected", "03": "expired"}

    def __init__(self, schedule_report):
        self.schedule_report = schedule_report  # (arguments, delay in seconds) -> None

    def send(self, sms: Sms, report_url: str) -> str | None:
        outcome = self.OUTCOMES.get(sms.to[-2:], "delivered")
        self.schedule_report({"ref": sms.reference, "outcome": outcome}, 3)
        return f"sink-{sms.reference}"

    def read_report(self, arguments: dict[str, str]) -> Report:
        outcome = arguments.get("outcome", "")
        if outcome not in {*self.OUTCOMES.values(), "delivered"} or not arguments.get("ref"):
            raise ValueError("not a sink delivery report")
        return Report(arguments["ref"], outcome, noted(Note.SMS_SINK_REPORT))
