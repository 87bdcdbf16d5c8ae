"""The app's home screen at HQ: the same card, points, stamps, level, rewards and plan the station
shows, after the station's records sync; a member sees only their own; the manifest, icons and
card image the app serves; the welcome e-mail's personal link."""
from __future__ import annotations

import io
import re
from datetime import datetime, timezone

import requests
import zxingcpp
from PIL import Image

from loyalty.adapters.channels import SmtpChannel
from loyalty.periods import add_months
from loyalty.services import (
    award_purchase,
    card_token,
    check_in,
    join_plan,
    member_status,
    record_treatment,
    use_benefit,
)
from loyalty.services.messages import plan_messages, send_due
from loyalty.store import LedgerEntry
from sync.hq.db import hq_db
from sync.hq.patients import home as home_case
from sync.hq.patients import signin

from patient_helpers import member_at


def _home(member_id):
    with hq_db.connection_context():
        return home_case.home(member_id)


def test_home_shows_what_the_station_shows_after_sync(hq, template, tmp_path):
    a = template.node(tmp_path, "a", hq)
    anna = member_at(a, "Anna")
    token = card_token(anna)
    check_in(token, a.device)
    award_purchase(anna, 12000, a.receptionist, item_code="serum")
    join_plan(anna, "premium", a.receptionist)
    use_benefit(anna, "facial", a.receptionist)
    treatment = record_treatment(anna, "botox", a.receptionist)
    at_station = member_status(anna)
    signup = LedgerEntry.get((LedgerEntry.member == anna) & (LedgerEntry.kind == "signup"))
    a.sync()

    home = _home(anna)
    assert home.card_token == token
    assert home.standing.points == at_station.points == 170 + treatment.points
    assert home.standing.stamps_on_card == at_station.stamps_on_card == 1
    assert home.standing.tier.code == at_station.tier
    assert home.standing.points_to_next_tier == at_station.points_to_next_tier
    assert home.standing.rewards_ready == at_station.rewards_ready and "lounge" in home.standing.rewards_ready
    assert home.standing.expiring[0].on == add_months(signup.created_at, 24)
    assert sum(e.points for e in home.standing.expiring) == home.standing.points
    assert home.plan.plan.code == "premium" and home.plan.used["facial"] == 1 and home.plan.left["facial"] == 0
    assert home.next_visit_due == at_station.next_visit_due
    assert [h.kind for h in home.history][-1] == "signup" and home.visits == 1
    assert home.program.colour == "#0f4c5c"


def test_a_member_sees_only_their_own(hq, template, tmp_path):
    a, b = template.node(tmp_path, "a", hq), template.node(tmp_path, "b", hq)
    anna = member_at(a, "Anna")
    award_purchase(anna, 40000, a.receptionist, item_code="serum")
    a.sync()
    ben = member_at(b, "Ben")
    b.sync()
    anna_home, ben_home = _home(anna), _home(ben)
    assert anna_home.standing.points == 450 and ben_home.standing.points == 50
    assert anna_home.card_token != ben_home.card_token
    assert {h.points for h in ben_home.history} == {50}


def test_manifest_icons_and_card_image(hq, template, tmp_path):
    a = template.node(tmp_path, "a", hq)
    anna = member_at(a, "Anna")
    a.sync()
    manifest = requests.get(hq.url + "/app/manifest.json", timeout=10)
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    data = manifest.json()
    assert data["name"] == "Praxis Vital Bonusprogramm" and data["theme_color"] == "#0f4c5c"
    assert data["start_url"] == data["scope"] == "/app/" and data["display"] == "standalone"
    for icon in data["icons"]:
        picture = Image.open(io.BytesIO(requests.get(hq.url + icon["src"], timeout=10).content))
        assert f"{picture.width}x{picture.height}" == icon["sizes"]
    assert {i["sizes"] for i in data["icons"] if i.get("purpose") == "maskable"} == {"192x192", "512x512"}

    token = _home(anna).card_token
    picture = Image.open(io.BytesIO(requests.get(f"{hq.url}/app/card/{token}.png", timeout=10).content))
    assert [r.text for r in zxingcpp.read_barcodes(picture)] == [token]
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert requests.get(f"{hq.url}/app/card/{forged}.png", timeout=10).status_code == 404
    assert requests.get(f"{hq.url}/app/card/not-a-card.png", timeout=10).status_code == 404
    worker = requests.get(hq.url + "/app/flutter_service_worker.js?v=1", timeout=10)
    assert worker.headers["content-type"].startswith("text/javascript") and "card/last.png" in worker.text
    assert "serviceWorker" in requests.get(hq.url + "/app/", timeout=10).text


def test_the_welcome_e_mail_carries_a_personal_sign_in_link(hq, template, tmp_path, smtp):
    today = datetime.now(timezone.utc).replace(hour=11, minute=0)     # outside the quiet hours
    a = template.node(tmp_path, "a", hq, start=today)
    anna = member_at(a, "Anna")
    a.sync()
    plan_messages(triggers=("welcome",))
    report = send_due({"email": SmtpChannel.from_settings(smtp.settings)}, "http://station.example",
                      app_url=hq.url + "/app/")
    assert report.sent == 1
    [mail] = smtp.to("anna@example.org")
    link = re.search(r"(http\S+/app/welcome/(\S+))", mail.text)
    assert link and link.group(1).startswith(hq.url + "/app/welcome/")
    with hq_db.connection_context():
        assert signin.verify_welcome(link.group(2), "10.0.0.1", "").member_id == anna
