"""Program rules as data: loaded from TOML, validated with errors that name the key and the line."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from loyalty.compliance import CATEGORIES, REWARD_KINDS, Compliance, load_profile
from loyalty.i18n import t
from loyalty.recall import AFTERCARE_STEPS, MESSAGE_RULES

ASSETS = Path(__file__).resolve().parent.parent / "assets"
DEFAULT_PROGRAM = ASSETS / "programs" / "clinic-de.toml"
DEFAULT_COLOUR = "#0f4c5c"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a program: the key, its line, and a message code with parameters, so the
    CLI, the HQ API and the settings screen can each say it in their language."""
    key: str
    line: int | None
    code: str
    params: dict = field(default_factory=dict, compare=False)

    def text(self, lang: str = "en") -> str:
        params = {name: (_type_text(value, lang) if name in ("want", "got") else value)
                  for name, value in self.params.items()}
        return t(f"program.problem.{self.code}", lang, **params)

    @property
    def message(self) -> str:
        return self.text("en")

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.key}: {self.message}"


class ProgramError(ValueError):
    def __init__(self, problems: list[Problem], source: str = "program"):
        self.problems = problems
        self.source = source
        super().__init__(self.text("en"))

    def text(self, lang: str = "en") -> str:
        lines = []
        for p in self.problems:
            where = t("program.at_line", lang, line=p.line) if p.line else ""
            lines.append(f"  {where}{p.key}: {p.text(lang)}")
        return t("program.not_valid", lang, source=self.source) + "\n" + "\n".join(lines)


def _type_text(name: str, lang: str) -> str:
    """A type named in a problem ("int", "str", "number") in words; an unusual one keeps its name."""
    key = f"program.type.{name}"
    text = t(key, lang)
    return name if text == key else text


@dataclass(frozen=True)
class Tier:
    code: str
    name: dict[str, str]
    threshold: int
    multiplier: float
    perks: tuple[str, ...]


@dataclass(frozen=True)
class Item:
    code: str
    name: dict[str, str]
    category: str
    price_cents: int
    recall_days: int | None
    aftercare: dict[str, int] | None = None   # touch point -> day after the treatment; None: defaults


@dataclass(frozen=True)
class Reward:
    code: str
    name: dict[str, str]
    kind: str
    cost_points: int | None
    cost_stamps: int | None
    value_cents: int
    applies_to: tuple[str, ...]
    item: str | None
    partial: bool
    public: bool = False     # the kiosk may name it on its public screen (a perk, a donation)


@dataclass(frozen=True)
class Benefit:
    code: str
    per_period: int


@dataclass(frozen=True)
class Plan:
    code: str
    name: dict[str, str]
    price_cents: int
    period_months: int
    benefits: tuple[Benefit, ...]
    perks: tuple[str, ...]


@dataclass(frozen=True)
class Program:
    name: str
    currency: str
    timezone: str
    compliance: Compliance
    minimum_age: int
    points_per_euro: int
    redeem_points: int
    redeem_value_cents: int
    signup_bonus: int
    referral_bonus: int
    birthday_bonus: int
    expiry_months: int
    stamps_per_card: int
    stamp_reward: str | None
    cooldown_hours: float
    daily_limit: int
    flag_transactions_per_day: int
    tiers: tuple[Tier, ...]
    catalogue: dict[str, Item]
    rewards: dict[str, Reward]
    plans: dict[str, Plan]
    source: str = field(default="", repr=False, compare=False)
    messages: dict = field(default_factory=dict)   # [messages]: marketing cap, quiet hours (loyalty.recall)
    colour: str = DEFAULT_COLOUR                   # the clinic's colour: the patients' app and its icon

    def tier_for(self, points_12m: int) -> Tier:
        """A refund of a purchase older than the window can push the 12-month sum below 0: first tier."""
        reached = [t for t in self.tiers if points_12m >= t.threshold]
        return reached[-1] if reached else self.tiers[0]

    def next_tier(self, points_12m: int) -> Tier | None:
        return next((t for t in self.tiers if t.threshold > points_12m), None)


# --- loading -------------------------------------------------------------------------------

