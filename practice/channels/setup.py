"""The mailer and the SMS gateway, chosen from the configuration, never by code changes."""
from pathlib import Path

from flask import Flask

from .email import SinkMailer, SmtpMailer
from .sms_gateways import KannelGateway, SinkGateway


def init_app(app: Flask, schedule_sink_report) -> None:
    """`schedule_sink_report(arguments, delay)`: how the development SMS sink has its report delivered later."""
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
        gateway = SinkGateway(schedule_sink_report)
    app.extensions["practice.mailer"] = mailer
    app.extensions["practice.sms_gateway"] = gateway
