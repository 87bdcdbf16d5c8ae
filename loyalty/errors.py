"""A refusal: a user's request the rules do not allow. Carries a message code for i18n."""
from __future__ import annotations

from datetime import date


class Refused(Exception):
    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(code)

    def message(self, lang: str = "en") -> str:
        """The refusal in words, its figures in the locale: "1.242 Punkte", "49,90 €", "1 May 2026".

        A parameter named `*_cents` is money, `category` a catalogue category, a name in both
        languages ({"de": ..., "en": ...}, or a list of them) is said in the message's language,
        other numbers and dates are formatted as such.
        """
        from loyalty.i18n import fmt_date, fmt_money, fmt_number, t
        params = {}
        for key, value in self.params.items():
            if key == "category":
                value = t(f"category.{value}", lang)
            elif key.endswith("_cents") and isinstance(value, int):
                value = fmt_money(value, lang)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                value = fmt_number(value, lang)
            elif isinstance(value, dict):
                value = _said(value, lang)
            elif isinstance(value, (list, tuple)) and all(isinstance(v, dict) for v in value):
                value = ", ".join(_said(v, lang) for v in value)
            elif isinstance(value, date):
                value = fmt_date(value, lang, "long")
            params[key] = value
        return t(f"refused.{self.code}", lang, **params)

    def __str__(self) -> str:
        return self.message("en")


def _said(name: dict, lang: str) -> str:
    return str(name.get(lang) or name.get("en") or "")
