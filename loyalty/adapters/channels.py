"""How a message leaves the station: e-mail over SMTP, SMS through a provider's HTTP API.

Every channel raises one of three outcomes besides success, so the sender never guesses:
DeliveryError(permanent=False) try again later, DeliveryError(permanent=True) give up,
DeliveryUncertain it may have gone out: staff check, nobody resends blindly.
"""
from __future__ import annotations

import email.policy
import smtplib
import ssl
import tomllib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Protocol

import requests

from loyalty.config import Config


class DeliveryError(Exception):
    def __init__(self, reason: str, permanent: bool = False):
        super().__init__(reason)
        self.permanent = permanent


class DeliveryUncertain(Exception):
    """The provider may have accepted the message before the connection broke."""


@dataclass(frozen=True)
class Outgoing:
    message_id: str
    to: str                        # e-mail address or E.164 number
    subject: str
    text: str
    html: str | None = None
    sms: str = ""
    images: tuple[tuple[str, bytes], ...] = ()   # (content id, PNG) shown inline in the HTML
    unsubscribe_url: str | None = None


class Channel(Protocol):
    name: str

    def send(self, message: Outgoing) -> str:
        """Deliver; returns the provider's reference (Message-ID, SMS id)."""


# --- e-mail -------------------------------------------------------------------------------------

