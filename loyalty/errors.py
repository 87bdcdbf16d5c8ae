"""A refusal: a user's request the rules do not allow. Carries a message code for i18n."""
from __future__ import annotations


class Refused(Exception):
    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(code)

    def message(self, lang: str = "en") -> str:
        from loyalty.i18n import t
        params = dict(self.params)
        if "category" in params:
            params["category"] = t(f"category.{params['category']}", lang)
        return t(f"refused.{self.code}", lang, **params)

    def __str__(self) -> str:
        return self.message("en")
