"""Compliance profiles: which categories earn points and which reward kinds may apply where.

Profiles are data in assets/compliance/*.toml so the staff app can show them as a table.
This is product logic, not legal advice.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

CATEGORIES = ("physician_service", "medical_device", "medicine", "cosmetic", "retail")
REWARD_KINDS = ("discount", "free_item", "perk", "donation")
PROFILE_DIR = Path(__file__).resolve().parent.parent / "assets" / "compliance"


@dataclass(frozen=True)
class Compliance:
    code: str
    name: dict[str, str]
    earn: dict[str, bool]
    rewards: dict[str, frozenset[str]]
    gift_cap_cents: dict[str, int]
    award_needs_item: bool = False   # a purchase earns only for a named catalogue item

    def may_include(self, category: str, value_cents: int) -> bool:
        """Whether a plan may include an item of this category: a free item, by another name."""
        return self.reward_may_apply("free_item", category) and self.gift_allowed(category, value_cents)

    def earns_points(self, category: str) -> bool:
        return self.earn.get(category, False)

    def reward_may_apply(self, kind: str, category: str) -> bool:
        return category in self.rewards.get(kind, frozenset())

    def gift_allowed(self, category: str, value_cents: int) -> bool:
        cap = self.gift_cap_cents.get(category)
        return cap is None or value_cents <= cap


def load_profile(code: str) -> Compliance:
    path = PROFILE_DIR / f"{code}.toml"
    if not path.is_file() or "/" in code:
        raise FileNotFoundError(code)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return Compliance(
        code=data["profile"]["code"], name=data["profile"]["name"],
        earn={c: bool(data["earn"].get(c, False)) for c in CATEGORIES},
        rewards={k: frozenset(data["rewards"].get(k, [])) for k in REWARD_KINDS},
        gift_cap_cents=dict(data.get("gift_cap_cents", {})),
        award_needs_item=bool(data.get("purchase", {}).get("needs_item", False)),
    )


def available_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))
