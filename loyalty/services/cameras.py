"""Which camera a kiosk tablet reads cards with when the station has no camera of its own.

A station camera (`camera` in station.toml: a webcam on the station PC, a video stream) serves
every kiosk page. Without one, each kiosk tablet uses its own camera: the front camera by default
(it faces the patient at the counter), the back camera where the tablet is mounted facing away,
or none at all where a USB or Bluetooth scanner reads the cards.
"""
from __future__ import annotations

from loyalty import events
from loyalty.errors import Refused
from loyalty.services.context import Actor, audit, require_manager
from loyalty.store import write
from loyalty.store.settings import KIOSK_CAMERA, get_setting, set_setting

FRONT, BACK, NONE = "front", "back", "none"
KIOSK_CAMERAS = (FRONT, BACK, NONE)


def kiosk_camera() -> str:
    """The kiosk tablets' camera: front (default), back or none."""
    value = get_setting(KIOSK_CAMERA, FRONT)
    return value if value in KIOSK_CAMERAS else FRONT


def set_kiosk_camera(choice: str, actor: Actor) -> str:
    """A manager's choice; open kiosk pages of this station switch at once."""
    require_manager(actor)
    if choice not in KIOSK_CAMERAS:
        raise Refused("kiosk_camera_unknown", choice=choice)
    with write():
        set_setting(KIOSK_CAMERA, choice)
        audit(actor, "kiosk_camera", choice=choice)
    events.publish(events.Event("kiosk_camera_changed", {"choice": choice}))
    return choice
