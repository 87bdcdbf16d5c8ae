"""Web Push to a browser's push service: VAPID-signed, payload encrypted for the device (RFC 8291)
with pywebpush. The push service (Google's, Mozilla's, Apple's) delivers it to the phone."""
from __future__ import annotations

import logging

import requests
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

log = logging.getLogger(__name__)
TTL = 24 * 3600          # the push service keeps an undelivered message a day (the phone may be off)


class WebPush:
    """Sends one payload to one subscription; "sent", "gone" (the subscription no longer exists) or "failed"."""

    def __init__(self, private_pem: str, subject: str, timeout: float = 10.0):
        self.key = Vapid02.from_pem(private_pem.encode())
        self.subject = subject
        self.timeout = timeout

    def __call__(self, target, payload: str) -> str:
        info = {"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}}
        try:
            webpush(info, data=payload, vapid_private_key=self.key, vapid_claims={"sub": self.subject}, ttl=TTL,
                    timeout=self.timeout)
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            log.warning("web push to %s refused: %s", target.endpoint[:60], status or exc)
            return "gone" if status in (404, 410) else "failed"
        except requests.RequestException as exc:
            log.warning("web push to %s not delivered: %s", target.endpoint[:60], exc)
            return "failed"
        return "sent"
