"""Locations and devices in the console: create a location, offer a station an enrolment code (as a QR
code too), see every station, revoke one. Each action is audited; the rules are `service`'s, the
same the `loyalty hq` commands use."""
from __future__ import annotations

from dataclasses import dataclass

from loyalty.errors import Refused
from sync.hq import service
from sync.hq.admins import LOCATIONS, audit, authorise
from sync.hq.db import Device, Location, now, transaction
from sync.hq.errors import ApiError
from sync.hq.programs import config_for
from sync.hq.stations import StationView, station_views
from sync.protocol import join_text


@dataclass(frozen=True)
class LocationView:
    id: str
    name: str
    created_at: float
    stations: int
    program_version: int | None


@dataclass(frozen=True)
class EnrolmentOffer:
    location: str
    code: str
    expires_at: float
    join_text: str                 # HQ address and code in one: the QR code's content


@dataclass(frozen=True)
class Group:
    locations: list[LocationView]
    stations: list[StationView]


def group(token: str) -> Group:
    authorise(token, LOCATIONS)
    expected = {}
    locations = []
    for loc in Location.select().order_by(Location.name):
        config = config_for(loc.id)
        expected[loc.id] = config.version if config else None
        count = Device.select().where((Device.location == loc.id) & (Device.status == "active")).count()
        locations.append(LocationView(loc.id, loc.name, loc.created_at, count, expected[loc.id]))
    return Group(locations, station_views(expected))


def add_location(token: str, name: str) -> str:
    admin = authorise(token, LOCATIONS)
    with transaction():
        location_id = _refusing(service.create_location, name)
        audit(admin, "location.create", name.strip(), location_id=location_id)
    return location_id


def offer_enrolment(token: str, location_id: str, hq_url: str) -> EnrolmentOffer:
    """A one-time code (15 minutes) for one station of the location, with the join text for its QR code."""
    admin = authorise(token, LOCATIONS)
    location = Location.get_or_none(Location.id == location_id)
    if location is None:
        raise Refused("location_unknown")
    with transaction():
        code = _refusing(service.create_enrolment, location_id)
        audit(admin, "device.enrolment_code", location.name)
    return EnrolmentOffer(location.name, code, now() + service.ENROLMENT_TTL, join_text(hq_url, code))


def revoke(token: str, device_id: str) -> None:
    """The device is refused from its next request on; its data stays."""
    admin = authorise(token, LOCATIONS)
    device = Device.get_or_none(Device.id == device_id)
    if device is None:
        raise Refused("device_unknown")
    with transaction():
        _refusing(service.revoke_device, device_id)
        audit(admin, "device.revoke", device.name or device.id, device_id=device.id)


def _refusing(action, *args):
    """The `loyalty hq` commands' rules, their refusals said in the console's words."""
    try:
        return action(*args)
    except ApiError as exc:
        raise Refused(f"hq_{exc.code}") from None
