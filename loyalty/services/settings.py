"""Program settings edited in the staff app: the same TOML, the same validation, a new version at once.

Edits and checks are `loyalty.program_edit`'s, the same the HQ console uses; the result is stored
with `store_program`, so kiosk and staff app use it from the next call on. A refusal names the
field that is wrong.
"""
from __future__ import annotations

from dataclasses import dataclass

from loyalty.compliance import CATEGORIES, REWARD_KINDS, Compliance
from loyalty.program import Program
from loyalty.program_edit import SettingInvalid, check_program, edit_program
from loyalty.services.context import Actor, current_program, program_version, require_manager, store_program
from loyalty.store import ProgramVersion, write

__all__ = ["SettingInvalid", "SettingsSaved", "compliance_table", "program_toml", "replace_program", "update_settings"]


@dataclass(frozen=True)
class ComplianceRow:
    """One category of the profile: does it earn points, which reward kinds may apply, a gift cap."""
    category: str
    earns_points: bool
    reward_kinds: dict[str, bool]
    gift_cap_cents: int | None


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
    edited = edit_program(program_toml(), changes)
    return _store(edited.text, actor, edited.changed)


def replace_program(toml_text: str, actor: Actor) -> SettingsSaved:
    """The whole program as TOML (adding items or rewards); validated like a file."""
    require_manager(actor)
    return _store(toml_text, actor, ["(program)"])


def _store(text: str, actor: Actor, changed: list[str]) -> SettingsSaved:
    program = check_program(text)
    with write():
        version = store_program(text, actor)
    return SettingsSaved(version, changed, program)
