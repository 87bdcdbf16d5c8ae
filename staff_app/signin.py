"""Sign-in: pick your name, type your PIN on the pad. Wrong PINs and the lock-out are said in words."""
from __future__ import annotations

from typing import Callable

import flet as ft

from loyalty.services import list_staff, sign_in
from staff_app.ui import ACCENT, Ctx, heading


def build(ctx: Ctx, on_signed_in: Callable) -> ft.Control:
    chosen: dict[str, str | None] = {"name": None}
    pin: list[str] = []
    dots = ft.Text("", size=34, weight=ft.FontWeight.BOLD, color=ACCENT)
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
        dots.value = ""
        prompt.value = ctx.t("signin.enter_pin", name=name)
        draw_names()

    def press(digit: str) -> None:
        ctx.touch()
        if len(pin) < 8:
            pin.append(digit)
        dots.value = "●" * len(pin)

    def erase(e=None) -> None:
        if pin:
            pin.pop()
        dots.value = "●" * len(pin)

    def submit(e=None) -> None:
        if not chosen["name"]:
            ctx.fail(ctx.t("signin.pick_first"))
            return
        actor = ctx.attempt(sign_in, chosen["name"], "".join(pin), ctx.device)
        pin.clear()
        dots.value = ""
        if actor is not None:
            on_signed_in(actor)

    def key(label: str, handler, tooltip: str | None = None) -> ft.Control:
        return ft.Button(label, width=96, height=72, on_click=handler, tooltip=tooltip,
                         style=ft.ButtonStyle(text_style=ft.TextStyle(size=26)))

    rows = [[key(d, lambda e, d=d: press(d)) for d in digits] for digits in ("123", "456", "789")]
    rows.append([key("⌫", erase, ctx.t("signin.erase")), key("0", lambda e: press("0")),
                 key("OK", submit, ctx.t("signin.submit"))])
    pad = ft.Column([ft.Row(r, spacing=12) for r in rows], spacing=12)
    draw_names()
    return ft.Container(
        ft.Row([
            ft.Column([heading(ctx.t("signin.title")), ft.Text(ctx.t("signin.who"), size=16), names],
                      spacing=14, scroll=ft.ScrollMode.AUTO),
            ft.Column([prompt, ft.Container(dots, height=48), pad], spacing=14,
                      horizontal_alignment=ft.CrossAxisAlignment.CENTER),
        ], spacing=80, alignment=ft.MainAxisAlignment.CENTER, vertical_alignment=ft.CrossAxisAlignment.START),
        padding=40, expand=True)
