"""What text every database of the product can hold. Pure.

PostgreSQL text holds no NUL and its JSON no lone surrogate (JSON allows "\\ud800"); SQLite's driver
cannot encode a lone surrogate either. Text from outside (a pushed record, a request) is checked
here before it reaches a query, so it is refused with a reason, never answered with a 500.
"""
from __future__ import annotations


def storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text
