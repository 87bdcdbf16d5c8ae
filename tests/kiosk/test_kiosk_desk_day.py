"""A day at the kiosk as patients see it: care consent offered on its own, the card's way out said
honestly and masked, "Welcome" on the first visit, one scan that shows check-in, stamp and recall,
rewards and perks named only when the program marks them public.

Each test opens its own kiosk page and makes its own members; scans come from the USB scanner
(typed into this page only), so no other open kiosk page sees them.
"""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser import open_flet_page, shot, switch_language, type_in

pytestmark = pytest.mark.browser


@pytest.fixture
def page(kiosk_url, browser):
    page = open_flet_page(browser, kiosk_url, viewport=(1280, 800))
    page.get_by_role("button", name="Mitmachen").wait_for(timeout=60_000)
    yield page
    page.close()


def unique(first_name: str) -> tuple[str, str]:
    """A first name and an e-mail address nobody else in the shared kiosk database has."""
    tag = uuid.uuid4().hex[:8]
    return first_name, f"{first_name.lower()}.{tag}@example.org"


def new_member(first_name: str, **kw):
    from loyalty.services import Actor, device_id, enroll
    name, email = unique(first_name)
    return enroll(name, Actor(device_id()), email=email, consent_program=True, age_confirmed=True, **kw)


def manager():
    from loyalty.services import device_id, sign_in
    return sign_in("Chef", "1234", device_id())


def scan(page, token: str) -> None:
    """The USB scanner: fast keys and Enter into this page. Keys reach the server through Flutter and
    the websocket; on a loaded machine a gap can exceed the scanner's and the code is dropped as
    typing. Then no visit was written: type it again (a code that did arrive is never typed twice)."""
    from loyalty.services import find_card
    from loyalty.store import LedgerEntry
    card, _problem = find_card(token)

    def visits() -> int:
        return LedgerEntry.select().where((LedgerEntry.member == card.member_id)
                                          & (LedgerEntry.kind == "visit")).count()
    before = visits()
    for _attempt in range(3):
        page.keyboard.type(token, delay=8)
        page.keyboard.press("Enter")
        try:
            expect(page.get_by_role("button", name="Fertig")).to_be_visible(timeout=10_000)
            return
        except AssertionError:
            if visits() > before:
                return
    raise AssertionError(f"the kiosk did not take {token} in three scans")


def tick(box) -> None:
    """Tick a box and see it ticked before going on (a tap can reach Flutter late on a busy machine)."""
    box.click()
    expect(box).to_be_checked()


@pytest.mark.parametrize("lang, care", [("en", True), ("de", False)])
def test_join_offers_care_reminders_on_their_own_unticked(page, station_db, artefacts, lang, care):
    from loyalty.services import consents
    from loyalty.store import ConsentEvent, Member
    words = {"en": ("English", "Join", "First name", "E-mail", "Please remind me when my next appointment is due",
                    "^I agree to the terms", "I am at least 18 years old.", "Join now"),
             "de": ("Deutsch", "Mitmachen", "Vorname", "E-Mail", "Bitte erinnern Sie mich, wenn mein nächster Termin",
                    "^Ich stimme den Teilnahmebedingungen", "Ich bin mindestens 18 Jahre alt.", "Jetzt mitmachen")}
    language, join, first, mail, care_label, terms, age, submit = words[lang]
    name, email = unique("Hedda")
    page.get_by_role("button", name=language).click()
    page.get_by_role("button", name=join, exact=True).click()
    care_box = page.get_by_role("checkbox", name=re.compile("^" + re.escape(care_label)))
    expect(care_box).not_to_be_checked()
    expect(page.get_by_role("checkbox", name=re.compile(terms))).not_to_be_checked()
    type_in(page, first, name)
    type_in(page, mail, email)
    tick(page.get_by_role("checkbox", name=re.compile(terms)))
    tick(page.get_by_role("checkbox", name=age))
    if care:
        care_box.click()
        expect(care_box).to_be_checked()
    shot(page, artefacts / f"kiosk-join-care-{lang}.png")
    page.get_by_role("button", name=submit).click()
    expect(page.get_by_role("img", name=re.compile("QR"))).to_be_visible(timeout=15_000)
    member = Member.get(Member.email == email)
    assert consents(member.id) == {"program": True, "marketing": False, "care": care}
    sources = {e.purpose: e.source for e in ConsentEvent.select().where(ConsentEvent.member == member.id)}
    assert sources == ({"program": "kiosk", "care": "kiosk"} if care else {"program": "kiosk"})


