"""HQ's console use cases without a browser: station reports, program scope, roles, audit, search rules."""
from __future__ import annotations

from datetime import timedelta

import pytest

from loyalty.errors import Refused
from loyalty.services import current_program, enroll
from sync.hq import admins, locations, members, programs
from sync.hq.db import AdminAudit, hq_db
from sync.protocol import PullRequest, join_text, parse_join_text

from console_helpers import PASSWORD, location, make_admin, totp

pytestmark = pytest.mark.postgres


def session(account) -> str:
    with hq_db.connection_context():
        return admins.sign_in(account.email, PASSWORD, totp(account.secret)).token


def test_station_reports_clock_skew_queue_and_program_and_older_hq_is_still_served(hq, template, tmp_path):
    location("Praxis Mitte")
    node = template.node(tmp_path, "mitte", hq, location="Praxis Mitte")
    node.clock.current += timedelta(minutes=10)          # the station's clock runs ten minutes ahead
    node.use()
    enroll("Anna", node.device, email="anna@example.org", consent_program=True, age_confirmed=True)
    node.sync()
    owner = session(make_admin("olga@example.org", "Olga Owner", admins.OWNER))
    with hq_db.connection_context():
        (station,) = locations.group(owner).stations
    assert station.reported_at is not None and station.software.startswith("loyalty ")
    assert station.queue_length > 0                      # what waited when the round began
    assert 590 < station.clock_skew_s < 610 and station.skewed
    assert station.program_version == 0 and not station.program_changed_here

    client = node.client()
    client.reports = True
    request = PullRequest(cursor="", limit=1)            # a station from before reports sends none
    assert "report" not in request.model_dump_json(exclude={"report"})
    assert client.pull(request).epoch


def test_a_version_for_one_location_is_not_handed_to_another_and_a_change_at_the_station_shows(hq, template, tmp_path):
    mitte_id, nord_id = location("Praxis Mitte"), location("Praxis Nord")
    mitte = template.node(tmp_path, "mitte", hq, location="Praxis Mitte")
    nord = template.node(tmp_path, "nord", hq, location="Praxis Nord")
    owner = session(make_admin("olga@example.org", "Olga Owner", admins.OWNER))
    base = programs.templates()["clinic-de"]
    with hq_db.connection_context():
        draft = programs.check_draft(owner, base, {"points.signup_bonus": "77"}, [mitte_id])
        assert [c.field for c in draft.against[None]] == ["points.signup_bonus"]
        version = programs.publish(owner, draft.text, [mitte_id])
        assert programs.config_for(mitte_id).version == version and programs.config_for(nord_id) is None
    mitte.sync()
    assert current_program().signup_bonus == 77
    nord.sync()
    assert current_program().signup_bonus != 77
    from loyalty.services.settings import update_settings
    mitte.use()
    update_settings({"points.per_euro": "5"}, mitte.manager)   # a manager changes it at the station
    mitte.sync()
    with hq_db.connection_context():
        by_name = {s.name: s for s in locations.group(owner).stations}
        assert by_name["mitte"].program_version == version and by_name["mitte"].program_changed_here
        assert not by_name["nord"].behind
        with pytest.raises(Refused) as refused:
            programs.check_draft(owner, base, {"rewards.credit-cosmetics.applies_to": "cosmetic, physician_service"},
                                 None)
    assert refused.value.code == "setting_invalid" and "physician_service" in refused.value.message("de")
    assert refused.value.params["field"] == "rewards.credit-cosmetics.applies_to"


def test_roles_are_enforced_by_the_use_cases_and_every_action_is_audited(hq, template, tmp_path):
    location("Praxis Mitte")
    node = template.node(tmp_path, "mitte", hq, location="Praxis Mitte")
    node.use()
    member = enroll("Bärbel", node.device, last_name="Müller", email="baerbel@example.org", phone="0171 2345678",
                    consent_program=True, age_confirmed=True).member_id
    node.sync()
    operations = session(make_admin("otto@example.org", "Otto Operations", admins.OPERATIONS))
    privacy = session(make_admin("dora@example.org", "Dora Datenschutz", admins.DATA_PROTECTION))
    with hq_db.connection_context():
        for typed in ("mull", "Bärbel M", "baerbel@", "0171 234", "+49171"):
            assert [m.id for m in members.find_members(operations, typed)] == [member], typed
        assert members.find_members(operations, "b") == []           # fewer than two characters
        for forbidden in (lambda: members.erase_member(operations, member),
                          lambda: members.export_member(operations, member),
                          lambda: admins.audit_log(operations),
                          lambda: programs.overview(privacy),
                          lambda: admins.invite_admin(operations, "x@example.org", "X", admins.OWNER)):
            with pytest.raises(Refused) as refused:
                forbidden()
            assert refused.value.code == "admin_not_allowed"
        export = members.export_member(privacy, member)
        assert export["member"]["first_name"] == "Bärbel" and export["ledger"] and export["cards"]
        members.erase_member(privacy, member)
        assert members.find_members(operations, "mull") == []
        actions = [a.action for a in admins.audit_log(privacy)]
        assert {"member.export", "member.erase", "sign_in"} <= set(actions)
        assert AdminAudit.select().where(AdminAudit.action == "member.erase").count() == 1


def test_join_text_carries_address_and_code():
    text = join_text("https://hq.example.org/", "abc-DEF_123")
    assert parse_join_text(text) == ("https://hq.example.org", "abc-DEF_123")
    assert parse_join_text("LY1:whatever") is None and parse_join_text("loyalty-join:ftp://x#c") is None
