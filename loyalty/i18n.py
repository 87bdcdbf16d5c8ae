"""User-facing text in German and English.

Catalogues are TOML files in assets/i18n/<lang>/*.toml (one per app: core, kiosk, staff ...),
merged per language; keys are dotted paths such as "refused.invalid_email". Numbers, money and
dates are formatted by Babel for the locale ("1.242 Punkte", "1,242 points").
"""
from __future__ import annotations

import tomllib
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date, format_datetime, format_skeleton, format_time, format_timedelta
from babel.numbers import format_currency, format_decimal

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
_DIR = Path(__file__).resolve().parent.parent / "assets" / "i18n"
_LOCALES = {"de": "de_DE", "en": "en_GB"}


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    flat: dict[str, str] = {}
    for path in sorted((_DIR / lang).glob("*.toml")):
        _flatten(tomllib.loads(path.read_text(encoding="utf-8")), "", flat)
    return flat


def _flatten(table: dict, prefix: str, out: dict[str, str]) -> None:
    for key, value in table.items():
        if isinstance(value, dict):
            _flatten(value, f"{prefix}{key}.", out)
        else:
            out[f"{prefix}{key}"] = value


def t(key: str, lang: str = DEFAULT_LANGUAGE, **params) -> str:
    """Translate; a missing key falls back to English, then to the key itself (visible in tests)."""
    text = catalogue(lang if lang in LANGUAGES else "en").get(key) or catalogue("en").get(key) or key
    return text.format(**params) if params else text


def fmt_number(value: int | float, lang: str) -> str:
    return format_decimal(value, locale=_LOCALES.get(lang, "en_GB"))


def fmt_money(cents: int, lang: str, currency: str = "EUR") -> str:
    return format_currency(cents / 100, currency, locale=_LOCALES.get(lang, "en_GB"))


def fmt_date(value: date | datetime, lang: str, fmt: str = "medium") -> str:
    if isinstance(value, datetime):
        return format_date(value.date(), fmt, locale=_LOCALES.get(lang, "en_GB"))
    return format_date(value, fmt, locale=_LOCALES.get(lang, "en_GB"))


def fmt_day(value: date, lang: str) -> str:
    """Day and month as short as a chart's axis has room for: "4. Dez.", "4 Dec"."""
    return format_skeleton("MMMd", value, locale=_LOCALES.get(lang, "en_GB"))


def fmt_datetime(value: datetime, lang: str, tz: str = "Europe/Berlin") -> str:
    return format_datetime(value, "short", tzinfo=_tz(tz), locale=_LOCALES.get(lang, "en_GB"))


def fmt_appointment(value: datetime, lang: str, tz: str = "Europe/Berlin") -> str:
    """An appointment as a patient reads it: "Sonntag, 7. Dezember 2031, 09:30", "Sunday, 7 December 2031, 09:30"."""
    local = value.astimezone(_tz(tz))
    locale = _LOCALES.get(lang, "en_GB")
    return f"{format_date(local.date(), 'full', locale=locale)}, {format_time(local, 'HH:mm', locale=locale)}"


def fmt_time(value: datetime, lang: str, tz: str = "Europe/Berlin") -> str:
    return format_time(value, "short", tzinfo=_tz(tz), locale=_LOCALES.get(lang, "en_GB"))


def fmt_ago(delta: timedelta, lang: str) -> str:
    """How long ago, in the short form a status line has room for: "vor 2 Min.", "2 min ago"."""
    return format_timedelta(-delta, add_direction=True, format="short", locale=_LOCALES.get(lang, "en_GB"))


def say(key: str | None, value, lang: str) -> str:
    """One value for people, by what it is: a `*_cents` key is money, `category` a catalogue
    category, a name in both languages ({"de": .., "en": ..}) is said in `lang`, numbers and dates
    in the locale, yes/no for a flag, a list one item after the other, nothing as a dash."""
    if value is None:
        return t("value.none", lang)
    if key == "category" and isinstance(value, str):
        return t(f"category.{value}", lang)
    if isinstance(value, bool):
        return t("value.yes" if value else "value.no", lang)
    if key and key.endswith("_cents") and isinstance(value, int):
        return fmt_money(value, lang)
    if isinstance(value, (int, float)):
        return fmt_number(value, lang)
    if isinstance(value, (date, datetime)):
        return fmt_date(value, lang, "long")
    if isinstance(value, dict):
        if set(value) & set(LANGUAGES) and all(isinstance(v, str) for v in value.values()):
            return str(value.get(lang) or value.get("en") or "")
        return ", ".join(f"{k}: {say(k, v, lang)}" for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return ", ".join(say(key, v, lang) for v in value) or t("value.none", lang)
    return str(value)


def labelled_lines(record: dict, lang: str, labels: str = "field") -> list[str]:
    """A record as "label: value" lines for a terminal; labels come from `<labels>.<key>`."""
    return [f"{t(f'{labels}.{key}', lang) if f'{labels}.{key}' in catalogue('en') else key}: "
            f"{say(key, value, lang)}" for key, value in record.items()]


def _tz(name: str):
    from zoneinfo import ZoneInfo
    return ZoneInfo(name)
