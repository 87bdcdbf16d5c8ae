"""Pairing a tablet: the pages it opens from the QR code, and the station's CA as a download.

The QR code leads to `http://<address>:<port>/pair/<code>`, a page a tablet can open before it
trusts the station: it offers the CA in the form the tablet's system installs (an iPadOS profile,
a DER certificate for Android and Windows), its SHA-256 fingerprint to compare with the staff app,
and steps for each system. The page then moves to `https://.../pair/<code>` by itself as soon as
the tablet trusts the station (it tries `/trust/check` over HTTPS every two seconds), where a tap
pairs the tablet: it gets its cookie and opens its app. With the clinic's own certificate the
first page is skipped.
"""
from __future__ import annotations

import html
import json

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from loyalty.config import Config
from loyalty.errors import Refused
from loyalty.i18n import t
from loyalty.services import devices, network
from station.pages import language, page, paragraphs

COOKIE = "loyalty_device"
COOKIE_AGE = 400 * 24 * 3600      # the most Chromium keeps a cookie; the gate renews it on each visit
SYSTEMS = ("ipados", "android", "windows")


def add_pairing_routes(app, config: Config) -> None:
    @app.get("/trust/check")
    def trust_check():
        """Loaded over HTTPS by the pairing page: it answers only once the tablet trusts the station."""
        return Response(status_code=204, headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"})

    @app.get("/trust/station-ca.{kind}")
    def ca_file(kind: str):
        offered = network.ca_download(config, kind) if kind in ("crt", "mobileconfig") else None
        if offered is None:
            return Response("No station certificate here.", status_code=404, media_type="text/plain")
        data, media_type, filename = offered
        return Response(data, media_type=media_type,
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    @app.get("/trust")
    def trust(request: Request):
        return _trust_page(request, config, None)

    @app.get("/pair")
    @app.get("/pair/")
    def not_paired(request: Request):
        device = devices.device_for(request.cookies.get(COOKIE))
        return unpaired_page(request, config, revoked=device is not None and not device.active)

    @app.get("/pair/{code}")
    def pair(code: str, request: Request):
        if request.url.scheme != "https":
            return _trust_page(request, config, code)
        lang = _lang(request, config)
        offer = devices.open_offer(code)
        if offer is None:
            return _used_up(lang)
        role = t(f"pairing.role_{offer.role}", lang)
        body = (f"<h1>{html.escape(t('pairing.confirm_title', lang))}</h1>"
                + paragraphs(t("pairing.confirm_text", lang, role=role, name=offer.name),
                             t(f"pairing.role_{offer.role}_explained", lang))
                + f'<form method="post"><button type="submit">{html.escape(t("pairing.confirm_button", lang))}'
                  f"</button></form>")
        return page(lang, t("pairing.confirm_title", lang), body)

    @app.post("/pair/{code}")
    def pair_now(code: str, request: Request):
        lang = _lang(request, config)
        if request.url.scheme != "https":
            return RedirectResponse(f"{network.station_link(config).https_base}/pair/{code}", status_code=303)
        try:
            paired = devices.pair_device(code)
        except Refused:
            return _used_up(lang)
        response = RedirectResponse(f"/{devices.APPS[paired.role]}/", status_code=303)
        set_device_cookie(response, paired.credential)
        return response


def set_device_cookie(response: Response, credential: str) -> None:
    response.set_cookie(COOKIE, credential, max_age=COOKIE_AGE, path="/", secure=True, httponly=True, samesite="lax")


def unpaired_page(request: Request, config: Config, revoked: bool = False, status: int = 200) -> Response:
    """What a tablet that is not (or no longer) paired sees instead of any app."""
    lang = _lang(request, config)
    body = (f"<h1>{html.escape(t('pairing.unpaired_title', lang))}</h1>"
            + paragraphs(t("pairing.revoked", lang) if revoked else None, t("pairing.unpaired_text", lang))
            + "<ol>" + "".join(f"<li>{html.escape(t(f'pairing.unpaired_step{i}', lang))}</li>" for i in (1, 2, 3))
            + "</ol>")
    return page(lang, t("pairing.unpaired_title", lang), body, status=status)


def wrong_app_page(request: Request, config: Config, role: str) -> Response:
    """A kiosk tablet asked for the staff app (or a desk tablet for the kiosk)."""
    lang = _lang(request, config)
    own = devices.APPS[role]
    body = (f"<h1>{html.escape(t('pairing.wrong_app_title', lang))}</h1>"
            + paragraphs(t(f"pairing.wrong_app_{role}", lang))
            + f'<a class="button" href="/{own}/">{html.escape(t(f"pairing.open_{own}", lang))}</a>')
    return page(lang, t("pairing.wrong_app_title", lang), body, status=403)


def _trust_page(request: Request, config: Config, code: str | None) -> Response:
    link = network.station_link(config)
    target = f"{link.https_base}/pair/{code or ''}"
    if link.fingerprint is None:          # the clinic's own certificate: every tablet trusts it already
        return RedirectResponse(target, status_code=303)
    lang = _lang(request, config)
    system = _system(request.headers.get("user-agent", ""))
    steps = "".join(
        f"<details{' open' if s == system else ''}><summary>{html.escape(t(f'pairing.system_{s}', lang))}</summary>"
        "<ol>" + "".join(f"<li>{html.escape(line)}</li>" for line in t(f"pairing.steps_{s}", lang).split("\n"))
        + "</ol></details>" for s in SYSTEMS)
    probe = json.dumps(f"{link.https_base}/trust/check")
    body = (f"<h1>{html.escape(t('pairing.trust_title', lang))}</h1>"
            + paragraphs(t("pairing.trust_intro", lang))
            + f"<h2>1. {html.escape(t('pairing.trust_step_install', lang))}</h2>"
            + "".join(f'<a class="button" href="/trust/station-ca.{kind}">{html.escape(t(key, lang))}</a>'
                      for kind, key in (("mobileconfig", "pairing.get_ipados"), ("crt", "pairing.get_other")))
            + f'<div class="note"><p>{html.escape(t("pairing.fingerprint_intro", lang))}</p>'
            + f'<p class="fingerprint" id="fingerprint">{html.escape(link.fingerprint)}</p></div>'
            + steps
            + f"<h2>2. {html.escape(t('pairing.trust_step_continue', lang))}</h2>"
            + f'<p id="trusted" role="status">{html.escape(t("pairing.waiting", lang))}</p>'
            + f'<a class="button light" href="{html.escape(target)}">{html.escape(t("pairing.continue", lang))}</a>'
            + "<script>const probe=" + probe + ";const target=" + json.dumps(target) + ";const done="
            + json.dumps(t("pairing.trusted", lang)) + ";async function check(){try{await fetch(probe,"
            "{mode:'no-cors',cache:'no-store'});document.getElementById('trusted').textContent=done;"
            "location.replace(target);}catch(e){setTimeout(check,2000);}}check();</script>")
    return page(lang, t("pairing.trust_title", lang), body)


def _used_up(lang: str) -> Response:
    body = f"<h1>{html.escape(t('pairing.used_title', lang))}</h1>" + paragraphs(t("pairing.used_text", lang))
    return page(lang, t("pairing.used_title", lang), body, status=410)


def _lang(request: Request, config: Config) -> str:
    return language(request.headers.get("accept-language"), config.language)


def _system(user_agent: str) -> str | None:
    """Which system's steps to open first; the others stay one tap away."""
    agent = user_agent.lower()
    if "ipad" in agent or "iphone" in agent or "macintosh" in agent:   # iPadOS Safari says "Macintosh"
        return "ipados"
    if "android" in agent:
        return "android"
    if "windows" in agent:
        return "windows"
    return None
