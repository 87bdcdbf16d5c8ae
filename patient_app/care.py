"""Aftercare check-ins: "How are you?" a few days after a visit, and the result check two weeks
after it with photos from the phone's camera or gallery. Never names the treatment: the question
is about "your visit on ..."; the photos are for the treating team only."""
from __future__ import annotations

import flet as ft
from uuid6 import uuid7

from patient_app.ui import BODY, MUTED, SMALL, Ctx, body, heading, panel, primary, secondary
from sync.hq.patients import aftercare, files, photos

THUMB = 96


async def build(ctx: Ctx) -> ft.Control:
    due = await ctx.call(aftercare.checkins, ctx.member_id) or []
    waiting = await ctx.call(photos.pending, ctx.member_id) or []
    thumbs = {p.photo_id: await ctx.call(files.link, ctx.member_id, "photo", p.photo_id) for p in waiting}
    open_ones = [c for c in due if not c.answered]
    done = [c for c in due if c.answered]
    return ft.Column([
        heading(ctx, ctx.t("care.title")),
        *([checkin_panel(ctx, c, waiting, thumbs) for c in open_ones]
          or [body(ctx.t("care.nothing_open"), italic=True)]),
        *([body(ctx.t("care.answered", date=ctx.date(c.visit_at)), SMALL, color=MUTED) for c in done]),
    ], spacing=16, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)


def checkin_panel(ctx: Ctx, checkin, waiting: list, thumbs: dict[str, str]) -> ft.Control:
    feeling = {"value": None}
    chips = ft.Row(wrap=True, spacing=8, run_spacing=8)

    def choose(key: str) -> None:
        feeling["value"] = key
        for chip in chips.controls:
            chip.selected = chip.data == key

    chips.controls = [ft.Chip(label=ft.Text(ctx.t(f"care.feeling_{key}"), size=BODY), data=key, show_checkmark=True,
                              on_select=lambda e, key=key: choose(key)) for key in aftercare.FEELINGS]
    words = ft.TextField(label=ctx.t("care.words"), multiline=True, min_lines=2, max_lines=5, text_size=BODY)
    parts = [heading(ctx, ctx.t(f"care.ask_{checkin.step}", date=ctx.date(checkin.visit_at)), 20), chips, words]
    if checkin.photos:
        parts += photo_part(ctx, waiting, thumbs)

    async def send() -> None:
        ctx.clear()
        ids = [p.photo_id for p in waiting] if checkin.photos else []
        sent = await ctx.call(aftercare.answer, ctx.member_id, checkin.treatment_id, checkin.step,
                              feeling["value"], words.value, ids)
        if sent is not None:
            ctx.ok(ctx.t("care.thanks_problem" if sent.reports_problem else "care.thanks"))
            ctx.show("care")
        ctx.page.update()

    parts.append(primary(ctx, ctx.t("care.send"), lambda e: ctx.page.run_task(send), icon=ft.Icons.SEND))
    return panel(*parts)


def photo_part(ctx: Ctx, waiting: list, thumbs: dict[str, str]) -> list[ft.Control]:
    picker = ft.FilePicker(on_upload=lambda e: ctx.page.run_task(uploaded, e))
    expected = {"count": 0, "failed": 0}

    async def pick() -> None:
        ctx.clear()
        chosen = await picker.pick_files(file_type=ft.FilePickerFileType.IMAGE, allow_multiple=True,
                                         cancel_upload_on_window_blur=False)
        fitting = [f for f in chosen if f.size <= photos.MAX_UPLOAD]
        if len(fitting) < len(chosen):
            ctx.fail(ctx.t("care.photo_too_large", megabytes=photos.MAX_UPLOAD // (1024 * 1024)))
            ctx.page.update()
        if not fitting:
            return
        uploads = []
        for f in fitting:
            link = await ctx.call(files.link, ctx.member_id, "upload", str(uuid7()))
            uploads.append(ft.FilePickerUploadFile(upload_url=ctx.wiring.app_url + link, method="PUT", id=f.id))
        expected["count"] = len(uploads)
        await picker.upload(uploads)

    async def uploaded(e) -> None:
        if e.error:
            expected["failed"] += 1
        if e.error or (e.progress is not None and e.progress >= 1.0):
            expected["count"] -= 1
        if expected["count"] <= 0:
            if expected["failed"]:
                ctx.fail(ctx.t("care.photo_refused", megabytes=photos.MAX_UPLOAD // (1024 * 1024)))
            ctx.show("care")

    async def remove(photo_id: str) -> None:
        await ctx.call(photos.discard, ctx.member_id, photo_id)
        ctx.show("care")

    pictures = ft.Row([ft.Column([
        ft.Image(src=thumbs[p.photo_id], width=THUMB, height=THUMB, fit=ft.BoxFit.COVER, border_radius=8,
                 semantics_label=ctx.t("care.photo_label", number=number)),
        secondary(ctx, ctx.t("care.photo_remove", number=number), lambda e, pid=p.photo_id: ctx.page.run_task(
            remove, pid))], spacing=2, horizontal_alignment=ft.CrossAxisAlignment.CENTER)
        for number, p in enumerate(waiting, start=1)], wrap=True, spacing=8)
    more = len(waiting) < photos.PER_ANSWER
    return [body(ctx.t("care.photos_hint"), SMALL, color=MUTED), pictures,
            *([secondary(ctx, ctx.t("care.add_photos"), lambda e: ctx.page.run_task(pick),
                         icon=ft.Icons.PHOTO_CAMERA)] if more else [])]
