"""Where the station keeps its data and how it is reached; environment first, then station.toml."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from loyalty.private_files import make_private


@dataclass(frozen=True)
class Config:
    home: Path
    db_path: Path
    host: str = "127.0.0.1"
    port: int = 8550
    camera: str | int | None = None      # webcam index, video file or stream URL
    language: str = "de"
    smtp: dict = field(default_factory=dict)
    printer: dict = field(default_factory=dict)
    hq: dict = field(default_factory=dict)
    kiosk: dict = field(default_factory=dict)   # screen timings: welcome_s, feedback_s, idle_s
    network: dict = field(default_factory=dict)  # mode, https_port, address, mdns, cert_file, key_file, host

    @property
    def clinic_network(self) -> bool:
        """Serving tablets on the clinic network (HTTPS, paired devices) rather than this PC only."""
        return self.network.get("mode") == "clinic"

    @property
    def https_port(self) -> int:
        return int(self.network.get("https_port", DEFAULT_HTTPS_PORT))


DEFAULT_HTTPS_PORT = 8443
NETWORK_ENV = {"mode": "LOYALTY_NETWORK", "https_port": "LOYALTY_HTTPS_PORT", "address": "LOYALTY_ADDRESS",
               "mdns": "LOYALTY_MDNS"}


def home_dir() -> Path:
    return Path(os.environ.get("LOYALTY_HOME") or Path.home() / ".loyalty")


def _holds_secret(table: dict) -> bool:
    return any(_holds_secret(value) if isinstance(value, dict) else
               any(word in key.lower() for word in ("password", "token", "secret", "key")) and bool(value)
               for key, value in table.items())


def load_config() -> Config:
    home = home_dir()
    path = home / "station.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    if _holds_secret(data):
        make_private(path)          # an SMTP password or an SMS token: not for other users of the machine
    station = data.get("station", {})
    camera = os.environ.get("LOYALTY_CAMERA", station.get("camera"))
    if isinstance(camera, str) and camera.isdigit():
        camera = int(camera)
    if camera == "":
        camera = None   # LOYALTY_CAMERA= : no station camera; kiosk tablets use their own
    return Config(
        home=home,
        db_path=Path(os.environ.get("LOYALTY_DB") or station.get("db") or home / "loyalty.db"),
        host=os.environ.get("LOYALTY_HOST", station.get("host", "127.0.0.1")),
        port=int(os.environ.get("LOYALTY_PORT", station.get("port", 8550))),
        camera=camera,
        language=os.environ.get("LOYALTY_LANG", station.get("language", "de")),
        smtp=data.get("smtp", {}), printer=data.get("printer", {}), hq=data.get("hq", {}),
        kiosk=data.get("kiosk", {}),
        network={**data.get("network", {}),
                 **{key: os.environ[env] for key, env in NETWORK_ENV.items() if env in os.environ}},
    )
