"""Cards: the member's current QR token, reissue after loss, printable PNG and PDF."""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from loyalty import clock
from loyalty.adapters.channels import Channel, DeliveryError, DeliveryUncertain, Outgoing
from loyalty.errors import Refused
from loyalty.i18n import LANGUAGES
from loyalty.qr import qr_image, qr_png  # noqa: F401  (qr_png: the card QR for views)
from loyalty.services.context import Actor, audit, card_key, current_program, require_staff
from loyalty.services.members import active_member, get_member, issue_card
from loyalty.store import Card, write
from loyalty.store.outbox import new_id, record
from loyalty.templates import render
from loyalty.tokens import make_token

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CardSent:
    member_id: str
    to: str              # the e-mail address it went to
    reference: str       # the mail server's Message-ID

_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def card_token(member_id: str) -> str:
    card = (Card.select().where((Card.member == member_id) & (Card.status == "active"))
            .order_by(Card.issued_at.desc()).first())
    if card is None:
        raise Refused("no_active_card")
    return make_token(card.id, card_key())


def reissue_card(member_id: str, actor: Actor, reason: str = "lost") -> str:
    """Revoke every active card of the member and issue a new one; the old code stops at once."""
    require_staff(actor)
    with write():
        member = get_member(member_id)
        if member.erased_at:
            raise Refused("member_unknown")
        now = clock.now()
        for card in Card.select().where((Card.member == member_id) & (Card.status == "active")):
            card.status, card.revoked_at, card.revoked_reason = "revoked", now, reason
            record(card, insert=False)
        token = issue_card(member_id)
        audit(actor, "reissue", member_id, reason=reason)
    return token


def email_card(member_id: str, actor: Actor, channels: dict[str, Channel]) -> CardSent:
    """Send the member's current card QR by e-mail while the patient waits at the desk.

    Sent at once rather than through the outbox, so the receptionist learns in words whether it
    went; it needs no marketing consent (the patient asks for their own card).
    """
    require_staff(actor)
    member = active_member(member_id)
    if not member.email:
        raise Refused("card_no_email")
    channel = channels.get("email")
    if channel is None:
        raise Refused("card_email_not_set_up")
    token = card_token(member_id)
    lang = member.locale if member.locale in LANGUAGES else "de"
    message_id = new_id()
    cid = f"card-{message_id}"
    rendered = render("card", lang, first_name=member.first_name or "", program=current_program().name,
                      code=token, image_cid=cid)
    outgoing = Outgoing(message_id, member.email, rendered.subject, rendered.text, rendered.html, rendered.sms,
                        ((cid, qr_png(token, box_size=8)),))
    try:
        reference = channel.send(outgoing)
    except (DeliveryError, DeliveryUncertain) as exc:
        log.warning("card e-mail to member %s not sent: %s", member_id, exc)
        raise Refused("card_email_failed") from exc
    with write():
        audit(actor, "card_emailed", member_id, message=message_id)
    return CardSent(member_id, member.email, reference)


def card_png(token: str) -> bytes:
    """A wallet-sized card (85.6 x 54 mm at 300 dpi): program name, QR, no personal data."""
    program = current_program()
    card = Image.new("RGB", (1011, 638), "white")
    draw = ImageDraw.Draw(card)
    font = ImageFont.truetype(_FONT, 44) if _font_ok() else ImageFont.load_default()
    small = ImageFont.truetype(_FONT, 28) if _font_ok() else ImageFont.load_default()
    draw.rectangle([0, 0, 1010, 110], fill="#0f4c5c")
    draw.text((40, 30), program.name, fill="white", font=font)
    code = qr_image(token, box_size=14).resize((480, 480), Image.NEAREST)
    card.paste(code, (40, 135))
    draw.text((560, 200), "Bonuskarte", fill="#0f4c5c", font=font)
    draw.text((560, 260), "Loyalty card", fill="#555555", font=small)
    draw.text((560, 360), "Bitte an der Rezeption", fill="#333333", font=small)
    draw.text((560, 400), "oder am Terminal zeigen.", fill="#333333", font=small)
    draw.text((560, 460), "Show at the desk or kiosk.", fill="#555555", font=small)
    buffer = io.BytesIO()
    card.save(buffer, format="PNG", dpi=(300, 300))
    return buffer.getvalue()


def card_pdf(token: str) -> bytes:
    from fpdf import FPDF
    pdf = FPDF(unit="mm", format=(85.6, 54))
    pdf.set_margin(0)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.image(io.BytesIO(card_png(token)), x=0, y=0, w=85.6, h=54)
    return bytes(pdf.output())


def _font_ok() -> bool:
    from pathlib import Path
    return Path(_FONT).is_file()
