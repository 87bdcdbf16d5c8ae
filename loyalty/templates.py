"""Message templates in German and English (assets/i18n/*/messages.toml), filled for one member.

Discreet by rule: templates get only a first name, the program name, points, a date, a tier and
the card code; nothing that could name a treatment, a product or a medicine.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date

from loyalty.i18n import fmt_date, fmt_number, t

TEMPLATES = ("welcome", "card", "birthday", "birthday_gift", "expiry", "reward_ready", "win_back", "tier", "recall",
             "aftercare_care_tips", "aftercare_how_are_you", "aftercare_result_check", "aftercare_next_session",
             "signin", "appointment_confirmed", "appointment_proposed", "appointment_declined",
             "checkin_how_are_you", "checkin_result_check")


CHECKINS = ("aftercare_how_are_you", "aftercare_result_check")   # the patients' app asks these too


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str          # e-mail body, plain text, with footer
    html: str          # the same as HTML
    sms: str


def template_for(trigger: str, step: str | None) -> str:
    """Aftercare has one template per touch point; a birthday with the bonus due says so ("gift")."""
    if trigger == "aftercare":
        return f"aftercare_{step}"
    return f"{trigger}_{step}" if step else trigger


def render(template: str, lang: str, *, first_name: str, program: str, points: int | None = None,
           on: date | None = None, tier: str = "", code: str = "", unsubscribe_url: str | None = None,
           image_cid: str | None = None, link: str = "", when: str = "", app_url: str | None = None) -> Rendered:
    """`link` and `when` fill templates that name them (a sign-in link, an appointment's time in
    words); `app_url` adds a line that leads to the patients' app."""
    params = {"first_name": first_name.strip() or "", "program": program, "tier": tier, "code": code,
              "points": fmt_number(points, lang) if points is not None else "",
              "date": fmt_date(on, lang, "long") if on is not None else "", "link": link, "when": when}
    subject = t(f"message.{template}.subject", lang, **params)
    body = t(f"message.{template}.body", lang, **params)
    if app_url:
        line = "message.app_checkin" if template in CHECKINS else "message.app_link"
        body += "\n\n" + t(line, lang, url=app_url)
    sms = t(f"message.{template}.sms", lang, **params)
    footer = [t("message.footer", lang, **params)]
    if unsubscribe_url:
        footer.append(t("message.unsubscribe", lang, url=unsubscribe_url))
        sms = f"{sms} {t('message.sms_stop', lang)}"
    text = body + "\n\n-- \n" + "\n".join(footer)
    paragraphs = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in body.split("\n\n"))
    if image_cid:
        paragraphs += f'<p><img src="cid:{image_cid}" alt="QR" width="240" height="240"></p>'
    links = "<br>".join(html.escape(line) for line in footer)
    page = (f'<!doctype html><html lang="{lang}"><body style="font-family:sans-serif;font-size:16px">'
            f'{paragraphs}<hr><p style="color:#555;font-size:13px">{links}</p></body></html>')
    return Rendered(subject, text, page, sms)
