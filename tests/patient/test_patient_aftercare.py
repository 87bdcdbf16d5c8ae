"""Aftercare check-ins in the app: the day-3 question and the day-14 result check from the
treatment's plan, answers as HQ-authored records every station pulls, photos stripped of their
metadata and kept at HQ for the clinicians, who open them over the station's signed link; a
reported problem or a result photo becomes the clinical team's follow-up."""
from __future__ import annotations

import io
import os
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from PIL import Image

from loyalty.services import followups, record_treatment
from loyalty.store import AftercareAnswer, AftercarePhoto, FollowUp
from sync.client import HqError
from sync.hq.db import AppPhoto, hq_db
from sync.hq.patients import aftercare, files, photos
from sync.protocol import MAX_BODY_BYTES
from sync.station import fetch_photo

from patient_helpers import exif_photo, hq_call, hq_refusal, member_at


@pytest.fixture
def treated(hq, template, tmp_path):
    """Anna had a treatment fifteen days ago at station a; both check-ins are open now."""
    now = datetime.now(timezone.utc)
    a = template.node(tmp_path, "a", hq, start=now - timedelta(days=15))
    anna = member_at(a, "Anna")
    treatment = record_treatment(anna, "botox", a.receptionist).treatment_id
    a.clock.current = now
    a.sync()
    return a, anna, treatment


def noise_jpeg() -> bytes:
    """A picture that compresses badly, as a detailed phone photo does: about 3 MB."""
    picture = Image.frombytes("RGB", (1800, 1400), os.urandom(1800 * 1400 * 3))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def upload(hq, member_id: str, data: bytes, photo_id: str = "01a2b3c4-0000-7000-8000-000000000001"):
    link = hq_call(files.link, member_id, "upload", photo_id)
    return requests.put(f"{hq.url}/app/{link}", data=data, timeout=20)


def test_both_check_ins_are_open_and_a_good_answer_needs_no_follow_up(treated, template, tmp_path, hq):
    a, anna, treatment = treated
    due = hq_call(aftercare.checkins, anna)
    assert [(c.step, c.answered, c.photos) for c in due] == [("result_check", False, True),
                                                             ("how_are_you", False, False)]
    sent = hq_call(aftercare.answer, anna, treatment, "how_are_you", "good", "Alles bestens", [])
    assert sent.follow_up_id is None and not sent.reports_problem
    assert hq_refusal(aftercare.answer, anna, treatment, "how_are_you", "good", None, []) == "checkin_answered"
    assert [c.answered for c in hq_call(aftercare.checkins, anna) if c.step == "how_are_you"] == [True]
    b = template.node(tmp_path, "b", hq)
    b.sync()
    b.use()
    answer = AftercareAnswer.get_by_id(sent.answer_id)
    assert (answer.member_id, answer.feeling, answer.text, answer.reports_problem) == (anna, "good", "Alles bestens",
                                                                                       False)


def test_a_result_photo_reaches_the_clinicians_without_its_metadata(treated, hq):
    a, anna, treatment = treated
    original = exif_photo()
    answer = upload(hq, anna, original)
    assert answer.status_code == 200 and (answer.json()["width"], answer.json()["height"]) == (800, 1200)
    photo_id = answer.json()["photo"]
    sent = hq_call(aftercare.answer, anna, treatment, "result_check", "good", None, [photo_id])
    assert sent.follow_up_id is not None and not sent.reports_problem
    with hq_db.connection_context():
        assert AppPhoto.get_by_id(photo_id).answer_id == sent.answer_id
    a.sync()
    a.use()
    [task] = followups.open_follow_ups()
    assert (task.kind, task.step, task.feeling, task.photos, task.treatment) == (
        "aftercare_result", "result_check", "good", [photo_id], "botox")
    assert AftercarePhoto.get_by_id(photo_id).answer == sent.answer_id
    stored = Image.open(io.BytesIO(fetch_photo(photo_id)))
    assert stored.format == "JPEG" and stored.size == (800, 1200)       # upright, as the phone held it
    assert dict(stored.getexif()) == {} and "exif" not in stored.info and "icc_profile" not in stored.info
    assert len(stored.tobytes()) > 0 and original[:2] == b"\xff\xd8"


def test_a_reported_problem_opens_a_follow_up_first_in_the_list(treated):
    a, anna, treatment = treated
    sent = hq_call(aftercare.answer, anna, treatment, "how_are_you", "unsure", "Seit gestern eine starke Schwellung",
                   [])
    assert sent.reports_problem and sent.follow_up_id
    a.sync()
    a.use()
    task = followups.open_follow_ups()[0]
    assert (task.kind, task.text, task.feeling) == ("aftercare_problem", "Seit gestern eine starke Schwellung",
                                                    "unsure")
    assert FollowUp.get_by_id(sent.follow_up_id).status == "open"


def test_answers_and_photos_are_checked(treated, hq, template, tmp_path):
    a, anna, treatment = treated
    ben = member_at(a, "Ben")
    a.sync()
    assert hq_refusal(aftercare.answer, ben, treatment, "result_check", "good", None, []) == "checkin_unknown"
    assert hq_refusal(aftercare.answer, anna, treatment, "result_check", "meh", None, []) == "checkin_feeling_missing"
    assert hq_refusal(aftercare.answer, anna, treatment, "care_tips", "good", None, []) == "checkin_unknown"
    bens_photo = upload(hq, ben, exif_photo(), "01a2b3c4-0000-7000-8000-0000000000b1").json()["photo"]
    assert hq_refusal(aftercare.answer, anna, treatment, "result_check", "good", None, [bens_photo]) == "photo_unknown"
    annas = upload(hq, anna, exif_photo(), "01a2b3c4-0000-7000-8000-0000000000a1").json()["photo"]
    assert hq_refusal(aftercare.answer, anna, treatment, "how_are_you", "good", None, [annas]) == "checkin_no_photos"
    assert hq_refusal(photos.picture, ben, annas) == "photo_unknown"
    assert hq_refusal(photos.discard, ben, annas) == "photo_unknown"

    assert upload(hq, anna, b"%PDF-1.4 not a picture", "01a2b3c4-0000-7000-8000-0000000000a2").status_code == 400
    too_big = b"\xff\xd8" + bytes(photos.MAX_UPLOAD)
    assert upload(hq, anna, too_big, "01a2b3c4-0000-7000-8000-0000000000a3").status_code == 413
    camera = noise_jpeg()                      # a phone camera's picture: larger than any sync request may be
    assert MAX_BODY_BYTES < len(camera) < photos.MAX_UPLOAD
    assert upload(hq, anna, camera, "01a2b3c4-0000-7000-8000-0000000000a5").status_code == 200
    link = hq_call(files.link, anna, "upload", "01a2b3c4-0000-7000-8000-0000000000a4")
    query = parse_qs(urlsplit(link).query)
    as_ben = f"{hq.url}/app/files/upload/01a2b3c4-0000-7000-8000-0000000000a4?m={ben}&e={query['e'][0]}" \
             f"&s={query['s'][0]}"
    assert requests.put(as_ben, data=exif_photo(), timeout=20).status_code == 404
    with hq_db.connection_context():
        assert {p.member_id for p in AppPhoto.select()} == {anna, ben} and AppPhoto.select().count() == 3

    a.use()
    with pytest.raises(HqError) as unsent:            # a photo not sent with a check-in is nobody's to see
        fetch_photo(annas)
    assert unsent.value.status == 404
    anonymous = requests.post(f"{hq.url}/v1/photos/fetch", json={"photo_id": annas}, timeout=10)
    assert anonymous.status_code == 401
