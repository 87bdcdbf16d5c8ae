"""Opening balances from an older system: every row is checked first; one bad row writes nothing.

The file states each member's balance in the old system. A member's opening balance here is the
sum of their import entries, so an import writes only the difference: the same file again changes
nothing, and a corrected file moves each member to the corrected figure (up or down, as a new
entry; points earned or spent here since stay as they are). Members are matched by e-mail or
phone, as at enrolment; a member left out of a later file keeps what an earlier file gave.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from loyalty import ledger
from loyalty.contacts import clean_name, normalise_email, normalise_phone
from loyalty.errors import Refused
from loyalty.i18n import fmt_number, t
from loyalty.services.context import Actor, audit, current_program, require_manager
from loyalty.services.flags import flag_negative
from loyalty.services.members import add_entry, balances, enroll, find_by_contact
from loyalty.store import LedgerEntry, write
from loyalty.store.registry import POINTS

COLUMNS = ("first_name", "last_name", "email", "phone", "points", "stamps", "consent")
REQUIRED = ("first_name", "points", "consent")
MAX_NAME = 60     # as at enrolment


@dataclass(frozen=True)
class RowError:
    """What is wrong in one row, each problem a refusal with its own text in German and English."""
    row: int          # 1-based line in the file, header = 1
    problems: tuple[Refused, ...]

    def text(self, lang: str = "en") -> str:
        return "; ".join(problem.message(lang) for problem in self.problems)

    @property
    def message(self) -> str:
        return self.text("en")


@dataclass(frozen=True)
class ImportResult:
    """What an import did, or with dry_run what it would do: the same figures either way."""
    ok: bool
    rows: int
    created: int
    matched: int          # rows whose e-mail or phone belonged to an existing member
    unchanged: int        # matched rows whose opening balance already is the file's
    points: int           # opening-balance points written, signed (a correction can lower them)
    stamps: int
    bonus_points: int     # signup bonus given to the new members
    errors: list[RowError]

    def summary(self, lang: str = "en", *, dry_run: bool = False) -> str:
        """The figures in a sentence: "Imported: 2 rows · new members: 2 · ...", or what a check found."""
        def signed(value: int) -> str:
            return ("+" if value > 0 else "") + fmt_number(value, lang)
        text = t("import.summary", lang, rows=fmt_number(self.rows, lang), created=fmt_number(self.created, lang),
                 matched=fmt_number(self.matched, lang), unchanged=fmt_number(self.unchanged, lang),
                 points=signed(self.points), stamps=signed(self.stamps))
        if self.bonus_points:
            text += t("import.bonus", lang, bonus=fmt_number(self.bonus_points, lang))
        return t("import.would" if dry_run else "import.done", lang, summary=text)


@dataclass(frozen=True)
class _Step:
    """One valid row against the database: who it is and what it changes."""
    row: dict
    member_id: str | None     # None: a new member
    points: int               # difference to the opening balance imported before
    stamps: int


def _parse(text: str) -> tuple[list[dict], list[RowError]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [RowError(1, (Refused("import_missing_columns", columns=", ".join(missing),
                                             expected=", ".join(COLUMNS)),))]
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        return [], [RowError(1, (Refused("import_unknown_columns", columns=", ".join(unknown)),))]
    rows, errors, seen = [], [], {}
    for number, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):   # a blank line, e.g. a trailing one from copy and paste
            continue
        problems = []
        for key in ("first_name", "last_name"):
            try:
                row[key] = clean_name(row.get(key))
            except Refused:
                row[key] = row.get(key) or ""
                problems.append(Refused("import_name_characters", column=key))
            if len(row[key]) > MAX_NAME:
                problems.append(Refused("import_name_too_long", column=key, limit=MAX_NAME))
        if not row["first_name"]:
            problems.append(Refused("import_first_name_empty"))
        for key in ("points", "stamps"):
            value = row.get(key) or "0"
            digits = value.removeprefix("-")
            if not (digits.isascii() and digits.isdigit()):      # int() also reads '²' and Arabic digits
                shown = "".join(ch if ch.isprintable() else "?" for ch in value[:20])
                problems.append(Refused("import_not_whole", column=key, value=shown))
            elif value.startswith("-"):
                problems.append(Refused("import_negative", column=key))
            elif int(value) > POINTS[1]:
                problems.append(Refused("import_too_large", column=key, limit=POINTS[1]))
        if row.get("consent", "").lower() not in ("yes", "ja", "true", "1"):
            problems.append(Refused("import_consent"))
        email = phone = None
        try:
            email = normalise_email(row["email"]) if row.get("email") else None
            phone = normalise_phone(row["phone"]) if row.get("phone") else None
        except Refused as exc:
            problems.append(exc)
        if not row.get("email") and not row.get("phone"):
            problems.append(Refused("import_no_contact"))
        for key in (email, phone):
            if key and key in seen:
                problems.append(Refused("import_same_contact", row=seen[key]))
            elif key:
                seen[key] = number
        if problems:
            errors.append(RowError(number, tuple(problems)))
        else:
            rows.append({**row, "email": email, "phone": phone})
    return rows, errors


def _steps(rows: list[dict]) -> list[_Step]:
    """Each row against what earlier imports wrote; reads only, so the dry run is the real plan."""
    steps = []
    for row in rows:
        member = find_by_contact(row["email"], row["phone"])
        points, stamps = int(row.get("points") or 0), int(row.get("stamps") or 0)
        if member is not None:
            before_points, before_stamps = _imported(member.id)
            points, stamps = points - before_points, stamps - before_stamps
        steps.append(_Step(row, member.id if member else None, points, stamps))
    return steps


def _imported(member_id: str) -> tuple[int, int]:
    """The opening balance earlier imports gave this member."""
    entries = LedgerEntry.select(LedgerEntry.points, LedgerEntry.stamps).where(
        (LedgerEntry.member == member_id) & (LedgerEntry.kind == ledger.IMPORT)).tuples()
    return sum(p for p, _ in entries), sum(s for _, s in entries)


def import_balances(csv_text: str, actor: Actor, *, dry_run: bool = False, signup_bonus: bool = False) -> ImportResult:
    """All rows or none, in one transaction. New members get the program's signup bonus only when
    the import asks for it: their old system may have given one already."""
    require_manager(actor)
    rows, errors = _parse(csv_text)
    if errors:
        return ImportResult(False, len(rows) + len(errors), 0, 0, 0, 0, 0, 0, errors)
    bonus_each = current_program().signup_bonus if signup_bonus else 0
    with write():
        steps = _steps(rows)
        created = sum(step.member_id is None for step in steps)
        result = ImportResult(
            True, len(rows), created, len(steps) - created,
            sum(step.member_id is not None and not (step.points or step.stamps) for step in steps),
            sum(step.points for step in steps), sum(step.stamps for step in steps), created * bonus_each, [])
        if dry_run:
            return result
        for step in steps:
            member_id = step.member_id or _enroll(step.row, actor, signup_bonus)
            if step.points or step.stamps:
                add_entry(member_id, ledger.IMPORT, actor, points=step.points, stamps=step.stamps,
                          reason="opening balance" if step.member_id is None else "opening balance corrected")
                balance = balances(member_id)[0]
                if balance < 0:
                    flag_negative(member_id, balance)
        audit(actor, "import", rows=result.rows, created=result.created, points=result.points,
              stamps=result.stamps, bonus_points=result.bonus_points)
    return result


def _enroll(row: dict, actor: Actor, signup_bonus: bool) -> str:
    return enroll(row["first_name"], actor, email=row["email"], phone=row["phone"],
                  last_name=row.get("last_name") or None, consent_program=True, age_confirmed=True,
                  source="import", signup_bonus=signup_bonus).member_id
