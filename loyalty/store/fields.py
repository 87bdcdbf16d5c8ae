"""Column types shared by the models."""
from __future__ import annotations

from datetime import datetime, timezone

import peewee

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class UtcDateTimeField(peewee.TextField):
    """Aware UTC datetimes stored as fixed-width ISO text, so text order is time order."""

    def db_value(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store times as timezone-aware UTC")
        return value.astimezone(timezone.utc).strftime(_FORMAT)

    def python_value(self, value: str | None) -> datetime | None:
        if value is None:
            return None
        return datetime.strptime(value, _FORMAT).replace(tzinfo=timezone.utc)


def as_utc(value: str | datetime | None) -> datetime | None:
    """An aggregate such as MAX(created_at) may come back as text or already converted."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.strptime(value, _FORMAT).replace(tzinfo=timezone.utc)
