"""Hybrid logical clock (Kulkarni et al. 2014) as one integer: wall milliseconds << 16 | counter.

Orders profile edits across stations for last-writer-wins. It never goes backwards when a
station's clock jumps back, and it moves past every clock it has seen, so an edit made after
reading another station's edit always sorts after it. Pure: the caller persists the value.
"""
from __future__ import annotations

COUNTER_BITS = 16


def from_wall(wall_ms: int) -> int:
    return wall_ms << COUNTER_BITS


def physical_ms(value: int) -> int:
    return value >> COUNTER_BITS


def counter(value: int) -> int:
    return value & ((1 << COUNTER_BITS) - 1)


def tick(last: int, wall_ms: int) -> int:
    """The clock for a local event: the wall time if it moved on, else one step past the last value.

    A counter overflow carries into the millisecond part, which keeps the order strict.
    """
    return max(last + 1, from_wall(wall_ms))


def receive(last: int, remote: int, wall_ms: int) -> int:
    """The clock after seeing a remote value: past both the local and the remote clock."""
    return max(last + 1, remote + 1, from_wall(wall_ms))
