"""Reminders in a group: every station holds every member, but each member's reminders are planned
and sent by one station, the one of the location they joined at, so nobody gets them twice."""
from __future__ import annotations

from loyalty.services import enroll, record_treatment
from loyalty.services.messages import plan_messages
from loyalty.store import Setting, write
from loyalty.store.models import Message
from loyalty.store.settings import HOME_LOCATION, get_setting, set_setting
from sync.hq import service
from sync.hq.db import hq_db


def _join(node, first):
    node.use()
    return enroll(first, node.device, email=f"{first.lower()}@example.org", consent_program=True,
                  consent_care=True, age_confirmed=True).member_id


def _settle(*nodes):
    for _ in range(2):
        for node in nodes:
            node.sync()


def _recalls(node) -> set[str]:
    node.use()
    node.clock.advance(days=64)          # a week before the 10-week recall of the treatment
    plan_messages(triggers=("recall",))
    return {m for (m,) in Message.select(Message.member).where(Message.trigger == "recall").tuples()}


def test_each_recall_is_planned_by_one_station_only(hq, template, tmp_path):
    with hq_db.connection_context():
        service.create_location("Praxis Nord")
    a = template.node(tmp_path, "a", hq)
    b = template.node(tmp_path, "b", hq, location="Praxis Nord")
    anna, ben = _join(a, "Anna"), _join(b, "Ben")
    a.use()
    saved = get_setting(HOME_LOCATION)
    with write():
        Setting.delete().where(Setting.key == HOME_LOCATION).execute()
    carl = _join(a, "Carl")                # joined before A was linked to a location
    with write():
        set_setting(HOME_LOCATION, saved)
    _settle(a, b)
    b.use()
    record_treatment(anna, "botox", b.receptionist)     # Anna of Mitte is treated in Nord
    a.use()
    record_treatment(ben, "botox", a.receptionist)
    record_treatment(carl, "botox", a.receptionist)
    _settle(a, b)
    planned_a, planned_b = _recalls(a), _recalls(b)
    assert planned_a == {anna, carl}
    assert planned_b == {ben}
