"""What the HQ process is told: where it is reached, and its mail and SMS settings.

`$LOYALTY_HOME/hq.toml` holds [smtp] and [sms] as a station's station.toml does, and [hq]
public_url: the address patients' phones and e-mail links use (`loyalty hq serve --public-url`
wins; without either, the address HQ listens at).
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field

from loyalty.config import home_dir
from sync.hq.patients.push import PUSH_HOSTS

DEFAULT_URL = "http://127.0.0.1:8600"


@dataclass(frozen=True)
class HqSettings:
    public_url: str = DEFAULT_URL
    smtp: dict = field(default_factory=dict)
    sms: dict = field(default_factory=dict)
    push: dict = field(default_factory=dict)     # [push] subject (mailto: or https:), hosts (more push services)

    @property
    def app_url(self) -> str:
        return f"{self.public_url.rstrip('/')}/app/"

    @property
    def push_hosts(self) -> tuple[str, ...]:
        return PUSH_HOSTS + tuple(self.push.get("hosts", ()))

    @property
    def push_subject(self) -> str:
        """Who push services may contact about HQ's messages (VAPID "sub"): mailto: or https: only."""
        if self.push.get("subject"):
            return self.push["subject"]
        if self.public_url.startswith("https://"):
            return self.public_url
        return f"mailto:{self.smtp.get('from', 'noreply@localhost')}"


def hq_file() -> dict:
    path = home_dir() / "hq.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def load_hq_settings() -> HqSettings:
    data = hq_file()
    url = (os.environ.get("LOYALTY_HQ_PUBLIC_URL") or data.get("hq", {}).get("public_url")
           or os.environ.get("LOYALTY_HQ_LISTEN") or DEFAULT_URL)
    return HqSettings(public_url=url, smtp=data.get("smtp", {}), sms=data.get("sms", {}), push=data.get("push", {}))
