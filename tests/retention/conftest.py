"""Retention fixtures: members enrolled on the kiosk with chosen consents."""
from __future__ import annotations

import pytest

from loyalty.services import enroll

import retention_smtp

smtp_server, smtp = retention_smtp.smtp_server, retention_smtp.smtp    # fixtures: mail to a real SMTP server


@pytest.fixture
def enrol(station):
    """enrol("Anna", email=..., care=True, marketing=False) -> (member_id, card_token)."""
    def make(first_name="Anna", *, email=None, phone=None, care=True, marketing=True, locale="de",
             birthday=None):
        if email is None and phone is None:
            email = f"{first_name.lower()}@example.org"
        day, month = birthday or (None, None)
        result = enroll(first_name, station.device, email=email, phone=phone, consent_program=True,
                        consent_marketing=marketing, consent_care=care, age_confirmed=True, locale=locale,
                        birthday_day=day, birthday_month=month)
        return result.member_id, result.card_token
    return make


@pytest.fixture
def email_channel(smtp):
    from loyalty.adapters.channels import SmtpChannel
    return {"email": SmtpChannel.from_settings(smtp.settings)}
