"""Tablets on the clinic network, end to end: HTTPS on this machine's own non-loopback address,
Chromium trusting the station's CA through an NSS database (never by ignoring certificate errors),
pairing a kiosk and a desk device, and refusing unpaired, revoked and wrong-role devices."""
from __future__ import annotations

import hashlib
import json
import plistlib
import re

import pytest
import zxingcpp
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser import open_flet_page
from tests.lan import clinic_station, pair, trusting_chromium
from tests.staff.conftest import sign_in_as, type_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def station(tmp_path_factory, lan_address):
    with clinic_station(tmp_path_factory.mktemp("clinic-home"), lan_address) as running:
        yield running


@pytest.fixture(scope="module")
def tablet(playwright, station):
    """A Chromium that has installed the station's CA, as a tablet does while pairing."""
    with trusting_chromium(playwright, station.ca_file) as instance:
        yield instance


@pytest.fixture(scope="module")
def manager(browser, station):
    """The station PC's own browser (loopback, plain HTTP as ever) with the manager signed in."""
    page = open_flet_page(browser, station.local + "/staff/")
    sign_in_as(page, "Chef", "1234")
    expect(page.get_by_text("Hallo Chef", exact=False)).to_be_visible()
    yield page
    page.close()


def ca_certificate(station) -> x509.Certificate:
    return x509.load_pem_x509_certificate(station.ca_file.read_bytes())


def fingerprint(station) -> str:
    digest = hashlib.sha256(ca_certificate(station).public_bytes(Encoding.DER)).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def open_devices(page) -> None:
    page.get_by_role("button", name=re.compile("^Geräte Tab")).click()
    expect(page.get_by_text("Gekoppelte Tablets")).to_be_visible(timeout=15_000)


def test_a_tablet_without_the_ca_gets_no_https_but_the_trust_page(browser, station, artefacts):
    """Chromium's own verdict on the station certificate, then what a new tablet sees first."""
    page = browser.new_page(locale="de-DE")
    with pytest.raises(PlaywrightError, match="ERR_CERT_AUTHORITY_INVALID"):
        page.goto(station.https + "/kiosk/")
    url = station.pairing_url("kiosk", "Tablet Eingang")
    assert url.startswith(station.http + "/pair/")
    page.goto(url)
    expect(page.get_by_role("heading", name="Tablet mit der Station verbinden")).to_be_visible()
    expect(page.locator("#fingerprint")).to_have_text(fingerprint(station))
    expect(page.get_by_text("Sobald das Tablet der Station vertraut")).to_be_visible()   # it stays: no trust yet
    for size, name in (((1280, 800), "tablet"), ((390, 844), "phone")):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        page.screenshot(path=artefacts / f"pairing-trust-{name}.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Zertifikat für Android oder Windows laden").click()
    der = open(download.value.path(), "rb").read()
    assert der == ca_certificate(station).public_bytes(Encoding.DER)
    with page.expect_download() as download:
        page.get_by_role("link", name="Zertifikat für iPad laden").click()
    profile = plistlib.loads(open(download.value.path(), "rb").read())
    assert profile["PayloadContent"][0]["PayloadType"] == "com.apple.security.root"
    assert profile["PayloadContent"][0]["PayloadContent"] == der
    page.close()


def test_kiosk_tablet_pairs_and_cannot_open_the_staff_app(tablet, station, artefacts):
    context = tablet.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(station.pairing_url("kiosk", "Tablet Eingang"))
    page.wait_for_url(station.https + "/pair/*")            # trusted: the trust page moved on by itself
    expect(page.get_by_text("Dieses Tablet wird als Kiosk „Tablet Eingang“ mit der Station verbunden.")).to_be_visible()
    page.screenshot(path=artefacts / "pairing-confirm-kiosk.png")
    page.get_by_role("button", name="Jetzt verbinden").click()
    page.wait_for_url(station.https + "/kiosk/")
    page.close()
    kiosk = open_flet_page(context, station.https + "/kiosk/")
    expect(kiosk.get_by_role("button", name="Mitmachen", exact=True)).to_be_visible(timeout=30_000)
    assert kiosk.evaluate("window.isSecureContext")
    kiosk.screenshot(path=artefacts / "pairing-kiosk-over-https.png")

    staff = context.new_page()
    response = staff.goto(station.https + "/staff/")
    assert response.status == 403
    expect(staff.get_by_text("Dieses Tablet ist als Kiosk eingerichtet.", exact=False)).to_be_visible()
    staff.screenshot(path=artefacts / "pairing-kiosk-refused-staff.png")
    assert websocket_refused(staff, station.https.replace("https", "wss") + "/staff/ws")
    listed = json.loads(station.cli("devices", "list", "--staff", "Chef", "--pin", "1234", "--json").stdout)
    entry = next(d for d in listed if d["name"] == "Tablet Eingang")
    assert entry["role"] == "kiosk" and entry["revoked_at"] is None and entry["last_seen_at"]
    context.close()


