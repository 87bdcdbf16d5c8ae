"""Station-wide values in the `setting` table: device id, card keys, HQ link, the clock, kiosk camera."""
from __future__ import annotations

from loyalty.store import queries
from loyalty.store.models import Setting

DEVICE_ID, OWN_CARD_KEY, HLC = "device_id", "card_key", "hlc"
GROUP_CARD_KEY, HOME_LOCATION, HQ_SECRET = "hq.card_key", "hq.location_id", "hq.secret"
KIOSK_CAMERA = "kiosk.camera"


def get_setting(key: str, default: str | None = None) -> str | None:
    value = queries.setting(key)
    return default if value is None else value


def set_setting(key: str, value: str) -> None:
    Setting.insert(key=key, value=value).on_conflict_replace().execute()


def device_id() -> str:
    value = get_setting(DEVICE_ID)
    if value is None:
        raise RuntimeError("station not initialised: run `loyalty init`")
    return value