_SECTIONS = {
    "program": {"name": str, "currency": str, "timezone": str, "compliance_profile": str, "minimum_age": int,
                "colour": str},
    "points": {"per_euro": int, "redeem_points": int, "redeem_value_cents": int, "signup_bonus": int,
               "referral_bonus": int, "birthday_bonus": int, "expiry_months": int},
    "stamps": {"per_card": int, "reward": str},
    "checkin": {"cooldown_hours": (int, float), "daily_limit": int, "flag_transactions_per_day": int},
    "messages": MESSAGE_RULES,
}
_TIER = {"code": str, "name": dict, "threshold": int, "multiplier": (int, float), "perks": list}
_ITEM = {"code": str, "name": dict, "category": str, "price_cents": int, "recall_days": int, "aftercare": dict}
_REWARD = {"code": str, "name": dict, "kind": str, "cost_points": int, "cost_stamps": int,
           "value_cents": int, "applies_to": list, "item": str, "partial": bool, "public": bool}
_PLAN = {"code": str, "name": dict, "price_cents": int, "period_months": int, "benefits": list, "perks": list}
_REQUIRED = {
    "program": ("name", "compliance_profile"), "points": ("per_euro", "redeem_points", "redeem_value_cents"),
    "stamps": ("per_card",), "checkin": ("cooldown_hours", "daily_limit"),
}


def load_program_file(path: str | Path) -> Program:
    path = Path(path)
    return parse_program(path.read_text(encoding="utf-8"), source=path.name)


def parse_program(text: str, source: str = "program") -> Program:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
        raise ProgramError([Problem("(syntax)", line, "syntax", {"detail": str(exc)})], source) from None
    checker = _Checker(text)
    program = checker.build(data)
    if checker.problems:
        raise ProgramError(checker.problems, source)
    assert program is not None
    return program


