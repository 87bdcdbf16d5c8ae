"""Debouncer: frame reads become check-ins, with an injected clock."""

from hypothesis import given
from hypothesis import strategies as st

from loyalty.adapters.debounce import Debouncer

A, B = "LY1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAA", "LY1:BBBBBBBBBBBBBBBB:BBBBBBBBBBBB"
DT = 0.1  # 10 fps


def run(deb: Debouncer, frames: list[set[str]], start: float = 0.0) -> list[tuple[int, str]]:
    return [(i, code) for i, texts in enumerate(frames) for code in deb.feed(texts, start + i * DT)]


def test_needs_two_of_last_three_frames():
    assert run(Debouncer(), [{A}, set(), set(), {A}, set(), set()]) == []
    assert run(Debouncer(), [{A}, set(), {A}]) == [(2, A)]
    assert run(Debouncer(), [{A}, {A}]) == [(1, A)]


def test_code_held_in_view_counts_once():
    assert run(Debouncer(), [{A}] * 100) == [(1, A)]


def test_short_gaps_do_not_rearm_but_long_absence_does():
    deb = Debouncer(absent_s=1.5)
    frames = [{A}] * 5 + [set()] * 10 + [{A}] * 5  # out of view 1.0 s
    assert run(deb, frames) == [(1, A)]
    frames = [set()] * 16 + [{A}] * 3  # now out of view 1.6 s more
    assert run(deb, frames, start=2.0) == [(17, A)]


def test_other_code_passes_while_first_is_locked():
    assert run(Debouncer(), [{A}, {A}, {A, B}, {A, B}, {B}]) == [(1, A), (3, B)]


def test_min_interval_keeps_lock_after_absence():
    deb = Debouncer(absent_s=0.5, min_interval_s=5.0)
    frames = [{A}, {A}] + [set()] * 10 + [{A}, {A}]  # back after 1 s: still within 5 s
    assert run(deb, frames) == [(1, A)]
    assert deb.feed({A}, 6.0) == [] and deb.feed({A}, 6.1) == []  # seen at 6.0 keeps the lock
    assert [deb.feed(texts, t) for texts, t in [(set(), 6.6), (set(), 7.0), ({A}, 7.1), ({A}, 7.2)]] == [
        [],
        [],
        [],
        [A],
    ]


def test_hold_refreshes_lock_but_accepts_nothing():
    deb = Debouncer(absent_s=1.5)
    assert run(deb, [{A}, {A}]) == [(1, A)]
    for i in range(30):  # welcome screen shows 3 s; card A still held, card B presented
        deb.hold({A, B}, 0.2 + i * DT)
    assert deb.feed({A, B}, 3.2) == [B]


@given(st.lists(st.sets(st.sampled_from([A, B])), max_size=60))
def test_never_accepts_a_code_twice_without_an_absence(frames):
    accepted = run(Debouncer(absent_s=1.5), frames)
    for (i, code), (j, again) in zip(accepted, accepted[1:]):
        if code == again:
            gap = [k for k in range(i + 1, j) if code not in frames[k]]
            assert len(gap) * DT >= 1.5 - 1e-9
    for i, code in accepted:
        assert code in frames[i]
