"""E-mail and phone validation and normalisation with well-kept libraries, not regexes."""
from __future__ import annotations

import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from loyalty.errors import Refused

DEFAULT_REGION = "DE"


# Zero-width (non-)joiners are part of the spelling in Persian and Indic names; every other format
# character (bidi overrides and isolates, zero-width space, BOM) only hides or reorders text.
_JOINERS = {"\u200c", "\u200d"}
_HIDDEN = {"Cc", "Cs", "Co", "Cn", "Zl", "Zp"}   # control, surrogate, private use, unassigned, line breaks


def clean_name(raw: str | None) -> str:
    """A person's name as typed (NFC, trimmed); refused when it holds characters no name has.

    Control characters (ANSI escapes in a terminal, line breaks in a CSV), bidi overrides that
    show "Anna" for another name, and invisible characters that make two names look alike.
    """
    text = unicodedata.normalize("NFC", raw or "").strip()
    for ch in text:
        category = unicodedata.category(ch)
        if category in _HIDDEN or (category == "Cf" and ch not in _JOINERS):
            raise Refused("name_characters")
    return text


def normalise_email(raw: str) -> str:
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise Refused("invalid_email", value=raw) from None
    return result.normalized.lower()


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """E.164, e.g. '+4917112345678'; only numbers that can receive a message are accepted."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise Refused("invalid_phone", value=raw) from None
    if not phonenumbers.is_valid_number(number):
        raise Refused("invalid_phone", value=raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_search_key(raw: str, region: str = DEFAULT_REGION) -> str:
    """Digits for prefix search: '0171 23' -> '4917123' (national prefix turned international)."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    if raw.strip().startswith("+") or raw.strip().startswith("00"):
        return digits[2:] if raw.strip().startswith("00") else digits
    if digits.startswith("0"):
        code = phonenumbers.country_code_for_region(region)
        return f"{code}{digits[1:]}"
    return digits


def fold(text: str) -> str:
    """Case- and accent-insensitive key: 'Müller' and 'muller' find each other."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("ß", "ss").strip()
