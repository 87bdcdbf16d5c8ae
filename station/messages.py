"""The station's message routes: the unsubscribe link in every e-mail and the SMS provider's reply hook."""
from __future__ import annotations

import html

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse

from loyalty.adapters.channels import station_sections
from loyalty.config import Config
from loyalty.i18n import t
from loyalty.services import messages
from loyalty.tokens import same_text
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
        """The SMS provider forwards replies here: {"from": "+49...", "text": "STOP"}, with its token.

        Off until `[sms] inbound_token` is set: otherwise anyone on the network could unsubscribe any
        number. The answer is the same whether the number is a member's or not.
        """
        secret = str(station_sections(config).get("sms", {}).get("inbound_token") or "")
        if not secret:
            return JSONResponse({"error": "not_configured",
                                 "message": "SMS replies are not accepted: set [sms] inbound_token in station.toml."},
                                status_code=403)
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not same_text(given, secret):
            return JSONResponse({"error": "unauthorised", "message": "Wrong or missing bearer token."},
                                status_code=401)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "bad_request", "message": "Expected a JSON body."}, status_code=400)
        if not isinstance(body, dict) or not isinstance(body.get("from"), str) or not isinstance(body.get("text"), str):
            return JSONResponse({"error": "bad_request", "message": 'Expected {"from": "...", "text": "..."}.'},
                                status_code=400)
        messages.sms_reply(body["from"], body["text"])
        return {"received": True}


def _page(lang: str, text: str, second: str | None = None, form: str = "", status: int = 200) -> HTMLResponse:
    return page(lang, t("unsubscribe.title", lang), paragraphs(text, second) + form, status=status)
