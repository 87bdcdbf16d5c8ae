"""What the console shows of each station: its last sync and what it last said about itself.

A station reports with each pull (`sync.protocol.StationReport`): the program version it took and
a digest of the program it runs (so a change made at the station shows), a version it could not
take, its queue, the writes HQ refused, and its clock, from which HQ reckons the skew on arrival.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from sync.hq.db import Config, Device, Location, StationReport, now
from sync.protocol import StationReport as WireReport
from sync.protocol import program_digest

SKEW_WARNING_S = 120.0     # a station clock further off than this is marked (HQ's signed requests allow 300 s)


@dataclass(frozen=True)
class RefusedNote:
    table: str
    record_id: str
    reason: str
    at: float


@dataclass(frozen=True)
class StationView:
    device_id: str
    name: str
    location_id: str
    location: str
    status: str                     # active | revoked
    enrolled_at: float
    last_seen_at: float | None      # its last push or reported pull
    revoked_at: float | None
    reported_at: float | None       # None: it never sent a report (an older station)
    software: str | None
    program_version: int | None     # the HQ version it took (0: none yet)
    program_expected: int | None    # the version HQ hands its location
    program_changed_here: bool      # it runs a program that differs from the version it took
    program_problem: str | None
    queue_length: int | None
    rejected: int | None
    set_aside: int | None           # pulled records it could not apply (shown in its sync details)
    refused: list[RefusedNote]
    clock_skew_s: float | None      # its clock minus HQ's when the report arrived

    @property
    def behind(self) -> bool:
        return self.program_expected is not None and (self.program_version or 0) < self.program_expected

    @property
    def skewed(self) -> bool:
        return self.clock_skew_s is not None and abs(self.clock_skew_s) > SKEW_WARNING_S


def note_report(device_id: str, report: WireReport) -> None:
    """Keep a station's newest report; call inside the pull's transaction."""
    moment = now()
    values = dict(received_at=moment, station_time=report.station_time, software=report.software,
                  program_version=report.program_version, program_digest=report.program_digest,
                  program_problem=report.program_problem, queue_length=report.queue_length,
                  rejected=report.rejected, set_aside=report.set_aside,
                  refused=json.dumps([r.model_dump() for r in report.refused]))
    (StationReport.insert(device_id=device_id, **values)
     .on_conflict(conflict_target=[StationReport.device_id], update=values).execute())


def station_views(expected: dict[str, int | None]) -> list[StationView]:
    """Every station with its report; `expected`: location id -> the version HQ hands it."""
    reports = {r.device_id: r for r in StationReport.select()}
    texts = {c.version: c.toml for c in Config.select().where(
        Config.version.in_({r.program_version for r in reports.values()} or {0}))}
    views = []
    for device in (Device.select(Device, Location).join(Location).order_by(Location.name, Device.enrolled_at)):
        report = reports.get(device.id)
        taken = texts.get(report.program_version) if report else None
        views.append(StationView(
            device.id, device.name, device.location_id, device.location.name, device.status, device.enrolled_at,
            max(filter(None, (device.last_seen_at, report.received_at if report else None)), default=None),
            device.revoked_at, report.received_at if report else None,
            report.software if report else None, report.program_version if report else None,
            expected.get(device.location_id), bool(taken and program_digest(taken) != report.program_digest),
            report.program_problem if report else None, report.queue_length if report else None,
            report.rejected if report else None, report.set_aside if report else None,
            [RefusedNote(**r) for r in json.loads(report.refused)] if report else [],
            report.station_time - report.received_at if report else None))
    return views
