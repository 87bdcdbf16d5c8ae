"""Where the station keeps its data and how it is reached; environment first, then station.toml."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path


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


def home_dir() -> Path:
    return Path(os.environ.get("LOYALTY_HOME") or Path.home() / ".loyalty")


def load_config() -> Config:
    home = home_dir()
    path = home / "station.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
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
    )
