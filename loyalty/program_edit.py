"""Editing a program by field, checking it, and saying what changed. Pure: text in, text out.

The station's settings screen and the HQ console both edit a program this way, so both refuse the
same things with the same words: field edits go into the TOML document (tomlkit keeps comments and
layout), and the result is validated by `parse_program` exactly like a file, German-law refusals of
the compliance profile included. A refusal names the field the screens show.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

import tomlkit

from loyalty.errors import Refused
from loyalty.i18n import t
from loyalty.program import Problem, Program, ProgramError, parse_program

SCALAR_SECTIONS = ("program", "points", "stamps", "checkin", "messages")
LIST_SECTIONS = ("tiers", "catalogue", "rewards", "plans")
NUMBER_KEYS = ("cooldown_hours", "multiplier")   # whole or decimal numbers in the program file
# The program's single-value rules both editors show, in this order; labelled by `program.rule.<key>`.
RULES = ("points.per_euro", "points.redeem_points", "points.redeem_value_cents", "points.signup_bonus",
         "points.referral_bonus", "points.birthday_bonus", "points.expiry_months", "stamps.per_card",
         "checkin.cooldown_hours", "checkin.daily_limit", "checkin.flag_transactions_per_day")


class SettingInvalid(Refused):
    """A change the program's validation refuses: every problem, named by the field the settings
    screen shows, each said in the reader's language."""

    def __init__(self, problems: list[tuple[str, Problem]]):
        field, first = problems[0]
        super().__init__("setting_invalid", field=field, message=first.message)
        self.problems = problems

    def message(self, lang: str = "en") -> str:
        field, first = self.problems[0]
        return t("refused.setting_invalid", lang, field=field, message=first.text(lang))

    def by_field(self, lang: str = "en") -> dict[str, str]:
        """Field name -> its problem(s) in words, for the text next to each field."""
        out: dict[str, str] = {}
        for field, problem in self.problems:
            out[field] = f"{out[field]}; {problem.text(lang)}" if field in out else problem.text(lang)
        return out


@dataclass(frozen=True)
class Edited:
    text: str
    changed: list[str]


@dataclass(frozen=True)
class Change:
    """One field that differs between two programs; None on one side: added or removed."""
    field: str
    before: object
    after: object


def rule_values(program: Program) -> dict[str, object]:
    """The value of each of RULES in `program`, by its field name."""
    return {
        "points.per_euro": program.points_per_euro, "points.redeem_points": program.redeem_points,
        "points.redeem_value_cents": program.redeem_value_cents, "points.signup_bonus": program.signup_bonus,
        "points.referral_bonus": program.referral_bonus, "points.birthday_bonus": program.birthday_bonus,
        "points.expiry_months": program.expiry_months, "stamps.per_card": program.stamps_per_card,
        "checkin.cooldown_hours": program.cooldown_hours, "checkin.daily_limit": program.daily_limit,
        "checkin.flag_transactions_per_day": program.flag_transactions_per_day,
    }


def edit_program(toml_text: str, changes: dict[str, object]) -> Edited:
    """Apply field edits such as {"points.per_euro": "2", "tiers.silver.threshold": "900"}.

    Keys are `section.key` for the scalar sections, `section.<code>.key` for tiers, catalogue,
    rewards and plans, and `catalogue.<code>.aftercare.<touch point>` for aftercare days. Values may
    be text from a form; they are converted to the type the field has now. Refuses an edit that
    changes nothing; the result is not validated yet (`check_program`).
    """
    if not changes:
        raise Refused("settings_nothing")
    doc = tomlkit.parse(toml_text)
    changed = []
    for path, raw in changes.items():
        table, key = _locate(doc, path)
        value = _convert(path, table.get(key), raw)
        if table.get(key) != value:
            table[key] = value
            changed.append(path)
    if not changed:
        raise Refused("settings_nothing")
    return Edited(tomlkit.dumps(doc), changed)


def check_program(toml_text: str, source: str = "settings") -> Program:
    """The program, or SettingInvalid naming each wrong field as the settings screens show it."""
    try:
        return parse_program(toml_text, source=source)
    except ProgramError as exc:
        raise SettingInvalid([(_field_name(p.key, toml_text), p) for p in exc.problems]) from None


def differences(before_text: str, after_text: str) -> list[Change]:
    """Every field that differs, named as the settings screens name them (`rewards.<code>.cost_points`).

    Entries of tiers, catalogue, rewards and plans are matched by code, so reordering is no change
    and a new reward shows as added. Comments and layout are no change either.
    """
    return sorted(_diff(_flat(tomllib.loads(before_text)), _flat(tomllib.loads(after_text))), key=lambda c: c.field)


def _flat(data: dict) -> dict[str, object]:
    out: dict[str, object] = {}
    for section, value in data.items():
        if section in LIST_SECTIONS and isinstance(value, list):
            for i, entry in enumerate(value):
                code = entry.get("code", str(i + 1)) if isinstance(entry, dict) else str(i + 1)
                out[f"{section}.{code}"] = entry
        else:
            out[section] = value
    return out


def _diff(before: dict, after: dict, prefix: str = "") -> list[Change]:
    changes = []
    for key in sorted(set(before) | set(after), key=str):
        name = f"{prefix}{key}"
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            changes += _diff(old, new, name + ".")
        else:
            changes.append(Change(name, old, new))
    return changes


def _locate(doc, path: str):
    parts = path.split(".")
    if len(parts) == 2 and parts[0] in SCALAR_SECTIONS:
        section = doc.get(parts[0])
        if section is None:
            doc[parts[0]] = tomlkit.table()
            section = doc[parts[0]]
        return section, parts[1]
    if len(parts) in (3, 4) and parts[0] in LIST_SECTIONS:
        for entry in doc.get(parts[0], []):
            if entry.get("code") == parts[1]:
                if parts[2] == "code":
                    break
                if len(parts) == 3:
                    return entry, parts[2]
                if parts[2] == "aftercare" and parts[0] == "catalogue":
                    if entry.get("aftercare") is None:
                        entry["aftercare"] = tomlkit.inline_table()
                    return entry["aftercare"], parts[3]
                break
    raise Refused("setting_unknown", field=path)


def _convert(path: str, current, raw):
    """Form text to the field's type: a number stays a number, true/false a bool, a list a list."""
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if isinstance(current, bool):
        if text.lower() in ("true", "yes", "ja", "1"):
            return True
        if text.lower() in ("false", "no", "nein", "0"):
            return False
        raise Refused("setting_invalid", field=path, message="true / false")
    if path.rsplit(".", 1)[-1] in NUMBER_KEYS:
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise Refused("setting_not_number", field=path) from None
        return int(number) if number.is_integer() else number
    if isinstance(current, int) or (current is None and ".aftercare." in path):
        try:
            return int(text)
        except ValueError:
            raise Refused("setting_not_whole", field=path) from None
    if isinstance(current, list):
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def _field_name(key: str, text: str) -> str:
    """`tiers[1].threshold` -> `tiers.silver.threshold`, the name the settings screen uses."""
    match = re.match(r"(\w+)\[(\d+)\](.*)", key)
    if not match:
        return key
    section, index, rest = match.group(1), int(match.group(2)), match.group(3)
    try:
        entries = tomlkit.parse(text).get(section, [])
        code = entries[index].get("code") or str(index + 1)
    except Exception:  # the text itself may be what is broken; the index still names the entry
        code = str(index + 1)
    return f"{section}.{code}{rest}"