def test_desk_tablet_pairs_from_the_staff_app_qr_code(manager, tablet, station, artefacts):
    """The manager shows the QR code on the station PC; the tablet opens what the code says."""
    open_devices(manager)
    type_in(manager, "Name des Tablets", "Tablet Empfang")
    manager.get_by_role("checkbox", name="Empfang (Personal-App)").click()
    manager.get_by_role("button", name="QR-Code zeigen").click()
    expect(manager.get_by_text("„Tablet Empfang“ als Empfang (Personal-App) koppeln")).to_be_visible()
    expect(manager.get_by_text(fingerprint(station))).to_be_visible()
    codes = read_qr_codes(manager, artefacts / "pairing-staff-qr.png", station.http)
    assert len(codes) == 1 and "/pair/" in codes[0]
    expect(manager.get_by_text(codes[0], exact=True)).to_be_visible()     # the same link, to type without a camera

    context = tablet.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(codes[0])
    page.wait_for_url(station.https + "/pair/*")
    page.get_by_role("button", name="Jetzt verbinden").click()
    page.wait_for_url(station.https + "/staff/")
    page.close()
    expect(manager.get_by_text("„Tablet Empfang“ ist gekoppelt.")).to_be_visible(timeout=15_000)
    expect(manager.get_by_text("Tablet Empfang", exact=True)).to_be_visible()

    desk = open_flet_page(context, station.https + "/staff/")
    sign_in_as(desk, "Empfang", "0000")      # the tablet is paired; each person still signs in
    expect(desk.get_by_text("Hallo Empfang", exact=False)).to_be_visible(timeout=30_000)
    desk.screenshot(path=artefacts / "pairing-desk-signed-in.png")
    kiosk = context.new_page()
    assert kiosk.goto(station.https + "/kiosk/").status == 403
    expect(kiosk.get_by_text("Dieses Tablet ist als Empfangs-Tablet eingerichtet.", exact=False)).to_be_visible()
    context.close()


def test_unpaired_device_sees_only_the_pairing_page(tablet, station, artefacts):
    context = tablet.new_context(locale="de-DE")
    page = context.new_page()
    for path in ("/", "/kiosk/", "/staff/", "/download/anything", "/kiosk/main.dart.js", "/docs"):
        response = page.goto(station.https + path)
        assert response.status == 403, path
        expect(page.get_by_role("heading", name="Dieses Gerät verbinden")).to_be_visible()
    page.screenshot(path=artefacts / "pairing-unpaired.png")
    assert websocket_refused(page, station.https.replace("https", "wss") + "/kiosk/ws")
    context.add_cookies([{"name": "loyalty_device", "value": "0190abcd.forged-secret", "url": station.https}])
    assert page.goto(station.https + "/kiosk/").status == 403
    context.close()


def test_revoked_kiosk_leaves_its_open_screen_at_once(manager, tablet, station, artefacts):
    context = pair(tablet, station, "kiosk", "Tablet Wartezimmer", locale="de-DE")
    kiosk = open_flet_page(context, station.https + "/kiosk/")
    expect(kiosk.get_by_role("button", name="Mitmachen", exact=True)).to_be_visible(timeout=30_000)

    open_devices(manager)
    manager.get_by_role("button", name="Tablet Wartezimmer trennen").click()
    manager.get_by_role("button", name="Trennen", exact=True).click()
    expect(manager.get_by_text("„Tablet Wartezimmer“ ist getrennt.")).to_be_visible(timeout=15_000)
    manager.screenshot(path=artefacts / "pairing-staff-devices.png")

    kiosk.wait_for_url(station.https + "/pair/", timeout=15_000)   # the open kiosk screen left by itself
    expect(kiosk.get_by_text("Dieses Gerät wurde von der Praxisleitung getrennt.")).to_be_visible()
    kiosk.screenshot(path=artefacts / "pairing-revoked.png")
    assert kiosk.goto(station.https + "/kiosk/").status == 403
    assert websocket_refused(kiosk, station.https.replace("https", "wss") + "/kiosk/ws")
    context.close()


def read_qr_codes(page, shot, prefix: str, attempts: int = 50) -> list[str]:
    """The QR codes on screen that start with `prefix`, read with zxing-cpp from a screenshot as a
    tablet's camera would; Flutter paints a frame after its accessibility tree shows the text, so
    this waits until a screenshot holds a readable code."""
    for _ in range(attempts):
        page.screenshot(path=shot)
        codes = [c.text for c in zxingcpp.read_barcodes(Image.open(shot)) if c.text.startswith(prefix)]
        if codes:
            return codes
        page.wait_for_timeout(100)
    return []


def websocket_refused(page, url: str) -> bool:
    """True when the browser's WebSocket to `url` closes without ever opening."""
    return page.evaluate("""url => new Promise(done => {
        const socket = new WebSocket(url);
        socket.onopen = () => { socket.close(); done(false); };
        socket.onclose = () => done(true);
    })""", url)
