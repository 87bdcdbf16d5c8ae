"""How a typed search becomes index ranges and how hits rank: the desk's rules, also HQ's. Pure.

Each key is its own range on an index (`name_key`, `last_key`, `email`, `phone_key`) read up to
`limit` rows, however many members a short prefix matches. Ranking: members whose whole first
name, full name, last name, e-mail or number was typed come first, then prefix matches on the full
name, the last name, the e-mail; each in its index's order. Every range returns its best rows
first, so merging `limit` rows of each gives the overall best.
"""
from __future__ import annotations

from typing import Callable, Protocol, TypeVar

from loyalty.contacts import fold, phone_search_key

MIN_CHARS = 2


class Hit(Protocol):
    id: str


H = TypeVar("H", bound=Hit)


def search_ranges(query: str) -> list[tuple[str, str]]:
    """(column, prefix) to read, in rank order; none for fewer than two characters."""
    text = query.strip()
    if len(text) < MIN_CHARS:
        return []
    if "@" in text:
        ranges = [("email", text.lower())]
    elif sum(ch.isdigit() for ch in text) >= 3 and not any(ch.isalpha() for ch in text):
        ranges = [("phone_key", phone_search_key(text))]
    else:
        key = fold(text)
        ranges = [("name_key", key), ("last_key", key), ("email", text.lower())]
    return [(column, prefix) for column, prefix in ranges if prefix]


def best_hits(query: str, limit: int, read: Callable[[str, str, int], list[H]]) -> list[H]:
    """The best `limit` members for `query`; `read(column, prefix, limit)` returns one range's rows in
    index order, each with the search columns as attributes."""
    if limit < 1:
        return []
    best: dict[str, tuple[tuple[int, int, int], H]] = {}
    for source, (column, prefix) in enumerate(search_ranges(query)):
        for position, row in enumerate(read(column, prefix, limit)):
            rank = (0 if typed_whole(getattr(row, column) or "", column, prefix) else 1, source, position)
            if row.id not in best or rank < best[row.id][0]:
                best[row.id] = (rank, row)
    return [row for _, row in sorted(best.values(), key=lambda hit: hit[0])[:limit]]


def typed_whole(value: str, column: str, prefix: str) -> bool:
    """The whole first name, full name, last name, e-mail or number was typed, not just its start."""
    return value == prefix or (column == "name_key" and value.startswith(prefix + " "))


def prefix_end(prefix: str) -> str:
    """The smallest text above every text that starts with `prefix` (comparing code points).

    A prefix of nothing but U+10FFFF has no such bound and gets an empty range: no name is made of it.
    """
    head = prefix.rstrip(chr(0x10FFFF))
    if not head:
        return prefix
    following = ord(head[-1]) + 1
    return head[:-1] + chr(0xE000 if 0xD800 <= following <= 0xDFFF else following)   # surrogates are no text
