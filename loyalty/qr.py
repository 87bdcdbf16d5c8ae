"""A card token as a QR image: for the kiosk, the desk, e-mails and the patients' app. No I/O."""
from __future__ import annotations

import io

import qrcode
from PIL import Image


def qr_image(token: str, box_size: int = 12) -> Image.Image:
    """Medium error correction: survives glare on a phone screen; upper-case keeps alphanumeric mode."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=4)
    code.add_data(token)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")


def qr_png(token: str, box_size: int = 12) -> bytes:
    buffer = io.BytesIO()
    qr_image(token, box_size).save(buffer, format="PNG")
    return buffer.getvalue()
