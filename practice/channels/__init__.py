"""The ways out: e-mail over SMTP (or the development sink) and SMS gateways behind one interface."""
from pathlib import Path

from flask import Flask


class OutcomeUnknown(Exception):
    """The message went out but no answer came back: it may have arrived. Never resend blindly."""


def init_app(app: Flask) -> None:
    """Choose the mailer and the SMS gateway from the configuration (notes: never by code changes)."""
    from .email import SinkMailer, SmtpMailer
    from .sms_gateways import KannelGateway, SinkGateway

    config = app.config
    if config["MAIL_BACKEND"] == "smtp":
        mailer = SmtpMailer(config["SMTP_HOST"], config["SMTP_PORT"], username=config["SMTP_USERNAME"],
                            password=config["SMTP_PASSWORD"], starttls=config["SMTP_STARTTLS"],
                            timeout=config["SMTP_TIMEOUT"])
    else:
        mailer = SinkMailer(Path(app.instance_path) / "mail")
    if config["SMS_GATEWAY"] == "kannel":
        gateway = KannelGateway(config["KANNEL_SENDSMS_URL"], config["KANNEL_USERNAME"], config["KANNEL_PASSWORD"],
                                timeout=config["SMS_TIMEOUT"])
    else:
        gateway = SinkGateway(_schedule_sink_report)
    app.extensions["practice.mailer"] = mailer
    app.extensions["practice.sms_gateway"] = gateway


def _schedule_sink_report(reference: str, arguments: dict, delay: int) -> None:
    from ..tasks import deliver_sink_report

    deliver_sink_report.schedule((arguments,), delay=delay)
