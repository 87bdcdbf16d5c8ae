"""Opening balances from an older system: every row is checked first; one bad row writes nothing."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from loyalty import ledger
from loyalty.contacts import clean_name, normalise_email, normalise_phone
from loyalty.errors import Refused
from loyalty.services.context import Actor, audit, require_manager
from loyalty.services.members import add_entry, enroll
from loyalty.store import write
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
    ok: bool
    rows: int
    created: int
    matched: int      # rows whose e-mail or phone belonged to an existing member
    points: int
    errors: list[RowError]


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


def import_balances(csv_text: str, actor: Actor, *, dry_run: bool = False) -> ImportResult:
    require_manager(actor)
    rows, errors = _parse(csv_text)
    if errors or dry_run:
        return ImportResult(not errors, len(rows) + len(errors), 0, 0,
                            sum(int(r.get("points") or 0) for r in rows), errors)
    created = matched = total = 0
    with write():
        for row in rows:
            result = enroll(row["first_name"], actor, email=row["email"], phone=row["phone"],
                            last_name=row.get("last_name") or None, consent_program=True,
                            age_confirmed=True, source="import")
            created += result.created
            matched += not result.created
            points, stamps = int(row.get("points") or 0), int(row.get("stamps") or 0)
            if points or stamps:
                add_entry(result.member_id, ledger.IMPORT, actor, points=points, stamps=stamps,
                          reason="opening balance")
            total += points
        audit(actor, "import", rows=len(rows), points=total)
    return ImportResult(True, len(rows), created, matched, total, [])