@dataclass
class SmtpChannel:
    """Plain smtplib. Settings from [smtp] in station.toml: host, port, from, from_name, user,
    password, security ("starttls", "ssl" or "none"), timeout."""
    host: str
    port: int = 587
    sender: str = "noreply@localhost"
    sender_name: str = ""
    user: str | None = None
    password: str | None = None
    security: str = "starttls"
    timeout: float = 30.0
    name: str = field(default="email", init=False)

    @classmethod
    def from_settings(cls, smtp: dict) -> "SmtpChannel":
        return cls(host=smtp["host"], port=int(smtp.get("port", 587)), sender=smtp.get("from", "noreply@localhost"),
                   sender_name=smtp.get("from_name", ""), user=smtp.get("user"), password=smtp.get("password"),
                   security=smtp.get("security", "starttls"), timeout=float(smtp.get("timeout", 30)))

    def build(self, message: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = formataddr((self.sender_name, self.sender)) if self.sender_name else self.sender
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail["Message-ID"] = make_msgid(idstring=message.message_id, domain=self.sender.split("@")[-1])
        mail["X-Loyalty-Message"] = message.message_id
        if message.unsubscribe_url:
            mail["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
            mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        mail.set_content(message.text)
        if message.html:
            mail.add_alternative(message.html, subtype="html")
            html_part = mail.get_payload()[1]
            for cid, png in message.images:
                html_part.add_related(png, "image", "png", cid=f"<{cid}>", filename=f"{cid}.png")
        return mail

    def send(self, message: Outgoing) -> str:
        mail = self.build(message)
        try:
            server = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"cannot reach {self.host}:{self.port}: {exc}") from exc
        try:
            try:
                code, reply = server.mail(self.sender)
                if code != 250:
                    raise DeliveryError(f"MAIL FROM refused: {code} {reply!r}", permanent=code >= 500)
                code, reply = server.rcpt(message.to)
                if code not in (250, 251):
                    raise DeliveryError(f"recipient refused: {code} {reply!r}", permanent=code >= 500)
            except (OSError, smtplib.SMTPServerDisconnected) as exc:
                raise DeliveryError(f"connection lost before the message: {exc}") from exc
            try:
                code, reply = server.data(mail.as_bytes(policy=email.policy.SMTP))
            except smtplib.SMTPDataError as exc:
                raise DeliveryError(f"DATA refused: {exc.smtp_code}", permanent=exc.smtp_code >= 500) from exc
            except (OSError, smtplib.SMTPServerDisconnected) as exc:
                raise DeliveryUncertain(f"connection lost while the server took the message: {exc}") from exc
            if code != 250:
                raise DeliveryError(f"message refused: {code} {reply!r}", permanent=code >= 500)
            return mail["Message-ID"]
        finally:
            try:
                server.quit()
            except (OSError, smtplib.SMTPException):
                server.close()

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            server = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                      context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            server.ehlo()
            if self.security == "starttls":
                server.starttls(context=ssl.create_default_context())
                server.ehlo()
        if self.user:
            server.login(self.user, self.password or "")
        return server


# --- SMS ----------------------------------------------------------------------------------------

class SmsProvider(Protocol):
    def send_sms(self, to: str, text: str, reference: str) -> str:
        """Hand one SMS to the provider; returns its id. Raises DeliveryError / DeliveryUncertain."""


@dataclass
class HttpSmsProvider:
    """A provider with a JSON API: POST {to, from, text, reference} with a bearer token, answer
    {"id": ...}. 2xx sent, 429 and 5xx try again, other 4xx give up, a lost answer is uncertain."""
    url: str
    token: str = ""
    sender: str = ""
    timeout: float = 15.0

    def send_sms(self, to: str, text: str, reference: str) -> str:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = {"to": to, "from": self.sender, "text": text, "reference": reference}
        try:
            response = requests.post(self.url, json=body, headers=headers, timeout=self.timeout)
        except (requests.ConnectTimeout, requests.ReadTimeout, requests.ConnectionError) as exc:
            if isinstance(exc, requests.ConnectTimeout) or _never_connected(exc):
                raise DeliveryError(f"SMS provider not reachable: {exc}") from exc
            raise DeliveryUncertain(f"SMS provider did not answer: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise DeliveryError(f"SMS provider busy: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise DeliveryError(f"SMS refused: HTTP {response.status_code} {response.text[:200]}", permanent=True)
        try:
            return str(response.json()["id"])
        except (ValueError, KeyError, TypeError):
            return f"http-{response.status_code}"


def _never_connected(exc: Exception) -> bool:
    """Refused or unresolvable: the request never left, so a retry cannot send twice."""
    from urllib3.exceptions import NewConnectionError
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, NewConnectionError)


@dataclass
class SmsChannel:
    provider: SmsProvider
    name: str = field(default="sms", init=False)

    def send(self, message: Outgoing) -> str:
        return self.provider.send_sms(message.to, message.sms, message.message_id)


# --- configuration ------------------------------------------------------------------------------

def station_sections(config: Config) -> dict:
    """[sms] and [messages] of station.toml (Config carries [smtp] itself)."""
    path = config.home / "station.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def channels_from_config(config: Config) -> dict[str, Channel]:
    """The channels this station can use: e-mail when [smtp] has a host, SMS when [sms] has a url."""
    return channels_from_sections(config.smtp, station_sections(config).get("sms", {}))


def channels_from_sections(smtp: dict, sms: dict) -> dict[str, Channel]:
    """Channels from [smtp] and [sms] settings (station.toml at a station, hq.toml at HQ)."""
    channels: dict[str, Channel] = {}
    if smtp.get("host"):
        channels["email"] = SmtpChannel.from_settings(smtp)
    if sms.get("url"):
        channels["sms"] = SmsChannel(HttpSmsProvider(sms["url"], sms.get("token", ""), sms.get("from", ""),
                                                     float(sms.get("timeout", 15))))
    return channels


def public_url(config: Config) -> str:
    """Where patients reach the station's unsubscribe page: [messages] public_url, else host:port."""
    url = station_sections(config).get("messages", {}).get("public_url")
    return (url or f"http://{config.host}:{config.port}").rstrip("/")


def app_url(config: Config) -> str | None:
    """Where patients reach the group's app at HQ: [hq] app_url, else HQ's address + /app/; None for a
    station that is not linked to an HQ."""
    url = config.hq.get("app_url") or (f"{config.hq['url'].rstrip('/')}/app/" if config.hq.get("url") else None)
    return None if url is None else url.rstrip("/") + "/"
