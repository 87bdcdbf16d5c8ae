"""A refusal: a user's request the rules do not allow. Carries a message code for i18n."""
from __future__ import annotations


class Refused(Exception):
    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(code)

    def message(self, lang: str = "en") -> str:
        """The refusal in words, its figures in the locale: "1.242 Punkte", "49,90 €", "1 May 2026".

        Parameters are said as `loyalty.i18n.say` says values: `*_cents` as money, `category` as
        a catalogue category, names in both languages in the message's language, numbers and dates
        in the locale.
        """
        from loyalty.i18n import say, t
        return t(f"refused.{self.code}", lang, **{key: say(key, value, lang) for key, value in self.params.items()})

    def __str__(self) -> str:
        return self.message("en")


class CommandError(Exception):
    """What the person at the terminal can fix that is no business refusal: a missing file, no
    station, arguments that do not fit together (`usage`). A message key under cli.problem."""

    def __init__(self, key: str, *, usage: bool = False, **params):
        self.key, self.usage, self.params = key, usage, params
        super().__init__(key)

    def text(self, lang: str = "en") -> str:
        from loyalty.i18n import t
        return t(f"cli.problem.{self.key}", lang, **self.params)

    def __str__(self) -> str:
        return self.text("en")
