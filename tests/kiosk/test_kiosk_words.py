"""What the kiosk may say on its public screen, without a browser: masked contacts, where and when a
new card goes, rewards and perks named only when public."""
from __future__ import annotations

from datetime import datetime, timezone

from kiosk.masking import mask_email, mask_phone
from kiosk.screens import delivery_line, public_words
from loyalty import clock
from loyalty.program import ASSETS, load_program_file
from loyalty.services import Actor, device_id, enroll
from loyalty.services.messages import WelcomeDelivery, welcome_delivery

REWARDS = load_program_file(ASSETS / "programs" / "clinic-de.toml").rewards


def test_contacts_are_masked_but_recognisable():
    assert mask_email("zoe.mueller@praxis-example.de") == "z•••@p•••.de"
    assert mask_email("a@b.co.uk") == "a•••@b•••.uk"
    assert mask_email("nobody") == "•••"
    assert mask_phone("+491712345678") == "••• 678"
    assert mask_phone("12") == "•••"


def test_ready_rewards_are_named_only_when_public():
    assert public_words([], REWARDS, "de", "kiosk.welcome.reward_ready", "rewards") is None
    assert public_words(["serum-free"], REWARDS, "de", "kiosk.welcome.reward_ready", "rewards") == \
        "Eine Prämie wartet auf Sie. Fragen Sie einfach an der Rezeption."
    assert public_words(["lounge"], REWARDS, "en", "kiosk.welcome.reward_ready", "rewards") == \
        "A reward is ready for you: Lounge and coffee before your appointment. Just ask at the desk."
    assert public_words(["lounge", "credit-cosmetics"], REWARDS, "en", "kiosk.welcome.reward_ready", "rewards") == \
        "Rewards are ready for you: Lounge and coffee before your appointment and more. Just ask at the desk."


def test_the_card_line_says_where_and_when_in_both_languages():
    clock.set_source(lambda: datetime(2026, 3, 2, 21, 30, tzinfo=timezone.utc))     # 22:30 in Berlin
    try:
        soon = WelcomeDelivery("email", "zoe@example.org", None)
        later = WelcomeDelivery("email", "zoe@example.org", datetime(2026, 3, 3, 7, 0, tzinfo=timezone.utc))
        text = WelcomeDelivery("sms", "+491712345678", None)
        assert delivery_line(soon, "en", "Europe/Berlin") == "We will also send your card to z•••@e•••.org."
        assert delivery_line(later, "de", "Europe/Berlin") == \
            "Wir schicken Ihnen die Karte außerdem morgen ab 08:00 Uhr an z•••@e•••.org."
        assert delivery_line(later, "en", "Europe/Berlin") == \
            "We will also send your card to z•••@e•••.org tomorrow from 08:00."
        assert delivery_line(text, "de", "Europe/Berlin") == \
            "Den Code Ihrer Karte schicken wir Ihnen außerdem per SMS an ••• 678."
    finally:
        clock.set_source(None)


def test_welcome_delivery_picks_the_channel_the_scheduler_will_use_and_waits_out_quiet_hours(station, clock):
    both = enroll("Zoë", Actor(device_id()), email="zoe@example.org", phone="0171 2345678", consent_program=True,
                  age_confirmed=True).member_id
    phone_only = enroll("Udo", Actor(device_id()), phone="0171 7654321", consent_program=True,
                        age_confirmed=True).member_id
    assert welcome_delivery(both, ("email", "sms")) == WelcomeDelivery("email", "zoe@example.org", None)
    assert welcome_delivery(both, ("sms",)).channel == "sms"
    assert welcome_delivery(phone_only, ("email",)) is None
    late = datetime(2026, 3, 2, 21, 30, tzinfo=timezone.utc)                      # 22:30 in Berlin: quiet
    assert welcome_delivery(both, ("email",), now=late).not_before == datetime(2026, 3, 3, 7, 0, tzinfo=timezone.utc)
