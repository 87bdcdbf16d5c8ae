"""Templates are discreet in both languages; SMS through a real local HTTP provider; unsubscribe honoured."""
from __future__ import annotations

import json
import re
import socket
import threading
import time
from datetime import date, datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import uvicorn

from loyalty.adapters.channels import HttpSmsProvider, SmsChannel
from loyalty.config import Config
from loyalty.i18n import catalogue
from loyalty.services import consents, record_treatment
from loyalty.services.messages import plan_messages, send_due, unsubscribe_token
from loyalty.store import ConsentEvent
from loyalty.store.models import Message
from loyalty.templates import TEMPLATES, render

from retention_names import forbidden_words


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_is_discreet_and_complete(template, lang):
    rendered = render(template, lang, first_name="Anna", program="Praxis Vital", points=120,
                      on=date(2026, 5, 1), tier="Silber", code="LY1:ABC", unsubscribe_url="http://x/u/t",
                      link="http://x/app/signin/t", when="Mo., 4. Mai 2026, 09:30", app_url="http://x/app/")
    for part in (rendered.subject, rendered.text, rendered.sms):
        assert "Anna" in part or part is rendered.text
        assert "{" not in part and "message." not in part, part
        found = [w for w in forbidden_words() if w in part.casefold()]
        assert not found, f"{template}/{lang} names {found}"
    if lang == "de":
        assert not re.search(r"\b(du|dich|dir|dein\w*)\b", rendered.text.casefold()), "patients are addressed with Sie"


def test_templates_exist_in_both_languages():
    keys = {lang: {k for k in catalogue(lang) if k.startswith(("message.", "unsubscribe."))} for lang in ("de", "en")}
    assert keys["de"] == keys["en"] and len(keys["de"]) > 30
    assert any("ä" in catalogue("de")[k] or "ü" in catalogue("de")[k] for k in keys["de"])


class Provider(BaseHTTPRequestHandler):
    """Plays an SMS provider: records requests, answers as `mode` says."""
    calls: list[dict] = []
    mode = "ok"
    answer_late = threading.Event()     # "hang": the answer goes out only once the station gave up

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Provider.calls.append({"body": body, "auth": self.headers.get("Authorization")})
        if Provider.mode == "hang":
            Provider.answer_late.wait(30)
        status, answer = {"ok": (202, {"id": f"sms-{len(Provider.calls)}"}), "busy": (503, {}),
                          "bad": (400, {"error": "invalid number"}), "hang": (202, {"id": "late"})}[Provider.mode]
        data = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except BrokenPipeError:      # the station gave up waiting ("hang"): that is the point
            pass

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def provider():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/sms"
    server.shutdown()


@pytest.fixture
def sms(provider):
    Provider.calls, Provider.mode = [], "ok"
    return {"sms": SmsChannel(HttpSmsProvider(provider, token="secret", sender="PraxisVital", timeout=0.5))}


def test_sms_through_the_http_provider(station, clock, enrol, sms):
    clock.current = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
    member, token = enrol("Ben", phone="0171 2345678", marketing=True)
    plan_messages()
    assert send_due(sms, "http://127.0.0.1:8550").sent == 1
    [call] = Provider.calls
    assert call["auth"] == "Bearer secret"
    assert call["body"]["to"] == "+491712345678" and call["body"]["from"] == "PraxisVital"
    assert "Ben" in call["body"]["text"] and token in call["body"]["text"]
    assert Message.get().provider_ref == "sms-1" and Message.get().channel == "sms"


@pytest.mark.parametrize("mode, status, tries", [("busy", "planned", 1), ("bad", "failed", 1),
                                                 ("hang", "uncertain", 1)])
def test_sms_provider_answers(station, clock, enrol, sms, mode, status, tries):
    clock.current = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
    enrol("Ben", phone="0171 2345678")
    plan_messages()
    Provider.mode = mode
    Provider.answer_late.clear()
    send_due(sms, "http://127.0.0.1:8550")
    Provider.answer_late.set()
    assert Message.get().status == status and len(Provider.calls) == tries
    clock.advance(hours=1)
    Provider.mode = "ok"
    send_due(sms, "http://127.0.0.1:8550")
    expected = {"busy": 2, "bad": 1, "hang": 1}[mode]       # retried only when it surely did not go out
    assert len(Provider.calls) == expected


@pytest.fixture
def station_http(station, tmp_path):
    """The station's web routes (no Flet apps) served by uvicorn on 127.0.0.1."""
    from station.server import create_app
    (tmp_path / "station.toml").write_text('[sms]\nurl = "http://127.0.0.1:9/"\ninbound_token = "hook-secret"\n')
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = Config(home=tmp_path, db_path=station.db_path, port=port)
    server = uvicorn.Server(uvicorn.Config(create_app(config, apps=()), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_unsubscribe_link_withdraws_the_consent(station, clock, enrol, smtp, email_channel, station_http):
    clock.current = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
    member, _ = enrol("Anna", care=True, marketing=True)
    record_treatment(member, "botox", station.receptionist)
    plan_messages()
    send_due(email_channel, station_http)
    clock.advance(days=1)
    plan_messages()
    send_due(email_channel, station_http)
    care = [r for r in smtp.received if "Besuch" in r.subject][0]
    link = re.search(r"(http://\S+/unsubscribe/\S+)", care.text).group(1)
    assert care.mail["List-Unsubscribe"] == f"<{link}>"
    page = requests.get(link, timeout=10)
    assert page.status_code == 200 and "Terminerinnerungen" in page.text and "Ja, abmelden" in page.text
    assert consents(member)["care"] is True                    # looking at the page changes nothing
    done = requests.post(link, timeout=10)
    assert done.status_code == 200 and "Erledigt, Anna" in done.text
    assert consents(member) == {"program": True, "marketing": True, "care": False}
    event = ConsentEvent.select().order_by(ConsentEvent.at.desc()).first()
    assert (event.purpose, event.granted, event.source) == ("care", False, "unsubscribe")
    clock.advance(days=2)
    plan_messages()
    before = len(smtp.received)
    send_due(email_channel, station_http)
    assert len(smtp.received) == before                        # the day-3 care message is not sent
    forged = link[:-4] + "abcd"
    assert requests.get(forged, timeout=10).status_code == 404
    assert requests.post(forged, timeout=10).status_code == 404
    assert requests.post(f"{station_http}/unsubscribe/{unsubscribe_token(member, 'marketing')}",
                         timeout=10).status_code == 200
    assert consents(member)["marketing"] is False


def test_sms_stop_reply_withdraws_care_and_marketing(station, clock, enrol, station_http):
    member, _ = enrol("Ben", phone="0171 2345678", care=True, marketing=True)
    hook = f"{station_http}/sms/inbound"
    assert requests.post(hook, json={"from": "+491712345678", "text": "STOP"}, timeout=10).status_code == 401
    headers = {"Authorization": "Bearer hook-secret"}
    answer = requests.post(hook, json={"from": "+491712345678", "text": "Danke!"}, headers=headers, timeout=10)
    assert answer.json() == {"received": True} and consents(member)["care"] is True
    answer = requests.post(hook, json={"from": "0171 2345678", "text": " stop "}, headers=headers, timeout=10)
    assert answer.json() == {"received": True}
    assert consents(member) == {"program": True, "marketing": False, "care": False}
    assert requests.post(hook, data="nonsense", headers=headers, timeout=10).status_code == 400
