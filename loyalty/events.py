"""In-process domain events (check-ins, settings changes) for live screens in the same station.

Handlers run on the publisher's thread after its transaction committed; a failing handler is
logged and never breaks the use case that published.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from loyalty import clock

log = logging.getLogger(__name__)
_handlers: list[Callable[["Event"], None]] = []
_lock = threading.Lock()


@dataclass(frozen=True)
class Event:
    kind: str                      # checked_in | program_changed | member_changed
    data: dict = field(default_factory=dict)
    at: datetime = field(default_factory=clock.now)


def subscribe(handler: Callable[[Event], None]) -> Callable[[], None]:
    with _lock:
        _handlers.append(handler)

    def unsubscribe() -> None:
        with _lock:
            if handler in _handlers:
                _handlers.remove(handler)
    return unsubscribe


def publish(event: Event) -> None:
    with _lock:
        handlers = list(_handlers)
    for handler in handlers:
        try:
            handler(event)
        except Exception:  # a broken screen must not break a check-in
            log.exception("event handler failed for %s", event.kind)
