"""Key figures in words: a figure's value as a manager reads it, and its formula with its own counts.

Shared by the station's dashboard and HQ's overview, so a figure reads the same in both.
"""
from __future__ import annotations

from babel import Locale
from babel.numbers import format_percent

from loyalty.i18n import fmt_money, fmt_number, t
from loyalty.tally import Figure


def figure_text(figure: Figure, lang: str) -> str:
    """The figure's value as a manager reads it: "42 %", "123,40 €", "3,5", "–" for nothing to measure."""
    value = figure.value
    if value is None:
        return "–"
    if figure.unit == "rate":
        pattern = Locale.parse(_locale(lang)).percent_formats[None].pattern.replace("#,##0", "#,##0.0", 1)
        return format_percent(value, pattern, locale=_locale(lang))
    if figure.unit == "cents":
        return fmt_money(int(value), lang)
    if figure.unit in ("per_week", "score"):
        return fmt_number(round(value, 1), lang)
    return fmt_number(value, lang)


def explain(figure: Figure, lang: str) -> str:
    """The formula in words with this figure's own counts filled in (shown when a figure is tapped)."""
    params = {name: fmt_money(v, lang) if name.endswith("_cents") else fmt_number(v, lang)
              for name, v in figure.parts.items()}
    return t(figure.formula_key, lang, **params)


def _locale(lang: str) -> str:
    return {"de": "de_DE", "en": "en_GB"}.get(lang, "en_GB")
