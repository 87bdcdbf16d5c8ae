"""The postman of the patients' app: its letters leave through HQ's channels on a background
thread, so no screen waits for a mail server and a slow one delays no answer."""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from loyalty.adapters.channels import Channel, DeliveryError, DeliveryUncertain, Outgoing
from sync.hq.patients.postbox import Letter

log = logging.getLogger(__name__)


class Postman:
    def __init__(self, channels: dict[str, Channel]):
        self.channels = channels
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hq-letters")

    @property
    def available(self) -> frozenset[str]:
        return frozenset(self.channels)

    def post(self, letter: Letter) -> None:
        self.pool.submit(self.send, letter)

    def send(self, letter: Letter) -> str | None:
        """Deliver now; the provider's reference, or None when it did not go (logged)."""
        channel = self.channels.get(letter.channel)
        if channel is None:
            log.warning("no %s channel set up at HQ: letter %s not sent", letter.channel, letter.reference)
            return None
        r = letter.rendered
        try:
            return channel.send(Outgoing(letter.reference, letter.to, r.subject, r.text, r.html, r.sms))
        except (DeliveryError, DeliveryUncertain) as exc:
            log.warning("letter %s by %s not sent: %s", letter.reference, letter.channel, exc)
            return None
