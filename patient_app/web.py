"""The app's plain HTTP pieces beside the Flet client: the web app manifest and its icons (the
clinic's name and colour from the program), the service worker and its offline page, and the card
image. Mounted by the HQ process in front of the Flet app, so these addresses win over its files.
"""
from __future__ import annotations

import asyncio
import io
import re
import tempfile
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from PIL import Image, ImageDraw, ImageFont

from loyalty.errors import Refused
from loyalty.program import DEFAULT_COLOUR
from loyalty.qr import qr_png
from loyalty.tokens import TokenError, parse_token
from sync.hq.db import CardKey, hq_db
from sync.hq.patients import appointments, files, photos, privacy, push
from sync.hq.program import program_in_force

STATIC = Path(__file__).resolve().parent / "static"
ICONS = {"icon-192": (192, False), "icon-512": (512, False), "icon-maskable-192": (192, True),
         "icon-maskable-512": (512, True), "apple-touch-icon-192": (192, False)}
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
NO_STORE = {"Cache-Control": "no-store"}


def router(prefix: str = "/app", push_hosts: tuple[str, ...] = push.PUSH_HOSTS) -> APIRouter:
    routes = APIRouter(prefix=prefix, include_in_schema=False)

    @routes.get("/push.html")
    def push_page() -> FileResponse:
        return FileResponse(STATIC / "push.html", media_type="text/html", headers=NO_STORE)

    @routes.get("/push/key")
    def push_key() -> JSONResponse:
        """The app's applicationServerKey (HQ's VAPID public key) for the browser's push service."""
        with hq_db.connection_context():
            return JSONResponse({"key": push.vapid_keys()[1]}, headers=NO_STORE)

    @routes.post("/push/subscribe")
    async def push_subscribe(request: Request) -> JSONResponse:
        """This device's subscription, with its session token from the app (push.html sends both)."""
        length = request.headers.get("content-length", "")
        if not length.isdigit() or int(length) > 4096:
            return JSONResponse({"error": "too_large"}, status_code=413)
        try:
            sent = await request.json()
        except ValueError:
            return JSONResponse({"error": "not_json"}, status_code=400)
        if not isinstance(sent, dict) or not isinstance(sent.get("subscription"), dict):
            return JSONResponse({"error": "expected {token, subscription}"}, status_code=400)

        def keep() -> None:
            with hq_db.connection_context():
                push.subscribe(str(sent.get("token") or ""), sent["subscription"], push_hosts)
        try:
            await asyncio.to_thread(keep)
        except Refused as refused:
            return JSONResponse({"error": refused.code}, status_code=403 if refused.code == "session_unknown" else 400)
        return JSONResponse({"subscribed": True})

    @routes.get("/manifest.json")
    def manifest() -> JSONResponse:
        name, colour = _identity()
        return JSONResponse(web_manifest(name, colour, prefix), media_type="application/manifest+json",
                            headers=NO_STORE)

    @routes.get("/icons/{name}.png")
    def icon(name: str) -> Response:
        if name not in ICONS:                     # the Flet client's own pictures (its loading animation)
            return _client_file(f"icons/{name}.png")
        label, colour = _identity()
        size, maskable = ICONS[name]
        return Response(icon_png(label, colour, size, maskable), media_type="image/png")

    @routes.get("/favicon.png")
    def favicon() -> Response:
        label, colour = _identity()
        return Response(icon_png(label, colour, 64, False), media_type="image/png")

    @routes.get("/flutter_service_worker.js")
    def service_worker() -> FileResponse:
        return FileResponse(STATIC / "flutter_service_worker.js", media_type="text/javascript",
                            headers={**NO_STORE, "Service-Worker-Allowed": f"{prefix}/"})

    @routes.get("/offline.html")
    def offline() -> FileResponse:
        return FileResponse(STATIC / "offline.html", media_type="text/html", headers=NO_STORE)

    @routes.get("/card/none.png")
    def no_card() -> Response:
        return Response(_blank_png(), media_type="image/png", headers=NO_STORE)

    @routes.get("/card/{token}.png")
    def card(token: str) -> Response:
        """The QR image of a card token signed with the group's key: nothing personal in it."""
        with hq_db.connection_context():
            key = bytes.fromhex(CardKey.get_by_id(1).secret)
        try:
            parsed = parse_token(token, key)
        except TokenError:
            return Response(status_code=404)
        return Response(qr_png(parsed.text, box_size=10), media_type="image/png", headers=NO_STORE)

    @routes.get("/files/{kind}/{ref}")
    def member_file(kind: str, ref: str, m: str = "", e: str = "", s: str = "") -> Response:
        """A member's own file behind a signed link the app made for them (see sync.hq.patients.files)."""
        with hq_db.connection_context():
            if kind not in FILES or not files.check(kind, ref, m, e, s):
                return PlainTextResponse(_gone(), status_code=404)
            try:
                return FILES[kind](m, ref)
            except Refused:
                return PlainTextResponse(_gone(), status_code=404)

    @routes.put("/files/upload/{ref}")
    async def upload(ref: str, request: Request, m: str = "", e: str = "", s: str = "") -> Response:
        """A photo from the phone (the app's file picker sends it as the body), at most 10 MB."""
        length = request.headers.get("content-length", "")
        if not length.isdigit():
            return PlainTextResponse("Content-Length required", status_code=411)
        if int(length) > photos.MAX_UPLOAD:
            return PlainTextResponse("too large", status_code=413)

        def signed() -> bool:
            with hq_db.connection_context():
                return files.check("upload", ref, m, e, s)
        if not await asyncio.to_thread(signed):            # before a byte of the body is read
            return PlainTextResponse(_gone(), status_code=404)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > photos.MAX_UPLOAD:
                return PlainTextResponse("too large", status_code=413)

        def store():
            with hq_db.connection_context():
                return photos.store_upload(m, ref, bytes(body))
        try:
            stored = await asyncio.to_thread(store)
        except Refused as refused:
            return PlainTextResponse(refused.message("en"), status_code=400)
        return JSONResponse({"photo": stored.photo_id, "width": stored.width, "height": stored.height})

    return routes


