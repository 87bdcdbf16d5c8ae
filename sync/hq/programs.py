"""The group's program at HQ: versions, edits checked like the station's settings, the difference to
what runs, publishing to all or some locations, and rolling back.

Versions only grow: a rollback publishes the earlier version's text again under a new number, so a
station always takes a version newer than its own (`config_for`) and its report says which it runs.
A version goes to every location unless it names some (`ReleaseLocation`).
"""
from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from loyalty.errors import Refused
from loyalty.program import ASSETS, Program
from loyalty.program_edit import Change, check_program, differences, edit_program
from sync.hq import rollups
from sync.hq.admins import PROGRAM, audit, authorise
from sync.hq.db import Config, Location, Release, ReleaseLocation, now, transaction


@dataclass(frozen=True)
class VersionView:
    version: int
    created_at: float
    admin_email: str | None        # None: published by `loyalty hq publish-config`
    note: str
    repeats: int | None            # a rollback: the version whose text it publishes again
    locations: list[str] | None    # location names; None: every location


@dataclass(frozen=True)
class LocationProgram:
    location_id: str
    name: str
    version: int | None            # the version HQ hands this location's stations (None: none yet)


@dataclass(frozen=True)
class ProgramOverview:
    versions: list[VersionView]    # newest first
    locations: list[LocationProgram]
    newest_text: str | None


@dataclass(frozen=True)
class Draft:
    """A checked program text and how it differs from each version running at the chosen locations."""
    text: str
    program: Program
    changed: list[str]
    against: dict[int | None, list[Change]]   # running version -> differences (None: nothing published yet,
                                              # compared with the text the edit started from)
    locations: dict[int | None, list[str]]    # running version -> location names


def config_for(location_id: str) -> Config | None:
    """The newest version meant for this location (for it alone, or for every location)."""
    targeted = ReleaseLocation.select().where(ReleaseLocation.version == Config.version)
    mine = targeted.where(ReleaseLocation.location_id == location_id)
    return (Config.select().where(~pw.fn.EXISTS(targeted) | pw.fn.EXISTS(mine))
            .order_by(Config.version.desc()).first())


def overview(token: str) -> ProgramOverview:
    authorise(token, PROGRAM)
    names = {loc.id: loc.name for loc in Location.select()}
    releases = {r.version: r for r in Release.select()}
    targets: dict[int, list[str]] = {}
    for row in ReleaseLocation.select():
        targets.setdefault(row.version, []).append(names.get(row.location_id, row.location_id))
    versions = []
    for c in Config.select(Config.version, Config.created_at).order_by(Config.version.desc()):
        release = releases.get(c.version)
        versions.append(VersionView(c.version, c.created_at, release.admin_email if release else None,
                                    release.note if release else "", release.repeats if release else None,
                                    sorted(targets[c.version]) if c.version in targets else None))
    locations = []
    for loc in Location.select().order_by(Location.name):
        config = config_for(loc.id)
        locations.append(LocationProgram(loc.id, loc.name, config.version if config else None))
    newest = Config.select().order_by(Config.version.desc()).first()
    return ProgramOverview(versions, locations, newest.toml if newest else None)


def program_text(token: str, version: int) -> str:
    authorise(token, PROGRAM)
    config = Config.get_or_none(Config.version == version)
    if config is None:
        raise Refused("program_version_unknown", version=version)
    return config.toml


def templates() -> dict[str, str]:
    """The programs that ship with the product, to start from when HQ has published none yet."""
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted((ASSETS / "programs").glob("*.toml"))}


def check_draft(token: str, base_text: str, changes: dict[str, object], location_ids: list[str] | None,
                whole_text: str | None = None) -> Draft:
    """Field edits on `base_text` (or `whole_text` as typed), validated like the station's settings,
    with the differences to what runs at each chosen location. Refuses what the station would refuse."""
    authorise(token, PROGRAM)
    if whole_text is not None:
        text, changed = whole_text, ["(program)"]
    else:
        edited = edit_program(base_text, changes)
        text, changed = edited.text, edited.changed
    program = check_program(text)
    against: dict[int | None, list[Change]] = {}
    where: dict[int | None, list[str]] = {}
    for loc in _chosen(location_ids):
        config = config_for(loc.id)
        version = config.version if config else None
        if version not in against:
            against[version] = differences(config.toml if config else base_text, text)
        where.setdefault(version, []).append(loc.name)
    return Draft(text, program, changed, against, where)


def publish(token: str, toml_text: str, location_ids: list[str] | None, note: str = "") -> int:
    """A new version for the chosen locations (None: every location); stations take it at their next sync."""
    admin = authorise(token, PROGRAM)
    check_program(toml_text)
    with transaction():
        version = _release(toml_text, location_ids, admin.email, note.strip()[:200], None)
        audit(admin, "program.publish", f"version {version}", locations=_names(location_ids), note=note.strip()[:200])
    return version


def rollback(token: str, to_version: int, location_ids: list[str] | None) -> int:
    """Publish an earlier version's text again, as a new version, to the chosen locations."""
    admin = authorise(token, PROGRAM)
    with transaction():
        earlier = Config.get_or_none(Config.version == to_version)
        if earlier is None:
            raise Refused("program_version_unknown", version=to_version)
        version = _release(earlier.toml, location_ids, admin.email, "", to_version)
        audit(admin, "program.rollback", f"version {version}", repeats=to_version, locations=_names(location_ids))
    return version


def _release(text: str, location_ids: list[str] | None, admin_email: str, note: str, repeats: int | None) -> int:
    chosen = _chosen(location_ids) if location_ids is not None else None
    version = (Config.select(pw.fn.MAX(Config.version)).scalar() or 0) + 1
    Config.create(version=version, toml=text, created_at=now())
    Release.create(version=version, admin_email=admin_email, note=note, repeats=repeats)
    for loc in chosen or ():
        ReleaseLocation.create(version=version, location_id=loc.id)
    if chosen is None:
        rollups.follow_zone(text)
    return version


def _chosen(location_ids: list[str] | None) -> list[Location]:
    """The locations by id (None: all); an empty choice or an unknown id is refused."""
    if location_ids is None:
        return list(Location.select().order_by(Location.name))
    if not location_ids:
        raise Refused("program_no_location")
    found = list(Location.select().where(Location.id.in_(location_ids)).order_by(Location.name))
    if len(found) != len(set(location_ids)):
        raise Refused("location_unknown")
    return found


def _names(location_ids: list[str] | None) -> list[str] | str:
    if location_ids is None:
        return "all"
    return [loc.name for loc in Location.select().where(Location.id.in_(location_ids)).order_by(Location.name)]
