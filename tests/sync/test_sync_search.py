"""Search on stations that sync: keys follow the merged names, and an erasure leaves nothing to find."""
from __future__ import annotations

from loyalty.services import enroll, erase_member, search, update_profile
from loyalty.store import Member


def _settle(*nodes, rounds=3):
    for _ in range(rounds):
        for node in nodes:
            node.sync()


def test_concurrent_name_edits_merge_into_a_key_search_finds(hq, template, tmp_path):
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    a.use()
    ana = enroll("Ana", a.device, last_name="Müller", email="ana@example.org", consent_program=True,
                 age_confirmed=True).member_id
    _settle(a, b)
    a.use()
    update_profile(ana, a.manager, first_name="Anna")        # A corrects the first name ...
    b.clock.advance(minutes=5)
    b.use()
    update_profile(ana, b.manager, last_name="Meyer")        # ... B, later, the last name: its key was "ana meyer"
    _settle(a, b)
    for node in (a, b):
        node.use()
        member = Member.get_by_id(ana)
        assert (member.first_name, member.last_name, member.name_key) == ("Anna", "Meyer", "anna meyer"), node.name
        assert [s.member_id for s in search("anna me")] == [ana] and search("ana mü") == [] and search("mül") == []
    a.use()
    erase_member(ana, a.manager)
    _settle(a, b)
    b.use()
    member = Member.get_by_id(ana)
    assert (member.name_key, member.last_key, member.phone_key, member.email) == (None, None, None, None)
    assert search("anna") == [] and search("meyer") == [] and search("ana@") == []
