"""Opening balances from an older system: a re-import changes nothing, a corrected file sets the
corrected balance, the signup bonus is the import's choice, and the dry run says what the real run does."""
from __future__ import annotations

from loyalty import ledger
from loyalty.services import import_balances, member_status
from loyalty.store import Flag, LedgerEntry, Member

from core_helpers import join, refused, row_counts

FILE = ("first_name,last_name,email,phone,points,stamps,consent\n"
        "Anna,Alt,anna@example.org,,370,3,yes\n"
        "Bernd,Berg,,0171 2345678,120,0,ja\n")


def points_of(email: str | None = None, phone: str | None = None) -> int:
    member = Member.get((Member.email == email) if email else (Member.phone == phone))
    return member_status(member.id).points


def imports() -> list[LedgerEntry]:
    return list(LedgerEntry.select().where(LedgerEntry.kind == ledger.IMPORT).order_by(LedgerEntry.created_at))


def test_importing_the_same_file_twice_changes_nothing(station, clock):
    first = import_balances(FILE, station.manager)
    assert (first.created, first.matched, first.unchanged, first.points, first.stamps) == (2, 0, 0, 490, 3)
    assert points_of("anna@example.org") == 370 and points_of(phone="+491712345678") == 120
    before = row_counts()
    clock.advance(days=1)
    second = import_balances(FILE, station.manager)
    assert (second.created, second.matched, second.unchanged, second.points, second.stamps) == (0, 2, 2, 0, 0)
    counts = row_counts()
    for table in ("audit_log", "outbox"):      # the attempt is on record (and reported to HQ), nothing else
        assert counts.pop(table) == before.pop(table) + 1
    assert counts == before
    assert points_of("anna@example.org") == 370


def test_a_corrected_file_sets_the_corrected_opening_balance(station, clock):
    import_balances(FILE, station.manager)
    anna = Member.get(Member.email == "anna@example.org").id
    clock.advance(hours=2)
    from loyalty.services import award_purchase
    award_purchase(anna, 4900, station.receptionist, item_code="serum")        # earned here since: kept
    corrected = FILE.replace("Anna,Alt,anna@example.org,,370,3", "Anna,Alt,anna@example.org,,400,2")
    result = import_balances(corrected, station.manager)
    assert (result.created, result.matched, result.unchanged, result.points, result.stamps) == (0, 2, 1, 30, -1)
    assert member_status(anna).points == 400 + 49
    assert [(e.points, e.stamps) for e in imports() if e.member_id == anna] == [(370, 3), (30, -1)]
    lower = corrected.replace(",400,2", ",0,0")
    assert import_balances(lower, station.manager).points == -400
    assert member_status(anna).points == 49
    assert not Flag.select().where(Flag.member == anna).exists()
    assert import_balances(lower.replace(",0,0", ",-5,0"), station.manager).ok is False   # never below 0


def test_a_correction_that_takes_back_spent_points_flags_the_member(station, clock):
    import_balances(FILE, station.manager)
    anna = Member.get(Member.email == "anna@example.org").id
    from loyalty.services import redeem
    redeem(anna, "long-consult", station.receptionist)                          # 300 of the 370 spent
    import_balances(FILE.replace(",370,3", ",70,3"), station.manager)
    assert member_status(anna).points == -230
    assert Flag.get(Flag.member == anna).kind == "negative_balance"


def test_an_existing_member_gets_the_opening_balance_once(station, clock):
    anna = join(station.device, "Anna").member_id                             # joined at the kiosk: 50 signup
    assert import_balances(FILE, station.manager).matched == 1
    assert import_balances(FILE, station.manager).points == 0
    assert member_status(anna).points == 50 + 370


def test_signup_bonus_is_the_imports_choice_and_off_by_default(station, clock):
    import_balances(FILE, station.manager)
    assert points_of("anna@example.org") == 370
    assert not LedgerEntry.select().where(LedgerEntry.kind == ledger.SIGNUP).exists()
    more = "first_name,email,points,consent\nCarla,carla@example.org,10,yes\nAnna,anna@example.org,370,yes\n"
    result = import_balances(more, station.manager, signup_bonus=True)
    assert (result.created, result.bonus_points) == (1, 50)                    # only the new member gets it
    assert points_of("carla@example.org") == 60 and points_of("anna@example.org") == 370
    assert import_balances(more, station.manager, signup_bonus=True).bonus_points == 0


def test_the_dry_run_reports_what_the_real_run_will_do(station, clock):
    join(station.device, "Anna")
    before = row_counts()
    dry = import_balances(FILE, station.manager, dry_run=True, signup_bonus=True)
    assert row_counts() == before
    real = import_balances(FILE, station.manager, signup_bonus=True)
    fields = ("ok", "rows", "created", "matched", "unchanged", "points", "stamps", "bonus_points")
    assert [getattr(dry, f) for f in fields] == [getattr(real, f) for f in fields] == [True, 2, 1, 1, 0, 490, 3, 50]
    again = import_balances(FILE, station.manager, dry_run=True)
    assert (again.created, again.matched, again.unchanged, again.points) == (0, 2, 2, 0)


def test_import_is_for_managers_and_a_bad_row_writes_nothing(station, clock):
    before = row_counts()
    with refused("manager_only"):
        import_balances(FILE, station.receptionist)
    result = import_balances(FILE + " \n,, ,\nDora,,dora@,,5,0,yes\n", station.manager)
    assert not result.ok and [e.row for e in result.errors] == [6]              # blank lines are skipped
    assert row_counts() == before


def test_the_summary_says_the_figures_in_both_languages(station, clock):
    dry = import_balances(FILE, station.manager, dry_run=True, signup_bonus=True)
    assert dry.summary("en", dry_run=True) == (
        "Checked, nothing written yet. The import will write — rows: 2 · new members: 2 · existing members: 0 "
        "(unchanged: 0) · points: +490 · stamps: +3 · signup bonus points: 100")
    assert dry.summary("de").startswith("Importiert — Zeilen: 2 · neue Mitglieder: 2")
