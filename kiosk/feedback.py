"""The optional feedback question on the welcome screen: a 0-10 score and "anything we should know?".

Shown only when `feedback_prompt` names an earlier visit not yet rated. Nothing is required: the
patient may walk away. A low score or a reported problem becomes the clinical team's follow-up in
`submit_feedback`; the kiosk only says thank you.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from kiosk.screens import MUTED, SMALL, SOFT, TEAL, WARM, WHITE, big_button, text
from loyalty.errors import Refused
from loyalty.i18n import t


class FeedbackPanel:
    """`send(score, text)` is the page's async call into `submit_feedback`; it returns a refusal or None."""

    def __init__(self, lang: str, send: Callable[[int | None, str | None], Awaitable[Refused | None]],
                 on_typing: Callable[[bool], None], on_touch: Callable[[], None]) -> None:
        self.lang = lang
        self.score: int | None = None
        self._send, self._on_touch = send, on_touch
        self.scores = [ft.Button(content=str(n), width=66, height=62, on_click=lambda _e, n=n: self._pick(n))
                       for n in range(11)]
        self.note = ft.TextField(
            label=t("kiosk.feedback.note", lang),
            text_size=SMALL,
            label_style=ft.TextStyle(size=SMALL - 2),
            border_radius=14,
            width=480,
            on_focus=lambda _e: on_typing(True),
            on_blur=lambda _e: on_typing(False),
            on_change=lambda _e: on_touch(),
        )
        self.message = text("", SMALL, color=WARM)
        self.message.visible = False
        self.send_button = big_button(t("kiosk.feedback.send", lang), self._submit, width=240)
        self._style_scores()
        self.form = ft.Column(
            [text(t("kiosk.feedback.question", lang), SMALL + 2, weight=ft.FontWeight.W_600),
             ft.Row(self.scores, spacing=8, run_spacing=8, wrap=True, width=480),
             ft.Row([text(t("kiosk.feedback.low", lang), SMALL - 4, color=MUTED),
                     text(t("kiosk.feedback.high", lang), SMALL - 4, color=MUTED)],
                    alignment=ft.MainAxisAlignment.SPACE_BETWEEN, width=480),
             self.note, self.message, self.send_button], spacing=12)
        self.control = ft.Container(self.form, bgcolor=WHITE, border_radius=22, padding=24, width=540)

    def _style_scores(self) -> None:
        for n, button in enumerate(self.scores):
            chosen = n == self.score
            button.style = ft.ButtonStyle(bgcolor=TEAL if chosen else SOFT, color=WHITE if chosen else TEAL,
                                          text_style=ft.TextStyle(size=SMALL, weight=ft.FontWeight.W_600),
                                          shape=ft.RoundedRectangleBorder(radius=14),
                                          padding=ft.Padding.all(0))

    def _pick(self, score: int) -> None:
        self._on_touch()
        self.score = None if self.score == score else score
        self._style_scores()
        self.control.update()

    async def _submit(self, _e=None) -> None:
        self._on_touch()
        if self.score is None and not (self.note.value or "").strip():
            self.message.value, self.message.visible = t("kiosk.feedback.empty", self.lang), True
            self.control.update()
            return
        refusal = await self._send(self.score, self.note.value)
        if refusal is not None:
            self.message.value, self.message.visible = refusal.message(self.lang), True
        else:
            self.control.content = ft.Row([ft.Icon(ft.Icons.FAVORITE_OUTLINE, color=TEAL, size=40),
                                           text(t("kiosk.feedback.thanks", self.lang), SMALL + 4, color=TEAL,
                                                weight=ft.FontWeight.W_600)], spacing=16, wrap=True)
        self.control.update()
