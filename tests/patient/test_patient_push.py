"""Web Push to the installed app: a device's subscription kept per session, the desk's answer sent
by the HQ process VAPID-signed and encrypted so only that device reads it, e-mail as the fallback
when the push service has dropped the subscription; and, in Chromium, the app's service worker
showing the message (and what subscribing does in this browser)."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from playwright.sync_api import expect

from loyalty.services import appointments as desk
from sync.hq.db import AppNotice, AppPush, hq_db
from sync.hq.patients import appointments, push, signin
from tests.browser import shot

from patient_helpers import app_page, hq_call, member_at, open_tab, sign_in_by_mail, wait_for_mail
from push_service import Phone, PushService, vapid_claims

SOON = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3)


@pytest.fixture
def service():
    played = PushService()
    yield played
    played.stop()



def session_for(member_id: str) -> str:
    with hq_db.connection_context():
        return signin._session_for({"id": member_id, "locale": "de"}, "Android phone", time.time()).token


def wait_for_push(service: PushService, count: int, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with service.lock:
            if len(service.received) >= count:
                return service.received[count - 1]
        time.sleep(0.1)
    raise TimeoutError(f"the push service got fewer than {count} messages in {timeout} s")


def answered_notice(member_id: str, timeout: float = 20.0) -> AppNotice:
    """The member's notice once HQ has recorded how it went: it sends first and records after, so
    the message can arrive a moment before its record says so."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with hq_db.connection_context():
            notice = AppNotice.get(AppNotice.member_id == member_id)
        if notice.status not in ("planned", "sending"):
            return notice
        time.sleep(0.1)
    raise TimeoutError(f"the notice to {member_id} was not answered in {timeout} s")


def subscribe(hq, token: str, subscription: dict) -> requests.Response:
    return requests.post(f"{hq.url}/app/push/subscribe", json={"token": token, "subscription": subscription},
                         timeout=10)


def test_the_desks_answer_reaches_the_phone_by_push_signed_and_encrypted(hq, template, tmp_path, service, smtp):
    a = template.node(tmp_path, "a", hq)
    anna = member_at(a, "Anna")
    a.sync()
    phone, token = Phone(), session_for(anna)
    assert subscribe(hq, token, phone.subscription(f"{service.url}/push/anna-phone")).status_code == 200
    assert hq_call(push.subscribed, anna)
    asked = hq_call(appointments.request, anna, hq.location, ["tue"], [], None)
    a.sync()
    desk.confirm_appointment(asked.appointment_id, SOON, a.receptionist)
    a.sync()

    delivered = wait_for_push(service, 1)
    assert delivered.path == "/push/anna-phone" and delivered.headers["content-encoding"] == "aes128gcm"
    claims = vapid_claims(delivered, requests.get(f"{hq.url}/app/push/key", timeout=10).json()["key"])
    assert claims["aud"] == service.url and claims["exp"] > time.time() and claims["sub"].startswith("mailto:")
    message = phone.read(delivered)
    assert message["title"] == "Anna, Ihr Termin ist bestätigt" and "Praxis Vital" in message["body"]
    assert "Botulinum" not in json.dumps(message)
    assert answered_notice(anna).channel == "push"
    assert smtp.to("anna@example.org") == []                     # pushed: no e-mail as well


def test_a_dropped_subscription_is_forgotten_and_the_answer_goes_by_e_mail(hq, template, tmp_path, service, smtp):
    a = template.node(tmp_path, "a", hq)
    anna = member_at(a, "Anna")
    a.sync()
    subscribe(hq, session_for(anna), Phone().subscription(f"{service.url}/push/old-phone"))
    service.status = 410                                          # the browser unsubscribed
    asked = hq_call(appointments.request, anna, hq.location, [], [], None)
    a.sync()
    desk.decline_appointment(asked.appointment_id, a.receptionist)
    a.sync()
    mail = wait_for_mail(smtp, "anna@example.org", 0)
    assert "zu Ihrer Terminanfrage" in mail.subject and len(service.received) == 1
    with hq_db.connection_context():
        assert not AppPush.select().exists()
    assert answered_notice(anna).channel == "email"


