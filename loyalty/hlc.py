"""Hybrid logical clock (Kulkarni et al. 2014) as one integer: wall milliseconds << 16 | counter.

Orders profile edits across stations for last-writer-wins. It never goes backwards when a
station's clock jumps back, and it moves past every clock it has seen, so an edit made after
reading another station's edit always sorts after it. Pure: the caller persists the value.

A clock from elsewhere is believed only up to MAX_AHEAD past the receiver's own wall clock:
HQ refuses events beyond it, a station adopts no more of HQ's clock than that. Without the bound
one device's clock at the end of the 63-bit range outranked every later edit in the group and,
adopted by every station, overflowed the next write's clock column.
"""
from __future__ import annotations

COUNTER_BITS = 16
MAX_AHEAD_MS = 5 * 60 * 1000          # a station clock a few minutes fast is normal, a day fast is not
CEILING = 7_258_118_400_000 << COUNTER_BITS   # 2200-01-01 UTC: no honest clock gets here; beyond it is damage


def from_wall(wall_ms: int) -> int:
    return wall_ms << COUNTER_BITS


def physical_ms(value: int) -> int:
    return value >> COUNTER_BITS


def counter(value: int) -> int:
    return value & ((1 << COUNTER_BITS) - 1)


def limit(wall_ms: int) -> int:
    """The highest clock a receiver whose wall clock reads `wall_ms` takes from elsewhere."""
    return from_wall(wall_ms + MAX_AHEAD_MS + 1) - 1


def plausible(value: int) -> bool:
    """False for a value no honest clock can hold: one kept from before the bound existed is ignored."""
    return 0 <= value < CEILING


def tick(last: int, wall_ms: int) -> int:
    """The clock for a local event: the wall time if it moved on, else one step past the last value.

    A counter overflow carries into the millisecond part, which keeps the order strict. A stored
    value past the ceiling (adopted from a hostile device before HQ checked clocks) is dropped and
    the clock restarts from the wall, so it can never run into the end of the 63-bit column.
    """
    return min(max((last if plausible(last) else 0) + 1, from_wall(wall_ms)), CEILING - 1)


def receive(last: int, remote: int, wall_ms: int) -> int:
    """The clock after seeing a remote value: past the local clock and the remote one, but never
    more than MAX_AHEAD past our own wall clock."""
    return max(tick(last, wall_ms), min(remote + 1, limit(wall_ms), CEILING - 1))


def after(value: int, seen: int) -> int:
    """`value`, or one step past `seen` when that is later: an edit sorts after the edit it overwrites,
    even when that one came from a clock ahead of ours (which the station's own clock did not adopt)."""
    return max(value, seen + 1) if plausible(seen) else value
