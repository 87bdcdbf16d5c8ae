"""The new card on an ESC/POS receipt printer (python-escpos, network printers on port 9100).

Configured in station.toml as `[printer] host = "192.168.1.50"` (optional `port`, `timeout`,
`native_qr`). The QR is drawn by the printer itself (GS ( k) by default; `native_qr = false`
sends it as a raster image for printers without a QR engine. The slip carries no personal data
beyond the first name the patient just typed.
"""
from __future__ import annotations

from dataclasses import dataclass

from escpos.printer import Network

from loyalty.i18n import fmt_number, t


@dataclass(frozen=True)
class PrinterConfig:
    host: str
    port: int = 9100
    timeout: float = 5.0
    native_qr: bool = True

    @classmethod
    def from_config(cls, section: dict) -> PrinterConfig | None:
        if not section.get("host"):
            return None
        return cls(host=str(section["host"]), port=int(section.get("port", 9100)),
                   timeout=float(section.get("timeout", 5.0)), native_qr=bool(section.get("native_qr", True)))


def print_card(printer: PrinterConfig, token: str, *, program_name: str, first_name: str,
               bonus_points: int, lang: str) -> None:
    """Print one card slip; raises OSError (or escpos' DeviceNotFoundError) when the printer is away."""
    device = Network(printer.host, printer.port, timeout=printer.timeout)
    device.open()
    try:
        device.hw("INIT")
        device.set(align="center", bold=True, double_height=True, double_width=True)
        device.textln(program_name)
        device.set_with_default(align="center")
        device.ln()
        device.textln(t("kiosk.card.title", lang, name=first_name))
        device.ln()
        device.qr(token, size=8, native=printer.native_qr, center=not printer.native_qr)
        device.ln()
        if bonus_points:
            device.textln(t("kiosk.card.bonus", lang, points=fmt_number(bonus_points, lang)))
        device.textln(t("kiosk.card.photo_hint", lang))
        device.cut()
    finally:
        device.close()
