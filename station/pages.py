"""Plain HTML pages the station serves outside the Flet apps (unsubscribe, pairing a tablet).

They must work on any phone or tablet before it trusts the station and without the Flet client:
one small page, no scripts from elsewhere, large text for arm's length.
"""
from __future__ import annotations

import html

from fastapi.responses import HTMLResponse

from loyalty.i18n import LANGUAGES

STYLE = ("body{font-family:system-ui,sans-serif;font-size:20px;line-height:1.45;max-width:40em;margin:1.5em auto;"
         "padding:0 1em;color:#1d2a30}h1{font-size:28px;color:#0f4c5c}h2{font-size:22px;margin-top:1.4em}"
         "a.button,button{display:inline-block;font-size:20px;padding:14px 22px;margin:6px 8px 6px 0;"
         "border-radius:10px;border:0;background:#0f4c5c;color:#fff;text-decoration:none;cursor:pointer}"
         "a.button.light{background:#e3ecef;color:#0f4c5c}.note{background:#f3f6f7;border-radius:10px;"
         "padding:12px 16px}.fingerprint{font-family:ui-monospace,monospace;font-size:18px;word-break:break-all}"
         "details{margin:10px 0}summary{font-weight:600;cursor:pointer;padding:6px 0}li{margin:6px 0}")


def language(accept_language: str | None, default: str) -> str:
    """The first of the browser's languages the station speaks, else the station's language."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return default if default in LANGUAGES else "de"


def page(lang: str, title: str, body: str, status: int = 200, headers: dict | None = None) -> HTMLResponse:
    """A whole page around `body` (already HTML); the title is escaped here."""
    return HTMLResponse(f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
                        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                        f'<title>{html.escape(title)}</title><style>{STYLE}</style></head>'
                        f'<body>{body}</body></html>', status_code=status, headers=headers)


def paragraphs(*lines: str | None) -> str:
    return "".join(f"<p>{html.escape(line)}</p>" for line in lines if line)
