"""Sign-in: pick your name, type your PIN on the pad. Wrong PINs and the lock-out are said in words."""
from __future__ import annotations

from typing import Callable

import flet as ft

from loyalty.services import list_staff, sign_in
from staff_app.ui import ACCENT, Ctx, heading


def build(ctx: Ctx, on_signed_in: Callable) -> ft.Control:
    chosen: dict[str, str | None] = {"name": None}
    pin: list[str] = []
    dots = ft.Row(spacing=10, tight=True)
    entered = ft.Semantics(content=dots, label=ctx.t("signin.digits", count=0))
    prompt = ft.Text(ctx.t("signin.pick_name"), size=18)
    names = ft.Column(spacing=8)

    def draw_names() -> None:
        names.controls = [
            ft.Button(s.name, width=260, height=52,
                      style=ft.ButtonStyle(bgcolor=ACCENT if s.name == chosen["name"] else None,
                                           color="white" if s.name == chosen["name"] else None),
                      on_click=lambda e, n=s.name: pick(n))
            for s in list_staff() if s.active]

    def pick(name: str) -> None:
        ctx.touch()
        chosen["name"] = name
        pin.clear()
        show_dots()
        prompt.value = ctx.t("signin.enter_pin", name=name)
        draw_names()

    def show_dots() -> None:
        """One filled circle per digit typed, drawn rather than typed (the web client's font has no
        circle glyph); screen readers hear how many digits there are, never which."""
        dots.controls = [ft.Container(width=18, height=18, border_radius=9, bgcolor=ACCENT) for _ in pin]
        entered.label = ctx.t("signin.digits", count=len(pin))

    def press(digit: str) -> None:
        ctx.touch()
        if len(pin) < 8:
            pin.append(digit)
        show_dots()

    def erase(e=None) -> None:
        ctx.touch()
        if pin:
            pin.pop()
        show_dots()

    def submit(e=None) -> None:
        if not chosen["name"]:
            ctx.fail(ctx.t("signin.pick_first"))
            return
        actor = ctx.attempt(sign_in, chosen["name"], "".join(pin), ctx.device)
        pin.clear()
        show_dots()
        if actor is not None:
            on_signed_in(actor)

    def key(label: str | ft.Control, handler, tooltip: str | None = None) -> ft.Control:
        return ft.Button(label, width=96, height=72, on_click=handler, tooltip=tooltip,
                         style=ft.ButtonStyle(text_style=ft.TextStyle(size=26)))

    # The delete key is an icon named for screen readers: the web client's font has no erase glyph.
    delete = ft.Icon(ft.Icons.BACKSPACE_OUTLINED, size=30, semantics_label=ctx.t("signin.erase"))
    rows = [[key(d, lambda e, d=d: press(d)) for d in digits] for digits in ("123", "456", "789")]
    rows.append([key(delete, erase), key("0", lambda e: press("0")), key("OK", submit, ctx.t("signin.submit"))])
    pad = ft.Column([ft.Row(r, spacing=12, tight=True) for r in rows], spacing=12)
    draw_names()
    # Names and pad side by side on a tablet; on a phone the pad comes below the names.
    return ft.Container(
        ft.Column([ft.ResponsiveRow([
            ft.Column([heading(ctx.t("signin.title")), ft.Text(ctx.t("signin.who"), size=16), names], spacing=14,
                      col={"xs": 12, "md": 5}, horizontal_alignment=ft.CrossAxisAlignment.CENTER),
            ft.Column([prompt, ft.Container(entered, width=312, height=48, alignment=ft.Alignment.CENTER), pad],
                      spacing=14, col={"xs": 12, "md": 7}, horizontal_alignment=ft.CrossAxisAlignment.CENTER),
        ], spacing=40, run_spacing=32, vertical_alignment=ft.CrossAxisAlignment.START)],
            scroll=ft.ScrollMode.AUTO, expand=True),
        padding=ft.Padding.symmetric(horizontal=16, vertical=40), expand=True)