def _calendar(member_id: str, ref: str) -> Response:
    program = program_in_force()
    data = appointments.calendar_file(member_id, ref, program.name if program else "")
    return Response(data, media_type="text/calendar",
                    headers={**NO_STORE, "Content-Disposition": 'attachment; filename="termin.ics"'})


def _photo(member_id: str, ref: str) -> Response:
    return Response(photos.picture(member_id, ref), media_type="image/jpeg", headers=NO_STORE)


def _export(member_id: str, ref: str) -> Response:
    return Response(privacy.export(member_id), media_type="application/zip",
                    headers={**NO_STORE, "Content-Disposition": 'attachment; filename="meine-daten.zip"'})


FILES = {"appointment": _calendar, "photo": _photo, "export": _export}


def _gone() -> str:
    return "Dieser Link ist abgelaufen. Bitte öffnen Sie ihn erneut in der App.\n" \
           "This link has expired. Please open it again in the app.\n"


def client_dir() -> str:
    """A folder with the Flet client's index.html plus one line that registers the app's service worker.

    Flutter's loader only re-registers a service worker that is already there (to retire it), so
    without this line a phone would never get one. The worker is registered under the address and
    version the loader uses, which then finds it current and leaves it alone.
    """
    from flet_web import get_package_web_dir
    web = Path(get_package_web_dir())
    version = re.search(r'serviceWorkerVersion:\s*"([^"]+)"', (web / "flutter_bootstrap.js").read_text()).group(1)
    register = ("<script>if ('serviceWorker' in navigator) { navigator.serviceWorker"
                f".register('flutter_service_worker.js?v={version}'); }}</script>\n</head>")
    folder = Path(tempfile.mkdtemp(prefix="patient-app-"))
    (folder / "index.html").write_text((web / "index.html").read_text().replace("</head>", register, 1))
    return str(folder)


def web_manifest(name: str, colour: str, prefix: str = "/app") -> dict:
    """Installable on a phone's home screen: name, colours, start address and scope, icons."""
    return {
        "name": name,
        "short_name": short_name(name),
        "description": name,
        "id": f"{prefix}/",
        "start_url": f"{prefix}/",
        "scope": f"{prefix}/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": colour,
        "prefer_related_applications": False,
        "icons": [{"src": f"{prefix}/icons/{icon}.png", "sizes": f"{size}x{size}", "type": "image/png",
                   **({"purpose": "maskable"} if maskable else {})}
                  for icon, (size, maskable) in ICONS.items() if not icon.startswith("apple")],
    }


def short_name(name: str, limit: int = 15) -> str:
    """As many whole words as fit under a home-screen icon."""
    words, out = name.split(), ""
    for word in words:
        if len(f"{out} {word}".strip()) > limit:
            break
        out = f"{out} {word}".strip()
    return out or name[:limit]


@lru_cache(maxsize=32)
def icon_png(name: str, colour: str, size: int, maskable: bool) -> bytes:
    """The program's initial in white on its colour; a maskable icon keeps it in the middle 80 %."""
    image = Image.new("RGB", (size, size), colour) if maskable else Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if not maskable:
        draw.rounded_rectangle([0, 0, size - 1, size - 1], radius=size // 5, fill=colour)
    letter = (name.strip()[:1] or "·").upper()
    font = ImageFont.truetype(FONT, int(size * (0.42 if maskable else 0.55))) if Path(FONT).is_file() \
        else ImageFont.load_default()
    draw.text((size / 2, size / 2), letter, fill="white", font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@lru_cache(maxsize=1)
def _blank_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (1, 1), (255, 255, 255, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


def _client_file(path: str) -> Response:
    from flet_web import get_package_web_dir
    web = Path(get_package_web_dir()).resolve()
    found = (web / path).resolve()
    if web not in found.parents or not found.is_file():
        return Response(status_code=404)
    return FileResponse(found)


def _identity() -> tuple[str, str]:
    with hq_db.connection_context():
        program = program_in_force()
    return (program.name, program.colour) if program else ("Loyalty", DEFAULT_COLOUR)