def test_the_card_screen_masks_the_address_and_promises_no_mail_already_sent(page, station_db, artefacts):
    name, email = unique("Ilse")
    switch_language(page, "English")
    page.get_by_role("button", name="Join", exact=True).click()
    type_in(page, "First name", name)
    type_in(page, "E-mail", email)
    tick(page.get_by_role("checkbox", name=re.compile("^I agree to the terms")))
    tick(page.get_by_role("checkbox", name="I am at least 18 years old."))
    page.get_by_role("button", name="Join now").click()
    masked = r"^We will also send your card to i•••@e•••\.org( tomorrow)?( from \d\d:\d\d)?\.$"   # quiet hours
    line = page.get_by_text(re.compile(masked))
    expect(line).to_be_visible(timeout=15_000)
    shot(page, artefacts / "kiosk-card-masked-en.png")
    assert page.get_by_text(email, exact=False).count() == 0
    assert page.get_by_text(re.compile("sent your card")).count() == 0


def test_the_first_scan_after_joining_says_welcome_not_welcome_back(page, station_db, artefacts):
    joined = new_member("Jana")
    scan(page, joined.card_token)
    expect(page.get_by_text("Willkommen, Jana!", exact=True)).to_be_visible(timeout=15_000)
    assert page.get_by_text("Willkommen zurück", exact=False).count() == 0
    shot(page, artefacts / "kiosk-first-visit-de.png")


def test_one_scan_shows_check_in_stamp_and_the_recall_without_naming_the_treatment(page, station_db, artefacts):
    """Kira had a toxin treatment 75 days ago (its recall fell due 5 days ago) and again 3 days ago:
    the kiosk shows the recall of the newer one, not "your appointment is due"."""
    from loyalty import clock
    from loyalty.i18n import fmt_date
    from loyalty.services import Actor, check_in, device_id, member_status, record_treatment
    now = clock.now()
    try:
        clock.set_source(lambda: now - timedelta(days=75))
        kira = new_member("Kira")
        for days_ago in (75, 3):
            clock.set_source(lambda days_ago=days_ago: now - timedelta(days=days_ago))
            check_in(kira.card_token, Actor(device_id()))
            record_treatment(kira.member_id, "botox", manager())
    finally:
        clock.set_source(None)
    due = member_status(kira.member_id).next_visit_due
    assert timedelta(days=66) < due - clock.now() < timedelta(days=68)
    scan(page, kira.card_token)
    expect(page.get_by_text("Willkommen zurück, Kira!")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("+1 Stempel heute")).to_be_visible()
    expect(page.get_by_text("3 von 10 Stempeln")).to_be_visible()
    hint = page.get_by_text(f"Ihr nächster Termin wäre ab dem {fmt_date(due, 'de', 'long')} sinnvoll.")
    expect(hint).to_be_in_viewport()                       # beside the feedback question, not scrolled away
    expect(page.get_by_text("Wie wahrscheinlich ist es", exact=False)).to_be_visible()
    shot(page, artefacts / "kiosk-scan-stamp-recall-de.png")
    assert page.get_by_text("Ihr nächster Termin steht an", exact=False).count() == 0
    for name in ("Botulinum", "Botox", "toxin"):
        assert page.get_by_text(name, exact=False).count() == 0
    assert member_status(kira.member_id).stamps_on_card == 3


def test_ready_rewards_and_perks_are_named_only_when_public(page, station_db, artefacts):
    from loyalty.services import award_purchase, member_status
    lena = new_member("Lena")
    award_purchase(lena.member_id, 300000, manager(), item_code="sunscreen")      # 3,050 points: gold
    status = member_status(lena.member_id)
    assert status.tier == "gold" and "serum-free" in status.rewards_ready
    scan(page, lena.card_token)
    expect(page.get_by_text(
        "Prämien warten auf Sie: Lounge und Kaffee vor dem Termin, 5 EUR Spende an ein Kinderhilfswerk in Ihrem "
        "Namen und mehr. Fragen Sie einfach an der Rezeption.")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Ihre Vorteile: Bevorzugte Terminvergabe, Lounge und Kaffee vor dem Termin")
           ).to_be_in_viewport()
    shot(page, artefacts / "kiosk-rewards-perks-de.png")
    for private in ("Hyaluron-Serum", "Guthaben", "Beratungsgespräch"):
        assert page.get_by_text(private, exact=False).count() == 0
    switch_language(page, "English")
    expect(page.get_by_text("Your benefits: Priority booking, Lounge and coffee before your appointment")
           ).to_be_visible()
    shot(page, artefacts / "kiosk-rewards-perks-en.png")
