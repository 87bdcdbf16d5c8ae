"""QR codes as images in memory: the card token at the desk and kiosk, join codes and authenticator
secrets in the HQ console. Pure: no files, no devices."""
from __future__ import annotations

import io

import qrcode
from PIL import Image


def qr_image(text: str, box_size: int = 12) -> Image.Image:
    """Medium error correction: survives glare on a phone screen; upper-case keeps alphanumeric mode."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=4)
    code.add_data(text)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")


def qr_png(text: str, box_size: int = 12) -> bytes:
    buffer = io.BytesIO()
    qr_image(text, box_size).save(buffer, format="PNG")
    return buffer.getvalue()
