"""Program settings edited in the staff app: the same TOML, the same validation, a new version at once.

Edits go into the stored TOML document (tomlkit keeps its comments and layout), the result is
validated by `parse_program` exactly like a file, and stored with `store_program`, so kiosk and
staff app use it from the next call on. A refusal names the field that is wrong.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import tomlkit

from loyalty.compliance import CATEGORIES, REWARD_KINDS, Compliance
from loyalty.errors import Refused
from loyalty.i18n import t
from loyalty.program import Problem, Program, ProgramError, parse_program
from loyalty.services.context import Actor, current_program, program_version, require_manager, store_program
from loyalty.store import ProgramVersion, write

SCALAR_SECTIONS = ("program", "points", "stamps", "checkin")
LIST_SECTIONS = ("tiers", "catalogue", "rewards", "plans")
NUMBER_KEYS = ("cooldown_hours", "multiplier")   # whole or decimal numbers in the program file


@dataclass(frozen=True)
class ComplianceRow:
    """One category of the profile: does it earn points, which reward kinds may apply, a gift cap."""
    category: str
    earns_points: bool
    reward_kinds: dict[str, bool]
    gift_cap_cents: int | None


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
class SettingsSaved:
    version: int
    changed: list[str]
    program: Program


def program_toml() -> str:
    """The TOML text of the program in force (what the settings screen edits)."""
    return ProgramVersion.get_by_id(program_version()).toml


def compliance_table(profile: Compliance | None = None) -> list[ComplianceRow]:
    profile = profile or current_program().compliance
    return [ComplianceRow(c, profile.earns_points(c), {k: profile.reward_may_apply(k, c) for k in REWARD_KINDS},
                          profile.gift_cap_cents.get(c))
            for c in CATEGORIES]


def update_settings(changes: dict[str, object], actor: Actor) -> SettingsSaved:
    """Apply field edits such as {"points.per_euro": "2", "tiers.silver.threshold": "900"}.

    Keys are `section.key` for the scalar sections and `section.<code>.key` for tiers, catalogue,
    rewards and plans. Values may be text from a form; they are converted to the type the field
    has now. Nothing is stored unless the whole program is valid.
    """
    require_manager(actor)
    if not changes:
        raise Refused("settings_nothing")
    doc = tomlkit.parse(program_toml())
    changed = []
    for path, raw in changes.items():
        table, key = _locate(doc, path)
        value = _convert(path, table.get(key), raw)
        if table.get(key) != value:
            table[key] = value
            changed.append(path)
    if not changed:
        raise Refused("settings_nothing")
    return _store(tomlkit.dumps(doc), actor, changed)


def replace_program(toml_text: str, actor: Actor) -> SettingsSaved:
    """The whole program as TOML (adding items or rewards); validated like a file."""
    require_manager(actor)
    return _store(toml_text, actor, ["(program)"])


def _store(text: str, actor: Actor, changed: list[str]) -> SettingsSaved:
    try:
        program = parse_program(text, source="settings")
    except ProgramError as exc:
        raise SettingInvalid([(_field_name(p.key, text), p) for p in exc.problems]) from None
    with write():
        version = store_program(text, actor)
    return SettingsSaved(version, changed, program)


def _locate(doc, path: str):
    parts = path.split(".")
    if len(parts) == 2 and parts[0] in SCALAR_SECTIONS:
        section = doc.get(parts[0])
        if section is None:
            doc[parts[0]] = tomlkit.table()
            section = doc[parts[0]]
        return section, parts[1]
    if len(parts) == 3 and parts[0] in LIST_SECTIONS:
        for entry in doc.get(parts[0], []):
            if entry.get("code") == parts[1]:
                if parts[2] == "code":
                    break
                return entry, parts[2]
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
    if isinstance(current, int):
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
