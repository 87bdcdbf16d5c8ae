"""A member's GDPR export as a readable PDF (the JSON export is the complete record; this is for people)."""
from __future__ import annotations

import json
from pathlib import Path

from fpdf import FPDF

from loyalty import i18n
from loyalty.services.members import EXPORTED

_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def export_pdf(data: dict, lang: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    family = "Helvetica"
    if (_FONT_DIR / "DejaVuSans.ttf").is_file():
        pdf.add_font("DejaVu", "", str(_FONT_DIR / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(_FONT_DIR / "DejaVuSans-Bold.ttf"))
        family = "DejaVu"
    pdf.add_page()
    tr = lambda key, **p: i18n.t(f"staff.pdf.{key}", lang, **p)   # noqa: E731
    member = data.get("member", {})
    pdf.set_font(family, "B", 16)
    pdf.multi_cell(
        0,
        9,
        tr("title", name=f"{member.get('first_name') or ''} {member.get('last_name') or ''}".strip()),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font(family, "", 10)
    pdf.multi_cell(0, 6, tr("intro"), new_x="LMARGIN", new_y="NEXT")
    for section in EXPORTED:
        rows = data.get(section)
        if rows is None:
            continue
        rows = [rows] if isinstance(rows, dict) else rows
        pdf.ln(3)
        pdf.set_font(family, "B", 12)
        pdf.multi_cell(0, 7, f"{tr('section.' + section)} ({len(rows)})", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 9)
        if not rows:
            pdf.multi_cell(0, 5, tr("none"), new_x="LMARGIN", new_y="NEXT")
        for row in rows:
            text = "; ".join(f"{k}: {_plain(v)}" for k, v in row.items() if v not in (None, "", "{}"))
            pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
    return bytes(pdf.output())


def _plain(value) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)
