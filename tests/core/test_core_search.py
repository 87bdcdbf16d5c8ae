"""Search as you type: ranking, limits, folding, and search keys the database keeps right itself."""
from __future__ import annotations

from loyalty.member_search import prefix_end
from loyalty.services import erase_member, search, update_profile
from loyalty.store import Member, db

from core_helpers import join


def _names(query: str, **kw) -> list[str]:
    return [f"{s.first_name} {s.last_name or ''}".strip() for s in search(query, **kw)]


def test_whole_names_come_before_longer_ones_then_first_before_last_names(station):
    for first, last in [("Annabell", "Weber"), ("Anna", "Schulz"), ("Anna", "Bauer"), ("Ben", "Annan"),
                        ("Lea", "Lang"), ("Karl", "Lange"), ("Lang", "Meier")]:
        join(station.device, first, email=f"{first}.{last}@example.org".lower(), last_name=last)
    assert _names("anna") == ["Anna Bauer", "Anna Schulz", "Annabell Weber", "Ben Annan"]
    assert _names("Lang") == ["Lang Meier", "Lea Lang", "Karl Lange"]   # whole words first, then prefixes
    assert _names("anna s") == ["Anna Schulz"]
    assert _names("anna schulz") == ["Anna Schulz"]


def test_last_name_matches_come_ordered_by_last_then_full_name(station):
    for first, last in [("Ida", "Schmitt"), ("Ben", "Schmid"), ("Anna", "Schmitt"), ("Emil", "Schmid")]:
        join(station.device, first, email=f"{first}@example.org".lower(), last_name=last)
    assert _names("schmi") == ["Ben Schmid", "Emil Schmid", "Anna Schmitt", "Ida Schmitt"]


def test_the_limit_keeps_the_best_matches_of_many(station):
    for n in range(30):
        join(station.device, "Max", email=f"max{n:02d}@example.org", last_name=f"M{n:02d}")
    join(station.device, "Ma", email="ma@example.org", last_name="Zett")
    found = _names("ma", limit=5)
    assert found == ["Ma Zett", "Max M00", "Max M01", "Max M02", "Max M03"]
    assert len(search("ma")) == 20 and search("ma", limit=0) == []


def test_umlauts_and_sharp_s_fold_both_ways(station):
    join(station.device, "Jürgen", last_name="Weiß", email="jw@example.org")
    assert _names("jurg") == _names("JÜRG") == _names("jürgen weiss") == ["Jürgen Weiß"]
    assert _names("weiß") == _names("weiss") == ["Jürgen Weiß"]


def test_keys_follow_names_whatever_writes_them(station):
    """A sync merge writes columns straight into the row: the keys follow the names it leaves."""
    anna = join(station.device, "Anna", last_name="Müller", email="anna@example.org", phone="0171 2345678")
    db.execute_sql('UPDATE "member" SET "first_name" = ?, "name_key" = ?, "phone" = ? WHERE "id" = ?',
                   ("Hanna", "anna muller", "+4915255555555", anna.member_id))
    member = Member.get_by_id(anna.member_id)
    assert (member.name_key, member.last_key, member.phone_key) == ("hanna muller", "muller", "4915255555555")
    assert _names("hanna m") == ["Hanna Müller"] and _names("anna m") == []
    assert [s.member_id for s in search("0152 555")] == [anna.member_id] and search("0171 23") == []
    db.execute_sql('INSERT INTO "member" ("id", "first_name", "last_name", "name_key", "locale", "created_at", '
                   '"created_device") VALUES (?, ?, ?, ?, ?, ?, ?)',
                   ("m-synced", "Özlem", "Yılmaz", "stale", "de", "2026-01-01T00:00:00.000000Z", "other"))
    assert Member.get_by_id("m-synced").name_key == "ozlem yılmaz"
    assert [s.member_id for s in search("özlem")] == ["m-synced"]


def test_profile_edit_and_erasure_leave_no_stale_key(station):
    anna = join(station.device, "Anna", last_name="Müller", email="anna@example.org")
    update_profile(anna.member_id, station.receptionist, last_name="Meyer")
    assert _names("anna me") == ["Anna Meyer"] and _names("mull") == []
    erase_member(anna.member_id, station.manager)
    member = Member.get_by_id(anna.member_id)
    assert (member.name_key, member.last_key, member.phone_key) == (None, None, None)
    assert search("anna") == [] and search("meyer") == [] and search("anna@") == []


def test_odd_input_finds_nothing_and_breaks_nothing(station):
    join(station.device, "Anna", email="anna@example.org")
    for text in ("", " ", "a", "\u0301\u0301", "%%", "_n", "an*", "\U0010ffff\U0010ffff", "@@", "+++"):
        assert search(text) == [], text
    assert prefix_end("ab") == "ac" and prefix_end("a\ud7ff") == "a\ue000"
    assert prefix_end("a\U0010ffff") == "b"
