"""A reissued card sent by e-mail from the desk, through the station's SMTP channel, at once."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import zxingcpp

from loyalty.errors import Refused
from loyalty.services import check_in, email_card, reissue_card
from loyalty.store import AuditLog
from loyalty.store.models import Message


def test_the_new_card_goes_out_by_e_mail_and_the_old_code_is_refused(station, clock, enrol, smtp, email_channel):
    member, old = enrol("Anna", email="anna@example.org", marketing=False, care=False)
    new = reissue_card(member, station.receptionist)
    sent = email_card(member, station.receptionist, email_channel)
    assert sent.to == "anna@example.org" and sent.reference
    [mail] = smtp.to("anna@example.org")
    assert mail.subject == "Ihre neue Bonuskarte, Anna" and new in mail.text and old not in mail.text
    [png] = mail.images()
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [new]
    assert check_in(old, station.device).status == "revoked"
    assert check_in(new, station.device).status != "revoked"
    assert AuditLog.select().where((AuditLog.action == "card_emailed") & (AuditLog.member_id == member)).count() == 1
    assert Message.select().count() == 0               # not a reminder: nothing waits in the outbox


@pytest.mark.parametrize("case, code", [("no_email", "card_no_email"), ("no_channel", "card_email_not_set_up"),
                                        ("refused", "card_email_failed"), ("kiosk", "staff_only")])
def test_card_e_mail_refusals_say_what_to_do_and_send_nothing(station, clock, enrol, smtp, email_channel, case, code):
    member, _ = enrol("Ben", phone="0171 2345678") if case == "no_email" else enrol("Ben", email="ben@example.org")
    channels, actor = email_channel, station.receptionist
    if case == "no_channel":
        channels = {}
    if case == "kiosk":
        actor = station.device
    if case == "refused":
        def refuse(message) -> None:
            raise RuntimeError("mailbox unavailable")
        smtp.on_data = refuse
    with pytest.raises(Refused) as info:
        email_card(member, actor, channels)
    assert info.value.code == code
    if code.startswith("card_"):
        assert "drucken" in info.value.message("de") and "rint" in info.value.message("en")
    assert AuditLog.select().where(AuditLog.action == "card_emailed").count() == 0
    if case != "refused":
        assert smtp.received == []
