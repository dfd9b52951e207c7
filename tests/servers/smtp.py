"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives, and can be stopped for a while."""
import asyncio
import email
import email.policy
import random
import threading

from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str], list[str]]] = []  # sender, recipients, MAIL options
        self.lock = threading.Lock()
        self.reply_delay = 0.0  # up to this many seconds between the final dot and the answer
        self.hang_up_after_data = 0  # this many times: take the whole message, then drop the line unanswered
        self.refusal = ""  # while set, the answer to every RCPT TO, such as "550 5.1.1 …"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refusal:
            return self.refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(parsed)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), list(envelope.mail_options)))
        if self.hang_up_after_data:
            self.hang_up_after_data -= 1
            server.transport.close()
            return "421 gone"  # never reaches the client
        if self.reply_delay:
            await asyncio.sleep(random.uniform(0, self.reply_delay))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


class SmtpServer:
    def __init__(self, port: int, smtputf8: bool = True):
        self.port, self.inbox, self.controller, self.smtputf8 = port, Inbox(), None, smtputf8

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port,
                                     enable_SMTPUTF8=self.smtputf8)
        self.controller.start()
        return self

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None
