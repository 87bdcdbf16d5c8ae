"""The station's message routes: the unsubscribe link in every e-mail and the SMS provider's reply hook."""
from __future__ import annotations

import hmac
import html

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse

from loyalty.adapters.channels import station_sections
from loyalty.config import Config
from loyalty.i18n import t
from loyalty.services import messages
from station.gate import is_loopback
from station.pages import page, paragraphs


def add_message_routes(app, config: Config) -> None:
    @app.get("/unsubscribe/{token}", response_class=HTMLResponse)
    def unsubscribe_page(token: str):
        found = messages.check_unsubscribe(token)
        if found is None:
            return _page("de", t("unsubscribe.unknown", "de"), t("unsubscribe.unknown", "en"), status=404)
        lang = found.locale
        form = (f'<form method="post"><button type="submit" style="font-size:20px;padding:12px 24px">'
                f'{html.escape(t("unsubscribe.button", lang))}</button></form>')
        return _page(lang, t(f"unsubscribe.ask_{found.purpose}", lang, first_name=found.first_name), form=form)

    @app.post("/unsubscribe/{token}", response_class=HTMLResponse)
    def unsubscribe_confirm(token: str):
        """Also the RFC 8058 one-click target of the List-Unsubscribe header."""
        found = messages.unsubscribe(token)
        if found is None:
            return _page("de", t("unsubscribe.unknown", "de"), t("unsubscribe.unknown", "en"), status=404)
        return _page(found.locale, t(f"unsubscribe.done_{found.purpose}", found.locale,
                                     first_name=found.first_name))

    @app.post("/sms/inbound")
    async def sms_inbound(request: Request):
        """The SMS provider forwards replies here: {"from": "+49...", "text": "STOP"}, with the
        `[sms] inbound_token` as a Bearer token (without one, only from this PC, e.g. a local relay)."""
        secret = station_sections(config).get("sms", {}).get("inbound_token", "")
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if secret and not hmac.compare_digest(given, secret):
            return JSONResponse({"error": "unauthorised"}, status_code=401)
        if not secret and not is_loopback(request.scope):   # it unsubscribes people: never open to the network
            return JSONResponse({"error": "set [sms] inbound_token in station.toml and send it as a Bearer token"},
                                status_code=403)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "expected JSON"}, status_code=400)
        if not isinstance(body, dict) or not isinstance(body.get("from"), str) or not isinstance(body.get("text"), str):
            return JSONResponse({"error": "expected {\"from\": ..., \"text\": ...}"}, status_code=400)
        return {"unsubscribed": messages.sms_reply(body["from"], body["text"])}


def _page(lang: str, text: str, second: str | None = None, form: str = "", status: int = 200) -> HTMLResponse:
    return page(lang, t("unsubscribe.title", lang), paragraphs(text, second) + form, status=status)
