"""Privacy in the app: consents switched in the app hold at every station, the preferred channel
is the one messages take, the data download holds everything and nothing of anyone else, and an
erasure asked for in the app and confirmed by a manager leaves nothing of the patient anywhere:
not at the stations, not in HQ's rows, not in the app's devices, codes, inbox or photos."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timedelta, timezone

import pytest

from loyalty.adapters.channels import SmsChannel
from loyalty.errors import Refused
from loyalty.services import consents, record_treatment
from loyalty.services.erasure_requests import confirm_erasure_request, decline_erasure_request, erasure_requests
from loyalty.services.messages import plan_messages, send_due
from loyalty.store import AftercarePhoto, ErasureRequest, Member
from sync.client import HqError
from sync.hq.db import AppCode, AppNotice, AppPhoto, AppSession, Row, hq_db
from sync.hq.patients import aftercare, files, privacy, signin
from sync.station import fetch_photo

from patient_helpers import exif_photo, hq_call, hq_refusal, member_at


class Texts:
    """The SMS provider (outside this machine), behind the real SmsChannel."""

    def __init__(self):
        self.sent: list[tuple[str, str]] = []

    def send_sms(self, to: str, text: str, reference: str) -> str:
        self.sent.append((to, text))
        return f"sms-{len(self.sent)}"


def test_consents_switched_in_the_app_hold_at_every_station(hq, template, tmp_path):
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    anna = member_at(a, "Anna", consent_marketing=True, consent_care=True)
    a.sync()
    assert hq_call(privacy.privacy, anna).consents == {"program": True, "marketing": True, "care": True}
    mine = hq_call(privacy.set_consent, anna, "marketing", False)
    assert mine.consents["marketing"] is False and mine.consents["care"] is True
    assert hq_refusal(privacy.set_consent, anna, "program", False) == "consent_unknown"
    for node in (a, b):
        node.sync()
        node.use()
        assert consents(anna) == {"program": True, "marketing": False, "care": True}


def test_the_preferred_channel_is_the_one_messages_take(hq, template, tmp_path, smtp):
    today = datetime.now(timezone.utc).replace(hour=11, minute=0)
    a = template.node(tmp_path, "a", hq, start=today)
    anna = member_at(a, "Anna", email="anna@example.org", phone="0171 2345678")
    only_mail = member_at(a, "Ben", email="ben@example.org")
    a.sync()
    assert hq_call(privacy.privacy, anna).channels == ["email", "sms"]
    assert hq_call(privacy.set_channel, anna, "sms").channel == "sms"
    assert hq_refusal(privacy.set_channel, only_mail, "sms") == "channel_unreachable"
    a.sync()
    a.use()
    assert Member.get_by_id(anna).channel == "sms"
    texts = Texts()
    from loyalty.adapters.channels import SmtpChannel
    plan_messages(triggers=("welcome",))
    send_due({"email": SmtpChannel.from_settings(smtp.settings), "sms": SmsChannel(texts)}, "http://station")
    assert [to for to, _ in texts.sent] == ["+491712345678"] and smtp.to("anna@example.org") == []
    assert len(smtp.to("ben@example.org")) == 1


def test_the_download_holds_everything_of_the_member_and_nothing_of_another(hq, template, tmp_path):
    now = datetime.now(timezone.utc)
    a = template.node(tmp_path, "a", hq, start=now - timedelta(days=15))
    anna, ben = member_at(a, "Anna"), member_at(a, "Ben")
    treatment = record_treatment(anna, "botox", a.receptionist).treatment_id
    a.clock.current = now
    a.sync()
    with hq_db.connection_context():
        from sync.hq.patients import photos
        photo = photos.store_upload(anna, "01a2b3c4-0000-7000-8000-00000000e001", exif_photo()).photo_id
        aftercare.answer(anna, treatment, "result_check", "good", "Schön geworden", [photo])
        privacy.set_consent(ben, "marketing", True)
    archive = zipfile.ZipFile(io.BytesIO(hq_call(privacy.export, anna)))
    data = json.loads(archive.read("data.json"))
    assert data["member"]["id"] == anna and data["member"]["first_name"] == "Anna"
    assert [t["id"] for t in data["treatments"]] == [treatment]
    assert data["aftercare_answers"][0]["text"] == "Schön geworden"
    assert [p["id"] for p in data["aftercare_photos"]] == [photo]
    assert archive.namelist() == ["data.json", f"photos/{photo}.jpg"]
    assert ben not in archive.read("data.json").decode() and "Ben" not in archive.read("data.json").decode()
    link = hq_call(files.link, anna, "export", "data")
    assert link.startswith("files/export/data?")


def test_an_erasure_asked_in_the_app_and_confirmed_leaves_nothing(hq, template, tmp_path):
    now = datetime.now(timezone.utc)
    a = template.node(tmp_path, "a", hq, start=now - timedelta(days=15))
    b = template.node(tmp_path, "b", hq)
    anna, ben = member_at(a, "Anna"), member_at(a, "Ben")
    treatment = record_treatment(anna, "botox", a.receptionist).treatment_id
    a.clock.current = now
    a.sync()
    with hq_db.connection_context():
        signin.request_code("anna@example.org", "10.0.0.1", "http://hq/app/", lambda letter: None,
                            frozenset({"email"}))
        session = signin._session_for({"id": anna, "locale": "de"}, "phone", 0).token
        from sync.hq.patients import photos
        photo = photos.store_upload(anna, "01a2b3c4-0000-7000-8000-00000000e002", exif_photo()).photo_id
        aftercare.answer(anna, treatment, "result_check", "problem", "Rötung", [photo])
        AppNotice.create(id="n1", key="k1", member_id=anna, kind="appointment_declined", created_at=0)
    assert hq_call(privacy.request_erasure, anna).erasure_requested is not None
    assert hq_refusal(privacy.request_erasure, anna) == "erasure_requested_already"
    a.sync()
    b.sync()
    a.use()
    [request] = erasure_requests()
    assert request.member_id == anna
    with pytest.raises(Refused):
        confirm_erasure_request(request.request_id, a.receptionist)       # a manager decides
    assert fetch_photo(photo)[:2] == b"\xff\xd8"                           # the clinicians saw it before
    confirm_erasure_request(request.request_id, a.manager)
    assert ErasureRequest.get_by_id(request.request_id).status == "done"
    assert Member.get_by_id(anna).erased_at is not None and not AftercarePhoto.select().exists()
    a.sync()
    b.sync()

    with hq_db.connection_context():
        assert [m.member_id for m in AppSession.select()] == []
        assert not AppCode.select().where(AppCode.member_id == anna).exists()
        assert not AppNotice.select().where(AppNotice.member_id == anna).exists()
        assert not AppPhoto.select().exists()
        kept = [json.loads(r.data) for r in Row.select().where(Row.data.contains(anna))]
        assert all(r.get("first_name") is None and "Rötung" not in json.dumps(r) for r in kept)
        assert signin.session(session) is None
    assert hq_refusal(privacy.export, anna) == "member_unknown"
    with pytest.raises(HqError):
        fetch_photo(photo)
    b.use()
    assert Member.get_by_id(anna).first_name is None and not AftercarePhoto.select().exists()
    assert Member.get_by_id(ben).first_name == "Ben"


def test_a_declined_request_is_answered_once(hq, template, tmp_path):
    a = template.node(tmp_path, "a", hq)
    anna = member_at(a, "Anna")
    a.sync()
    hq_call(privacy.request_erasure, anna)
    a.sync()
    a.use()
    [request] = erasure_requests()
    decline_erasure_request(request.request_id, a.manager)
    with pytest.raises(Refused) as again:
        confirm_erasure_request(request.request_id, a.manager)
    assert again.value.code == "erasure_request_closed"
    a.sync()
    assert hq_call(privacy.privacy, anna).erasure_requested is None
    assert Member.get_by_id(anna).erased_at is None
