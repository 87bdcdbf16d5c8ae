"""The kiosk's screens as Flet controls: idle, welcome, "could not use this code", new card.

A public screen: rewards are named only when the program marks them public, contact details are
masked, treatments are never named.

Large type for arm's length on a 24-27" screen, calm clinic colours, every control labelled. Only
builders here: state lives in kiosk/session.py, events are wired in kiosk/app.py.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import cv2
import flet as ft
import numpy as np

from kiosk.masking import mask_email, mask_phone
from loyalty import clock
from loyalty.i18n import fmt_date, fmt_number, fmt_time, t
from loyalty.program import Reward
from loyalty.services import CheckInResult
from loyalty.services.checkin import ALREADY
from loyalty.services.messages import WelcomeDelivery

BG = "#F3F6F5"
INK = "#1F2A30"
MUTED = "#4A5A60"
TEAL = "#0F4C5C"
SOFT = "#DCEBEA"
WARM = "#B5541C"
WHITE = "#FFFFFF"

H1, H2, BODY, SMALL = 50, 34, 28, 24
PREVIEW_W, PREVIEW_H = 600, 450
DUE_SOON = timedelta(days=14)


def placeholder_jpeg() -> bytes:
    """A dark frame for the preview until the camera sends its first picture."""
    ok, buf = cv2.imencode(".jpg", np.full((PREVIEW_H // 4, PREVIEW_W // 4, 3), 40, np.uint8))
    return buf.tobytes()


def text(value: str, size: float = BODY, *, weight: ft.FontWeight | None = None, color: str = INK,
         align: ft.TextAlign = ft.TextAlign.START) -> ft.Text:
    return ft.Text(value, size=size, weight=weight, color=color, text_align=align)


def big_button(label: str, on_click: Callable, *, primary: bool = True, width: float | None = None) -> ft.Button:
    return ft.Button(
        content=label, on_click=on_click, width=width, height=84,
        style=ft.ButtonStyle(
            bgcolor=TEAL if primary else WHITE, color=WHITE if primary else TEAL,
            text_style=ft.TextStyle(size=H2 - 4, weight=ft.FontWeight.W_600),
            padding=ft.Padding.symmetric(horizontal=36, vertical=12),
            shape=ft.RoundedRectangleBorder(radius=18),
            side=None if primary else ft.BorderSide(2, TEAL)))


class TopBar:
    """Program name and the two language buttons, on every screen; kept across screens and
    restyled in place, so a tap on a language button never hits a control being replaced."""

    def __init__(self, program_name: str, on_language: Callable[[str], None]) -> None:
        self.buttons = {code: ft.Button(content=t(f"kiosk.language_{code}", code), height=56,
                                        on_click=lambda _e, code=code: on_language(code))
                        for code in ("de", "en")}
        self.control = ft.Row([text(program_name, H2 - 6, weight=ft.FontWeight.BOLD, color=TEAL),
                               ft.Row(list(self.buttons.values()), spacing=12)],
                              alignment=ft.MainAxisAlignment.SPACE_BETWEEN)

    def set_language(self, language: str) -> None:
        for code, button in self.buttons.items():
            active = code == language
            button.style = ft.ButtonStyle(bgcolor=TEAL if active else WHITE, color=WHITE if active else TEAL,
                                          text_style=ft.TextStyle(size=SMALL, weight=ft.FontWeight.W_600),
                                          shape=ft.RoundedRectangleBorder(radius=28), side=ft.BorderSide(2, TEAL))


def idle_screen(lang: str, on_join: Callable) -> ft.Control:
    """"Hold your code here" and a big Join button, right of the viewfinder (kiosk/viewfinder.py)."""
    return ft.Column(
        [text(t("kiosk.hold_code", lang), H1 + 4, weight=ft.FontWeight.BOLD, color=TEAL),
         text(t("kiosk.hold_code_hint", lang), BODY, color=MUTED),
         ft.Container(height=40),
         text(t("kiosk.join_hint", lang), BODY, color=INK),
         big_button(t("kiosk.join_button", lang), on_join, width=360)],
        spacing=16, alignment=ft.MainAxisAlignment.CENTER)


def stamp_card(on_card: int, per_card: int, lang: str, compact: bool = False) -> ft.Control:
    """The stamp card drawn as stamps: filled circles with a tick, empty ones outlined."""
    size = (44 if compact else 60) if per_card <= 10 else 40
    stamps = [ft.Container(
        ft.Icon(ft.Icons.CHECK, size=size * 0.6, color=WHITE) if i < on_card else None,
        width=size, height=size, border_radius=size / 2, alignment=ft.Alignment.CENTER,
        bgcolor=TEAL if i < on_card else WHITE, border=ft.Border.all(3, TEAL)) for i in range(per_card)]
    return ft.Container(
        ft.Column([ft.Row(stamps, spacing=12, wrap=True),
                   text(t("kiosk.welcome.stamps", lang, have=on_card, per_card=per_card), H2 - 2,
                        weight=ft.FontWeight.W_600)], spacing=12),
        bgcolor=WHITE, border_radius=22, padding=ft.Padding.symmetric(horizontal=28, vertical=20))


def welcome_screen(lang: str, result: CheckInResult, rewards: dict[str, Reward], on_done: Callable,
                   feedback: ft.Control | None = None) -> ft.Control:
    """First name only; stamps, points, tier, reward ready, a next-visit hint that names no treatment,
    the perks of the member's status in one small line. "Welcome" on the day of the first visit,
    "Welcome back" after that."""
    status = result.member
    compact = feedback is not None   # the feedback panel takes the right half
    title = "kiosk.welcome.first_visit" if result.first_visit else "kiosk.welcome.title"
    lines: list[ft.Control] = [
        text(t(title, lang, name=status.first_name), H1 - 6 if compact else H1 + 6,
             weight=ft.FontWeight.BOLD, color=TEAL)]
    if result.status == ALREADY:
        lines.append(text(t("kiosk.welcome.already", lang), H2, color=WARM, weight=ft.FontWeight.W_600))
    elif result.card_completed:
        lines.append(text(t("kiosk.welcome.card_full", lang), H2, color=WARM, weight=ft.FontWeight.W_600))
    elif result.stamps_added:
        lines.append(text(t("kiosk.welcome.stamp_new", lang), H2, color=MUTED))
    # a full card shows full until its reward is redeemed, not as an empty new card
    on_card = status.stamps_per_card if result.card_completed and status.stamps_on_card == 0 else status.stamps_on_card
    lines.append(stamp_card(on_card, status.stamps_per_card, lang, compact=compact))
    facts = [
        text(t("kiosk.welcome.points", lang, points=fmt_number(status.points, lang)), H2, weight=ft.FontWeight.W_600),
        text(t("kiosk.welcome.tier", lang, tier=status.tier_name.get(lang) or status.tier), H2, color=MUTED),
    ]
    lines.append(ft.Row(facts, spacing=48, wrap=True))
    if result.bonus_points:
        lines.append(text(t("kiosk.welcome.birthday_bonus", lang, points=result.bonus_points), BODY, color=WARM))
    ready = public_words(status.rewards_ready, rewards, lang, "kiosk.welcome.reward_ready", "rewards")
    if ready:
        lines.append(ft.Container(
            text(ready, SMALL if compact else BODY, weight=ft.FontWeight.W_600, color=WHITE),
            bgcolor=WARM, border_radius=18, padding=ft.Padding.symmetric(horizontal=24, vertical=14)))
    hint = next_visit_hint(status.next_visit_due, lang)
    if hint:
        lines.append(text(hint, SMALL + 2, color=INK))
    perks = public_words(status.perks, rewards, lang, "kiosk.welcome.perks", "perks")
    if perks:
        lines.append(text(perks, SMALL, color=MUTED))
    lines.append(big_button(t("kiosk.done", lang), on_done, primary=False, width=260))
    if not compact:
        return ft.Column(lines, spacing=14)
    return ft.Row([ft.Column(lines, spacing=12, expand=True, scroll=ft.ScrollMode.AUTO), feedback], spacing=32,
                  vertical_alignment=ft.CrossAxisAlignment.START)


def public_words(codes: list[str], rewards: dict[str, Reward], lang: str, key: str, param: str) -> str | None:
    """Rewards or perks as a public screen may say them: named when the program marks them public,
    otherwise only that there is something ("A reward is waiting for you"), never what it is."""
    known = [rewards[code] for code in codes if code in rewards]
    if not known:
        return None
    named = [r.name.get(lang) or r.code for r in known if r.public]
    if not named:
        return t(f"{key}_discreet", lang)
    return t(f"{key}_more" if len(named) < len(known) else key, lang, **{param: ", ".join(named)})


def next_visit_hint(due, lang: str) -> str | None:
    """Discreet on purpose: "your next appointment", never the treatment."""
    if due is None:
        return None
    if due - clock.now() <= DUE_SOON:
        return t("kiosk.welcome.next_visit_due", lang)
    return t("kiosk.welcome.next_visit_on", lang, date=fmt_date(due, lang, "long"))


def notice_screen(lang: str, status: str, on_done: Callable) -> ft.Control:
    """A code that is not ours, tampered, revoked or unknown: what happened and what to do."""
    return ft.Column(
        [ft.Icon(ft.Icons.INFO_OUTLINE, size=120, color=TEAL),   # decoration: the title below says it
         text(t("kiosk.notice.title", lang), H1, weight=ft.FontWeight.BOLD, color=TEAL, align=ft.TextAlign.CENTER),
         text(t(f"checkin.{status}", lang), H2, align=ft.TextAlign.CENTER),
         text(t("kiosk.notice.ask_desk", lang), H2, weight=ft.FontWeight.W_600, color=WARM, align=ft.TextAlign.CENTER),
         ft.Container(height=20),
         big_button(t("kiosk.back", lang), on_done, primary=False, width=380)],
        horizontal_alignment=ft.CrossAxisAlignment.CENTER, spacing=22)


def delivery_line(delivery: WelcomeDelivery, lang: str, tz: str) -> str:
    """Where the card is going, masked for the public screen, and when: after the quiet hours, if
    the member joined inside them; never "sent" before it is."""
    to = {"email": mask_email(delivery.to)} if delivery.channel == "email" else {"phone": mask_phone(delivery.to)}
    if delivery.not_before is None:
        return t(f"kiosk.card.{delivery.channel}", lang, **to)
    zone = ZoneInfo(tz)
    day = "today" if delivery.not_before.astimezone(zone).date() == clock.now().astimezone(zone).date() else "tomorrow"
    when = t(f"kiosk.card.when_{day}", lang, time=fmt_time(delivery.not_before, lang, tz))
    return t(f"kiosk.card.{delivery.channel}_when", lang, when=when, **to)


def card_screen(lang: str, first_name: str, qr: bytes, bonus_points: int, lines: list[ft.Control],
                on_done: Callable) -> ft.Control:
    """The new card: a large QR to photograph, the welcome bonus, e-mail and printer lines."""
    code = ft.Container(ft.Image(src=qr, width=420, height=420, semantics_label=t("kiosk.card.qr_label", lang),
                                 filter_quality=ft.FilterQuality.NONE),
                        bgcolor=WHITE, padding=16, border_radius=18)
    info = [text(t("kiosk.card.title", lang, name=first_name), H1 - 4, weight=ft.FontWeight.BOLD, color=TEAL),
            text(t("kiosk.card.photo_hint", lang), BODY)]
    if bonus_points:
        info.append(
            ft.Container(
                text(
                    t("kiosk.card.bonus", lang, points=fmt_number(bonus_points, lang)),
                    H2,
                    weight=ft.FontWeight.W_600,
                    color=WHITE,
                ),
                bgcolor=WARM,
                border_radius=18,
                padding=ft.Padding.symmetric(horizontal=24, vertical=14),
            )
        )
    info.extend(lines)
    info.append(big_button(t("kiosk.done", lang), on_done, width=260))
    return ft.Row([code, ft.Column(info, spacing=22, expand=True)], spacing=48,
                  vertical_alignment=ft.CrossAxisAlignment.CENTER)
