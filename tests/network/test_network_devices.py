"""Pairing and revoking devices as use cases, on a real SQLite station (no browser)."""
from __future__ import annotations

from datetime import timedelta

from loyalty.services import audit_log, devices
from loyalty.store import PairedDevice, PairingOffer
from tests.core.core_helpers import refused


def test_only_a_manager_offers_a_pairing_and_bad_requests_write_nothing(station):
    with refused("manager_only"):
        devices.offer_pairing("kiosk", "Tablet Eingang", station.receptionist)
    with refused("device_role"):
        devices.offer_pairing("printer", "Tablet Eingang", station.manager)
    for name in ("", "   ", "x" * 41):
        with refused("device_name"):
            devices.offer_pairing("desk", name, station.manager)
    assert PairingOffer.select().count() == 0
    with refused("manager_only"):
        devices.list_devices(station.receptionist)


def test_a_code_pairs_one_device_once(station, clock):
    offer = devices.offer_pairing("kiosk", "  Tablet   Eingang ", station.manager)
    assert offer.name == "Tablet Eingang" and offer.expires_at == clock.current + timedelta(minutes=10)
    assert devices.open_offer(offer.code).role == "kiosk"
    paired = devices.pair_device(offer.code)
    assert paired.role == "kiosk" and paired.credential.startswith(paired.device_id + ".")
    assert devices.offer_paired(offer.code)
    assert devices.open_offer(offer.code) is None
    with refused("pairing_code"):
        devices.pair_device(offer.code)
    assert PairedDevice.select().count() == 1
    stored = PairedDevice.get()
    assert paired.credential.split(".")[1] not in (stored.secret_hash, stored.id)     # only a hash is kept
    for action in ("device_offer", "device_paired"):
        assert len(audit_log(station.manager, action=action)) == 1


def test_an_expired_or_unknown_code_pairs_nothing(station, clock):
    offer = devices.offer_pairing("desk", "Tablet Empfang", station.manager)
    clock.advance(minutes=10)
    for code in (offer.code, "unknown-code-123", "", "x" * 500, "../../etc/passwd"):
        with refused("pairing_code"):
            devices.pair_device(code)
    assert PairedDevice.select().count() == 0


def test_credentials_are_checked_and_last_seen_written_once_a_minute(station, clock):
    paired = devices.pair_device(devices.offer_pairing("desk", "Tablet Empfang", station.manager).code)
    device_id, secret = paired.credential.split(".")
    for forged in (None, "", device_id, f"{device_id}.wrong", f"{device_id}.{secret}.x", f"other.{secret}", "."):
        assert devices.device_for(forged) is None
    first = devices.device_for(paired.credential).last_seen_at
    clock.advance(seconds=30)
    assert devices.device_for(paired.credential).last_seen_at == first
    clock.advance(seconds=31)
    assert devices.device_for(paired.credential).last_seen_at == clock.current


def test_revoking_shuts_the_device_out_and_is_kept_in_the_list(station, clock):
    kiosk = devices.pair_device(devices.offer_pairing("kiosk", "Tablet Eingang", station.manager).code)
    desk = devices.pair_device(devices.offer_pairing("desk", "Tablet Empfang", station.manager).code)
    with refused("manager_only"):
        devices.revoke_device(kiosk.device_id, station.receptionist)
    with refused("device_unknown"):
        devices.revoke_device("no-such-device", station.manager)
    revoked = devices.revoke_device(kiosk.device_id, station.manager)
    assert not revoked.active and not devices.device_for(kiosk.credential).active
    assert not devices.device_state(kiosk.device_id).active and devices.device_state(desk.device_id).active
    listed = devices.list_devices(station.manager)
    assert [d.name for d in listed] == ["Tablet Empfang", "Tablet Eingang"]      # active ones first
    assert listed[0].paired_by == "Maria Manager"


def test_each_role_opens_its_own_app_only():
    assert devices.may_open("kiosk", "kiosk") and not devices.may_open("kiosk", "staff")
    assert devices.may_open("desk", "staff") and not devices.may_open("desk", "kiosk")
    assert not devices.may_open(None, "kiosk") and not devices.may_open("admin", "staff")
