"""The station's HTTP surface on the clinic network, without a browser: redirects, the endpoints
that keep working for their callers, and garbage that changes nothing and never gets a 5xx."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from loyalty.store import PairedDevice, close_database, open_database
from tests.browser import ROOT
from tests.lan import clinic_station


@pytest.fixture(scope="module")
def station(tmp_path_factory, lan_address):
    with clinic_station(tmp_path_factory.mktemp("http-home"), lan_address) as running:
        yield running


def test_plain_http_from_the_network_moves_to_https(station):
    answer = requests.get(station.http + "/staff/?lang=de", allow_redirects=False, timeout=10)
    assert answer.status_code == 307 and answer.headers["location"] == station.https + "/staff/?lang=de"
    spoofed = requests.get(station.http + "/kiosk/", headers={"Host": "evil.example<script>"},
                           allow_redirects=False, timeout=10)
    assert spoofed.headers["location"] == station.https + "/kiosk/"
    assert requests.get(station.local + "/staff/", timeout=10).status_code == 200     # the station PC itself


def test_https_is_verified_against_the_station_ca_only(station):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(station.https + "/pair/", timeout=10)        # the public roots do not know the station
    answer = requests.get(station.https + "/pair/", verify=station.ca_file, headers={"Accept-Language": "en-GB,en"},
                          timeout=10)
    assert answer.status_code == 200 and "Pair this device" in answer.text


def test_endpoints_that_check_their_own_token_stay_reachable(station):
    unsubscribe = requests.get(station.http + "/unsubscribe/not-a-token", allow_redirects=False, timeout=10)
    assert unsubscribe.status_code == 404 and "not valid" in unsubscribe.text
    sms = requests.post(station.http + "/sms/inbound", json={"from": "+4915112345678", "text": "STOP"}, timeout=10)
    assert sms.status_code == 403 and "inbound_token" in sms.json()["message"]
    ca = requests.get(station.http + "/trust/station-ca.crt", timeout=10)
    assert ca.headers["content-type"] == "application/x-x509-ca-cert" and ca.content[:1] == b"\x30"


def test_garbage_changes_nothing_and_gets_no_server_error(station):
    code = station.pairing_url("desk", "Tablet Empfang").rsplit("/", 1)[1]
    attempts = [
        ("POST", station.https + "/pair/" + "A" * 30, {}),
        ("POST", station.https + "/pair/" + "x" * 5000, {}),
        ("POST", station.https + "/pair/%00%ff", {}),
        ("POST", station.http + "/pair/" + code, {}),              # plain HTTP never pairs: it moves to HTTPS
        ("GET", station.https + "/pair/" + "A" * 30, {}),
        ("GET", station.https + "/trust/station-ca.exe", {}),
        ("GET", station.https + "/kiosk/ws", {"Upgrade": "websocket", "Connection": "Upgrade"}),
        ("PUT", station.https + "/staff/", {}),
        ("GET", station.https + "/kiosk/", {"Cookie": "loyalty_device=" + "x." * 400}),
        ("GET", station.https + "/staff/", {"Cookie": "loyalty_device=\x7f\x00"}),
    ]
    for method, url, headers in attempts:
        answer = requests.request(method, url, headers=headers, verify=station.ca_file, allow_redirects=False,
                                  timeout=10)
        assert answer.status_code < 500, (method, url, answer.status_code)
        assert answer.status_code != 200 or "Pair" not in url
    open_database(station.home / "loyalty.db")
    try:
        assert PairedDevice.select().count() == 0
    finally:
        close_database()
    confirm = requests.get(station.https + "/pair/" + code, verify=station.ca_file, timeout=10)
    assert confirm.status_code == 200 and "Tablet Empfang" in confirm.text     # the real code is still usable


def test_run_prints_the_tablet_addresses_and_demo_sign_ins_only_for_a_demo(station, tmp_path):
    log = (station.home / "station.log").read_text(encoding="utf-8")
    assert f"Tablets:           {station.https}/" in log            # in the station's language
    assert "Demo-Anmeldungen: Chef / PIN 1234" in log
    env = {**os.environ, "LOYALTY_HOME": str(tmp_path)}
    env.pop("LOYALTY_DB", None)
    subprocess.run([sys.executable, "-m", "station.cli", "init", "--manager", "Maria", "--pin", "2468"], env=env,
                   cwd=ROOT, check=True, capture_output=True)
    refused = subprocess.run([sys.executable, "-m", "station.cli", "run", "--host", "0.0.0.0"], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 3 and "--network clinic" in refused.stderr
    with clinic_station(tmp_path, station.address, demo=False, apps="kiosk") as own:
        log = (own.home / "station.log").read_text(encoding="utf-8")
        assert f"Tablets:           {own.https}/" in log and "Demo" not in log
