"""WedgeBuffer: scanner-speed keystrokes make a code, human-speed ones do not."""

from loyalty.adapters.wedge import WedgeBuffer

CODE = "LY1:ABCDEFGHIJKLMN23:ABCDEFGH2345"


def type_keys(buf: WedgeBuffer, keys: list[str], start: float, gap: float) -> list[str]:
    out = [buf.key(k, start + i * gap) for i, k in enumerate(keys)]
    return [c for c in out if c is not None]


def test_scanner_speed_code_completes_on_enter():
    assert type_keys(WedgeBuffer(), [*CODE, "Enter"], 0.0, 0.01) == [CODE]
    assert type_keys(WedgeBuffer(), [*CODE, "\r"], 0.0, 0.01) == [CODE]


def test_human_typing_is_discarded():
    assert type_keys(WedgeBuffer(), [*CODE, "Enter"], 0.0, 0.2) == []


def test_long_gap_restarts_the_buffer():
    buf = WedgeBuffer()
    assert type_keys(buf, list("XYZ"), 0.0, 0.2) == []
    assert type_keys(buf, [*CODE, "Enter"], 5.0, 0.01) == [CODE]


def test_two_codes_in_a_row_and_non_character_keys():
    buf = WedgeBuffer()
    assert type_keys(buf, ["Shift", *CODE, "Enter"], 0.0, 0.01) == [CODE]
    assert type_keys(buf, [*CODE, "\n"], 1.0, 0.01) == [CODE]


def test_stray_enter_yields_nothing():
    assert type_keys(WedgeBuffer(), ["a", "Enter"], 0.0, 0.01) == []