def _line_from_message(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


class _Checker:
    def __init__(self, text: str):
        self.text = text
        self.problems: list[Problem] = []
        self._lines = _index_lines(text)

    def fail(self, path: tuple, problem: str, /, **params) -> None:
        self.problems.append(Problem(_dotted(path), self._line(path), problem, params))

    def _line(self, path: tuple) -> int | None:
        for cut in range(len(path), 0, -1):
            line = self._lines.get(path[:cut])
            if line:
                return line
        return None

    def typed(self, table: dict, spec: dict, path: tuple) -> dict:
        out = {}
        for key, value in table.items():
            if key not in spec:
                self.fail(path + (key,), "unknown_key", expected=", ".join(spec))
                continue
            want = spec[key]
            ok = isinstance(value, want) and not (isinstance(value, bool) and want in (int, (int, float)))
            if want is bool:
                ok = isinstance(value, bool)
            if not ok:
                self.fail(path + (key,), "wrong_type", want=_type_name(want), got=type(value).__name__)
                continue
            if isinstance(value, int) and not isinstance(value, bool) and value < 0:
                self.fail(path + (key,), "negative")
                continue
            out[key] = value
        return out

    def names(self, value: dict, path: tuple) -> dict[str, str]:
        if not all(isinstance(value.get(lang), str) and value.get(lang) for lang in ("en", "de")):
            self.fail(path, "names_missing")
        return {k: str(v) for k, v in value.items()}

    def build(self, data: dict) -> Program | None:
        for key in data:
            if key not in _SECTIONS and key not in ("tiers", "catalogue", "rewards", "plans"):
                self.fail((key,), "unknown_section")
        sec = {}
        for name, spec in _SECTIONS.items():
            raw = data.get(name, {})
            if not isinstance(raw, dict):
                self.fail((name,), "not_table")
                raw = {}
            sec[name] = self.typed(raw, spec, (name,))
            for key in _REQUIRED.get(name, ()):
                if key not in raw:
                    self.fail((name, key), "required")
        compliance = None
        profile = sec["program"].get("compliance_profile")
        if profile:
            try:
                compliance = load_profile(profile)
            except FileNotFoundError:
                self.fail(("program", "compliance_profile"), "unknown_profile", profile=profile)
        points = sec["points"]
        if points.get("redeem_points") == 0:
            self.fail(("points", "redeem_points"), "at_least_one")
        if sec["stamps"].get("per_card") == 0:
            self.fail(("stamps", "per_card"), "at_least_one")
        if "colour" in sec["program"] and not re.fullmatch(r"#[0-9A-Fa-f]{6}", sec["program"]["colour"]):
            self.fail(("program", "colour"), "colour_hex")
        for key in ("quiet_start", "quiet_end"):
            if key in sec["messages"] and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", sec["messages"][key]):
                self.fail(("messages", key), "time_of_day")

        tiers = self._tiers(data.get("tiers", []))
        catalogue = self._catalogue(data.get("catalogue", []))
        rewards = self._rewards(data.get("rewards", []), catalogue, compliance)
        plans = self._plans(data.get("plans", []), catalogue, rewards, compliance)
        stamp_reward = sec["stamps"].get("reward")
        if stamp_reward and (stamp_reward not in rewards or rewards[stamp_reward].cost_stamps is None):
            self.fail(("stamps", "reward"), "not_stamp_reward", reward=stamp_reward)
        for i, tier in enumerate(tiers):
            self._perks(tier.perks, rewards, ("tiers", i, "perks"))
        if self.problems or compliance is None:
            return None
        return Program(
            name=sec["program"]["name"], currency=sec["program"].get("currency", "EUR"),
            colour=sec["program"].get("colour", DEFAULT_COLOUR).lower(),
            timezone=sec["program"].get("timezone", "Europe/Berlin"), compliance=compliance,
            minimum_age=sec["program"].get("minimum_age", 0),
            points_per_euro=points["per_euro"], redeem_points=points["redeem_points"],
            redeem_value_cents=points["redeem_value_cents"], signup_bonus=points.get("signup_bonus", 0),
            referral_bonus=points.get("referral_bonus", 0), birthday_bonus=points.get("birthday_bonus", 0),
            expiry_months=points.get("expiry_months", 0), stamps_per_card=sec["stamps"]["per_card"],
            stamp_reward=stamp_reward, cooldown_hours=float(sec["checkin"]["cooldown_hours"]),
            daily_limit=sec["checkin"]["daily_limit"],
            flag_transactions_per_day=sec["checkin"].get("flag_transactions_per_day", 10),
            tiers=tuple(tiers), catalogue=catalogue, rewards=rewards, plans=plans, source=self.text,
            messages=sec["messages"],
        )

    def _list(self, raw, name: str) -> list[dict]:
        if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
            self.fail((name,), "array_of_tables", name=name)
            return []
        return raw

    def _codes(self, entries: list[dict], name: str) -> None:
        seen = set()
        for i, entry in enumerate(entries):
            code = entry.get("code")
            if not isinstance(code, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", code or ""):
                self.fail((name, i, "code"), "code_required")
            elif code in seen:
                self.fail((name, i, "code"), "code_twice", code=code)
            seen.add(code)
            if "name" not in entry:
                self.fail((name, i, "name"), "required")

    def _tiers(self, raw) -> list[Tier]:
        entries = self._list(raw, "tiers")
        self._codes(entries, "tiers")
        tiers = []
        for i, entry in enumerate(entries):
            t = self.typed(entry, _TIER, ("tiers", i))
            if "threshold" not in t:
                self.fail(("tiers", i, "threshold"), "required")
                continue
            tiers.append(Tier(t.get("code", ""), self.names(t.get("name", {}), ("tiers", i, "name")),
                              t["threshold"], float(t.get("multiplier", 1.0)), tuple(t.get("perks", []))))
        if not tiers:
            self.fail(("tiers",), "tier_required")
        elif tiers[0].threshold != 0:
            self.fail(("tiers", 0, "threshold"), "first_tier_zero")
        for i in range(1, len(tiers)):
            if tiers[i].threshold <= tiers[i - 1].threshold:
                self.fail(("tiers", i, "threshold"), "thresholds_rise")
        return tiers

    def _catalogue(self, raw) -> dict[str, Item]:
        entries = self._list(raw, "catalogue")
        self._codes(entries, "catalogue")
        items = {}
        for i, entry in enumerate(entries):
            t = self.typed(entry, _ITEM, ("catalogue", i))
            category = t.get("category")
            if category not in CATEGORIES:
                self.fail(("catalogue", i, "category"), "one_of", choices=", ".join(CATEGORIES))
                continue
            if "price_cents" not in t:
                self.fail(("catalogue", i, "price_cents"), "required")
                continue
            aftercare = t.get("aftercare")
            for step, day in (aftercare or {}).items():
                if step not in AFTERCARE_STEPS:
                    self.fail(("catalogue", i, "aftercare"), "aftercare_step", step=step,
                              steps=", ".join(AFTERCARE_STEPS))
                elif isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 3650:
                    self.fail(("catalogue", i, "aftercare"), "aftercare_day", step=step)
            items[t["code"]] = Item(t["code"], self.names(t.get("name", {}), ("catalogue", i, "name")),
                                    category, t["price_cents"], t.get("recall_days"), aftercare)
        return items

    def _rewards(self, raw, catalogue: dict[str, Item], compliance: Compliance | None) -> dict[str, Reward]:
        entries = self._list(raw, "rewards")
        self._codes(entries, "rewards")
        rewards = {}
        for i, entry in enumerate(entries):
            path = ("rewards", i)
            t = self.typed(entry, _REWARD, path)
            kind = t.get("kind")
            if kind not in REWARD_KINDS:
                self.fail(path + ("kind",), "one_of", choices=", ".join(REWARD_KINDS))
                continue
            if ("cost_points" in entry) == ("cost_stamps" in entry):
                self.fail(path + ("cost_points",), "one_cost")
                continue
            applies = tuple(t.get("applies_to", []))
            for category in applies:
                if category not in CATEGORIES:
                    self.fail(path + ("applies_to",), "not_category", category=category)
                elif compliance and not compliance.reward_may_apply(kind, category):
                    self.fail(path + ("applies_to",),
                              "reward_forbidden_category", kind=kind, category=category,
                              profile=compliance.code)
            item = t.get("item")
            if item is not None and item not in catalogue:
                self.fail(path + ("item",), "not_in_catalogue", item=item)
            elif item is not None and compliance:
                cat = catalogue[item].category
                if not compliance.reward_may_apply(kind, cat):
                    self.fail(path + ("item",), "reward_forbidden_item", kind=kind, category=cat,
                              profile=compliance.code)
            if t.get("partial") and t.get("cost_points") is None:
                self.fail(path + ("partial",), "partial_points")
            if kind == "perk" and t.get("value_cents"):
                self.fail(path + ("value_cents",), "perk_money")
            rewards[t.get("code", "")] = Reward(
                t.get("code", ""), self.names(t.get("name", {}), path + ("name",)), kind,
                t.get("cost_points"), t.get("cost_stamps"), t.get("value_cents", 0), applies, item,
                bool(t.get("partial", False)), bool(t.get("public", False)))
        return rewards

    def _perks(self, perks, rewards: dict[str, Reward], path: tuple) -> None:
        """Perks of a tier or plan come with the status, unredeemed: only non-monetary perks may."""
        for perk in perks:
            if not isinstance(perk, str) or perk not in rewards:
                self.fail(path, "not_reward_code", code=perk)
            elif rewards[perk].kind != "perk":
                self.fail(path, "not_a_perk", code=perk, kind=rewards[perk].kind)

    def _plans(self, raw, catalogue: dict[str, Item], rewards: dict[str, Reward],
               compliance: Compliance | None) -> dict[str, Plan]:
        entries = self._list(raw, "plans")
        self._codes(entries, "plans")
        plans = {}
        for i, entry in enumerate(entries):
            path = ("plans", i)
            t = self.typed(entry, _PLAN, path)
            benefits = []
            for j, b in enumerate(t.get("benefits", [])):
                if not isinstance(b, dict) or b.get("code") not in {**catalogue, **rewards} \
                        or not isinstance(b.get("per_period"), int) or b["per_period"] < 1:
                    self.fail(path + ("benefits",), "benefit_invalid", number=j + 1)
                    continue
                item = catalogue.get(b["code"])
                if item is not None and compliance and not compliance.may_include(item.category, item.price_cents):
                    self.fail(path + ("benefits",), "plan_benefit_forbidden", number=j + 1, code=item.code,
                              category=item.category, profile=compliance.code)
                benefits.append(Benefit(b["code"], b["per_period"]))
            if t.get("period_months", 1) < 1:
                self.fail(path + ("period_months",), "at_least_one")
            self._perks(t.get("perks", []), rewards, path + ("perks",))
            plans[t.get("code", "")] = Plan(
                t.get("code", ""), self.names(t.get("name", {}), path + ("name",)), t.get("price_cents", 0),
                t.get("period_months", 1), tuple(benefits), tuple(t.get("perks", [])))
        return plans


def _type_name(want) -> str:
    """The expected type as a catalogue name: "number" for int-or-float."""
    return "number" if isinstance(want, tuple) else want.__name__


def _dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _index_lines(text: str) -> dict[tuple, int]:
    """Map key paths to 1-based line numbers by reading table headers and `key =` lines."""
    index: dict[tuple, int] = {}
    counts: dict[str, int] = {}
    table: tuple = ()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("[["):
            name = stripped.strip("[] ")
            counts[name] = counts.get(name, -1) + 1
            table = (name, counts[name])
            index.setdefault((name,), number)
            index.setdefault(table, number)
        elif stripped.startswith("["):
            table = tuple(stripped.strip("[] ").split("."))
            index.setdefault(table, number)
        else:
            match = re.match(r"([A-Za-z0-9_-]+)\s*=", stripped)
            if match:
                index.setdefault(table + (match.group(1),), number)
    return index