def test_subscriptions_are_checked(hq, template, tmp_path, service):
    a = template.node(tmp_path, "a", hq)
    anna, ben = member_at(a, "Anna"), member_at(a, "Ben")
    a.sync()
    token = session_for(anna)
    phone = Phone()
    assert subscribe(hq, "not-a-session", phone.subscription(f"{service.url}/x")).status_code == 403
    for endpoint in ("https://intranet.example/hook", "http://fcm.googleapis.com/fcm/send/x", "file:///etc/passwd",
                     "http://10.0.0.1/push"):
        answer = subscribe(hq, token, phone.subscription(endpoint))
        assert answer.status_code == 400 and answer.json()["error"] == "push_subscription_invalid", endpoint
    assert requests.post(f"{hq.url}/app/push/subscribe", data="{", timeout=10).status_code == 400
    assert subscribe(hq, token, phone.subscription("https://fcm.googleapis.com/fcm/send/abc")).status_code == 200
    assert hq_call(push.subscribed, anna) and not hq_call(push.subscribed, ben)
    assert subscribe(hq, session_for(ben), phone.subscription("https://fcm.googleapis.com/fcm/send/abc")).status_code \
        == 200                                                    # the same browser, now Ben's: Anna's goes
    assert not hq_call(push.subscribed, anna) and hq_call(push.subscribed, ben)


@pytest.mark.browser
def test_the_apps_service_worker_shows_a_push_message(browser, hq, smtp, tmp_path, template, artefacts):
    node = template.node(tmp_path, "a", hq)
    member_at(node, "Anna")
    node.sync()
    page = app_page(browser, hq)
    page.context.grant_permissions(["notifications"], origin=hq.url)
    sign_in_by_mail(page, smtp, "anna@example.org")
    expect(page.get_by_text("Hallo Anna")).to_be_visible()
    open_tab(page, "Mehr")
    page.get_by_role("button", name="Mitteilungen einschalten").click()
    page.wait_for_url("**/app/push.html")
    page.get_by_role("button", name="Mitteilungen einschalten").click()
    outcome = page.locator("#result")
    expect(outcome).to_have_attribute("data-outcome", re_outcome())
    chosen = outcome.get_attribute("data-outcome")
    shot(page, artefacts / f"patient-push-{chosen}-phone.png")
    print(f"\nWeb Push subscribe in this Chromium: {chosen}: {page.locator('#detail').text_content()}")
    assert (chosen == "done") == hq_call(lambda: AppPush.select().exists())

    cdp = page.context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    deadline = time.monotonic() + 10
    while not [r for r in registrations if r["scopeURL"].endswith("/app/")] and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    [registration] = [r for r in registrations if r["scopeURL"].endswith("/app/")][:1]
    page.evaluate("""() => {        // watch inside the page: headless Chromium closes a notification after ~2 s
        window.shown = (async () => {
            const registration = await navigator.serviceWorker.ready;
            for (const end = Date.now() + 20000; Date.now() < end;) {
                const all = await registration.getNotifications();
                if (all.length) { return all.map(n => [n.title, n.body, n.tag]); }
                await new Promise(wait => setTimeout(wait, 10));
            }
            return [];
        })();
        return true;
    }""")
    message = {"title": "Anna, Ihr Termin ist bestätigt", "body": "Ihr Termin ist bestätigt.", "url": "./",
               "tag": "n1"}
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": hq.url, "registrationId": registration["registrationId"],
                                                  "data": json.dumps(message)})
    shown = page.evaluate("window.shown")
    assert shown == [["Anna, Ihr Termin ist bestätigt", "Ihr Termin ist bestätigt.", "n1"]]
    page.context.close()


def re_outcome():
    import re
    return re.compile("^(done|no_service|unsupported)$")
