"""The join form: first name, e-mail or mobile, consents, age, optional birthday, a friend's code.

Three consents, each its own box and none ticked beforehand: the program (required), reminders and
aftercare (care: optional, health-related, so never bundled with anything) and offers (marketing).

The form only collects; `enroll` validates, and its refusal code decides which field shows the
message. The form keeps its values when the language changes (labels are swapped in place) and is
thrown away by the idle timeout.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import flet as ft

from kiosk.screens import BODY, H1, MUTED, SMALL, TEAL, WARM, big_button, text
from loyalty.errors import Refused
from loyalty.i18n import t

LEFT_W = 560   # the fields and both buttons side by side; the consent boxes take the rest of the 1200 design width

# Which field shows which of enroll's refusals; anything else goes under the submit button.
FIELD_OF = {
    "first_name_required": "first_name", "name_too_long": "first_name", "name_characters": "first_name",
    "invalid_email": "email", "contact_required": "email", "invalid_phone": "phone",
    "consent_required": "consent_program", "age_required": "age", "invalid_birthday": "birthday",
    "referral_invalid": "referral",
}


@dataclass(frozen=True)
class JoinValues:
    first_name: str
    email: str
    phone: str
    consent_program: bool
    consent_care: bool
    consent_marketing: bool
    age_confirmed: bool
    birthday_day: int | None
    birthday_month: int | None
    referrer_token: str | None


def _number(value: str) -> int | None | str:
    value = value.strip()
    if not value:
        return None
    return int(value) if value.isascii() and value.isdigit() else value      # int() also reads '²' and '٣'


class JoinForm:
    """Controls of one join attempt. `on_typing(bool)` tells the page whether a field has focus
    (the USB scanner is ignored meanwhile); `on_touch()` keeps the idle timeout away."""

    def __init__(self, lang: str, minimum_age: int, on_submit: Callable, on_cancel: Callable,
                 on_typing: Callable[[bool], None], on_touch: Callable[[], None]) -> None:
        self.lang = lang
        self.minimum_age = minimum_age
        self.referrer_token: str | None = None
        self._refusal: Refused | None = None
        self._on_typing, self._on_touch = on_typing, on_touch

        def field(width: float, **kwargs) -> ft.TextField:
            return ft.TextField(width=width, text_size=BODY, label_style=ft.TextStyle(size=SMALL),
                                error_style=ft.TextStyle(size=SMALL - 2, color=WARM), border_radius=14,
                                on_focus=lambda _e: on_typing(True), on_blur=lambda _e: on_typing(False),
                                on_change=lambda _e: on_touch(), **kwargs)

        def check() -> ft.Checkbox:
            return ft.Checkbox(scale=1.5, on_change=lambda _e: on_touch())

        self.first_name = field(LEFT_W, capitalization=ft.TextCapitalization.WORDS, autofocus=True)
        self.email = field(LEFT_W, keyboard_type=ft.KeyboardType.EMAIL)
        self.phone = field(LEFT_W, keyboard_type=ft.KeyboardType.PHONE)
        digits = ft.InputFilter(regex_string=r"^[0-9]{0,2}$")
        self.day = field(130, keyboard_type=ft.KeyboardType.NUMBER, input_filter=digits)
        self.month = field(150, keyboard_type=ft.KeyboardType.NUMBER, input_filter=digits)
        self.consent_program = check()
        self.consent_care = check()
        self.consent_marketing = check()
        self.age = check()
        self.box_labels = {
            id(box): text("", SMALL + 1)
            for box in (self.consent_program, self.consent_care, self.consent_marketing, self.age)
        }
        self.errors = {name: text("", SMALL - 2, color=WARM) for name in
                       ("consent_program", "age", "birthday", "referral", "form")}
        for name in self.errors:
            self.errors[name].visible = False
        self.title = text("", H1 - 6, weight=ft.FontWeight.BOLD, color=TEAL)
        self.subtitle = text("", SMALL + 2, color=MUTED)
        self.birthday_label = text("", SMALL, color=MUTED)
        self.referral_line = text("", SMALL, color=MUTED)
        self.referral_remove = ft.TextButton(on_click=self._remove_referral, visible=False,
                                             style=ft.ButtonStyle(text_style=ft.TextStyle(size=SMALL), color=TEAL))
        self.submit = big_button("", on_submit)
        self.cancel = big_button("", on_cancel, primary=False)
        self.relabel(lang)
        self.control = self.build()

    def relabel(self, lang: str) -> None:
        """Swap every label for the other language; typed values and ticks stay."""
        self.lang = lang
        self.title.value = t("kiosk.join.title", lang)
        self.subtitle.value = t("kiosk.join.subtitle", lang)
        self.first_name.label = t("kiosk.join.first_name", lang)
        self.email.label = t("kiosk.join.email", lang)
        self.phone.label = t("kiosk.join.phone", lang)
        self.day.label = t("kiosk.join.birthday_day", lang)
        self.month.label = t("kiosk.join.birthday_month", lang)
        self.birthday_label.value = t("kiosk.join.birthday", lang)
        for box, label in ((self.consent_program, t("kiosk.join.consent_program", lang)),
                           (self.consent_care, t("kiosk.join.consent_care", lang)),
                           (self.consent_marketing, t("kiosk.join.consent_marketing", lang)),
                           (self.age, t("kiosk.join.age", lang, age=self.minimum_age))):
            box.semantics_label = label
            self.box_labels[id(box)].value = label
        self.referral_line.value = t(
            "kiosk.join.referral_added" if self.referrer_token else "kiosk.join.referral", lang
        )
        self.referral_remove.content = t("kiosk.join.referral_remove", lang)
        self.submit.content = t("kiosk.join.submit", lang)
        self.cancel.content = t("kiosk.join.cancel", lang)
        if self._refusal is not None:
            self.show_refusal(self._refusal)

    def build(self) -> ft.Control:
        """The fields and the buttons on the left, the boxes on the right: a message under a box
        (in German often two lines) grows the right column, never pushes the buttons off the screen;
        the right column scrolls should everything at once not fit."""
        self.birthday_label.width = self.errors["form"].width = LEFT_W
        left = ft.Column([self.first_name, self.email, self.phone, self.birthday_label,
                          ft.Row([self.day, self.month], spacing=16), self.errors["birthday"],
                          ft.Container(height=8), self.errors["form"],
                          ft.Row([self.submit, self.cancel], spacing=16)], spacing=10, width=LEFT_W)
        right = ft.Column([self._ticked(self.consent_program), self.errors["consent_program"],
                           self._ticked(self.consent_care), self._ticked(self.consent_marketing),
                           self._ticked(self.age), self.errors["age"],
                           ft.Container(height=6),
                           ft.Row([ft.Icon(ft.Icons.GROUP_ADD_OUTLINED, color=TEAL, size=34),
                                   ft.Container(self.referral_line, expand=True)]),
                           self.referral_remove, self.errors["referral"]], spacing=8, expand=True,
                          scroll=ft.ScrollMode.AUTO)
        return ft.Column([self.title, self.subtitle,
                          ft.Row([left, right], spacing=40, vertical_alignment=ft.CrossAxisAlignment.START,
                                 expand=True)], spacing=14)

    def _ticked(self, box: ft.Checkbox) -> ft.Control:
        """A box with its label wrapping beside it; tapping the label ticks the box too."""
        def toggle(_e) -> None:
            box.value = not box.value
            self._on_touch()
            box.update()
        return ft.Row([ft.Container(box, width=48, alignment=ft.Alignment.CENTER),
                       ft.Container(self.box_labels[id(box)], expand=True, on_click=toggle)],
                      vertical_alignment=ft.CrossAxisAlignment.START, spacing=14)

    def values(self) -> JoinValues | Refused:
        """The typed values, or a refusal for a birthday that is not two numbers."""
        day, month = _number(self.day.value), _number(self.month.value)
        if isinstance(day, str) or isinstance(month, str):
            return Refused("invalid_birthday")
        return JoinValues(first_name=self.first_name.value, email=self.email.value, phone=self.phone.value,
                          consent_program=bool(self.consent_program.value),
                          consent_care=bool(self.consent_care.value),
                          consent_marketing=bool(self.consent_marketing.value),
                          age_confirmed=bool(self.age.value), birthday_day=day, birthday_month=month,
                          referrer_token=self.referrer_token)

    def clear_errors(self) -> None:
        self._refusal = None
        for name in ("first_name", "email", "phone", "day"):
            getattr(self, name).error = None
        for label in self.errors.values():
            label.value, label.visible = "", False

    def show_refusal(self, refusal: Refused) -> None:
        """The service's message next to the field it is about."""
        self.clear_errors()
        self._refusal = refusal
        message = refusal.message(self.lang)
        where = FIELD_OF.get(refusal.code, "form")
        if where in ("first_name", "email", "phone"):
            getattr(self, where).error = message
        else:
            self.errors[where].value, self.errors[where].visible = message, True

    def show_message(self, key: str) -> None:
        self.clear_errors()
        self.errors["form"].value, self.errors["form"].visible = t(key, self.lang), True

    def set_referral(self, token: str | None, refusal: Refused | None = None) -> None:
        """A friend's code scanned on this screen (checked by the caller), or its removal."""
        self.referrer_token = None if refusal else token
        self.referral_remove.visible = self.referrer_token is not None
        self.referral_line.value = t("kiosk.join.referral_added" if self.referrer_token else "kiosk.join.referral",
                                     self.lang)
        self.referral_line.color = TEAL if self.referrer_token else MUTED
        if refusal:
            self.errors["referral"].value, self.errors["referral"].visible = refusal.message(self.lang), True
        else:
            self.errors["referral"].value, self.errors["referral"].visible = "", False

    def _remove_referral(self, _e) -> None:
        self._on_touch()
        self.set_referral(None)
