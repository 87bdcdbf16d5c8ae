"""`loyalty hq ...`: run the HQ server and administer it; link this station to an HQ.

HQ commands take `--db URL` (or LOYALTY_HQ_DB): `postgresql://...` in production, else the
embedded SQLite default `sqlite:///$LOYALTY_HOME/hq.db`.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict

DONE, REFUSED, USAGE, FAILED = 0, 1, 2, 3
DEFAULT_WORKERS = min(4, os.cpu_count() or 1)   # HQ server processes: one per core, at most 4


def default_db() -> str:
    from loyalty.config import home_dir
    return os.environ.get("LOYALTY_HQ_DB") or f"sqlite:///{home_dir() / 'hq.db'}"


def add_hq_commands(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="hq_command", required=True, metavar="HQ_COMMAND")

    def command(name, func, help_text):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(hq_func=func)
        p.add_argument("--json", action="store_true", help="print JSON instead of text")
        return p

    def database(p):
        p.add_argument("--db", default=None, help="HQ database URL (or LOYALTY_HQ_DB; default SQLite in LOYALTY_HOME)")

    p = command("serve", cmd_serve, "run the HQ server (OpenAPI at /docs and /openapi.json)")
    database(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8600)
    p.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                   help="server processes on one database (default: one per core, at most 4)")
    p.add_argument("--public-url", default=None,
                   help="the address patients' phones reach HQ at, for the app's links (or [hq] public_url "
                        "in hq.toml; default http://HOST:PORT)")

    p = command("create-location", cmd_create_location, "add a location (clinic or shop)")
    database(p)
    p.add_argument("name")

    p = command("enrol-device", cmd_enrol_device, "print a one-time code (15 minutes) for a station of a location")
    database(p)
    p.add_argument("location", help="location name or id")

    p = command("revoke-device", cmd_revoke_device, "refuse a device from its next request on")
    database(p)
    p.add_argument("device_id")

    p = command(
        "publish-config", cmd_publish_config, "publish a program TOML file as the next version for all stations"
    )
    database(p)
    p.add_argument("file")

    p = command("booking-page", cmd_booking_page,
                "set a location's own online booking page: the patients' app opens it instead of taking requests")
    database(p)
    p.add_argument("location", help="location name or id")
    p.add_argument("url", nargs="?", default=None, help="https://... (leave out to take requests in the app again)")

    p = command("status", cmd_status, "locations, devices, events and stream position")
    database(p)

    p = command("join", cmd_join, "link this station to an HQ with an enrolment code")
    p.add_argument("url", help="HQ address, e.g. https://hq.example.org")
    p.add_argument("code")
    p.add_argument("--name", default="", help="a name for this station at HQ")

    command("sync", cmd_sync, "run one sync round with HQ now (push the outbox, pull changes)")


def run(args) -> int:
    from loyalty.errors import Refused
    from sync.client import HqError
    from sync.hq.errors import ApiError
    try:
        return args.hq_func(args)
    except ApiError as exc:
        print(f"loyalty hq: {exc.message}", file=sys.stderr)
        return REFUSED
    except Refused as exc:
        print(f"loyalty hq: {exc.message('en')}", file=sys.stderr)
        return REFUSED
    except HqError as exc:
        print(f"loyalty hq: HQ answered {exc.status} {exc.code}: {exc.message}", file=sys.stderr)
        return FAILED if exc.status in (0, 502, 503) else REFUSED
    except ValueError as exc:
        print(f"loyalty hq: {exc}", file=sys.stderr)
        return USAGE


def _open(args) -> None:
    from sync.hq.db import open_hq
    open_hq(args.db or default_db())


def _print(args, value) -> None:
    if getattr(args, "json", False):
        print(json.dumps(value, default=str))
    elif isinstance(value, dict):
        for key, item in value.items():
            print(f"{key}: {item}")
    else:
        print(value)


def cmd_serve(args) -> int:
    import uvicorn
    url = args.db or default_db()
    os.environ["LOYALTY_HQ_DB"] = url
    os.environ["LOYALTY_HQ_LISTEN"] = f"http://{args.host}:{args.port}"
    if args.public_url:
        os.environ["LOYALTY_HQ_PUBLIC_URL"] = args.public_url
    print(f"HQ: http://{args.host}:{args.port}/  (OpenAPI: /openapi.json, the patients' app: /app/)", flush=True)
    uvicorn.run("hq.main:app", host=args.host, port=args.port, workers=args.workers, log_level="warning")
    return DONE


def cmd_create_location(args) -> int:
    from sync.hq import service
    _open(args)
    _print(args, {"location": service.create_location(args.name)})
    return DONE


def cmd_enrol_device(args) -> int:
    from sync.hq import service
    _open(args)
    _print(args, {"code": service.create_enrolment(args.location), "valid_minutes": service.ENROLMENT_TTL // 60})
    return DONE


def cmd_revoke_device(args) -> int:
    from sync.hq import service
    _open(args)
    service.revoke_device(args.device_id)
    _print(args, {"revoked": args.device_id})
    return DONE


def cmd_publish_config(args) -> int:
    from pathlib import Path

    from sync.hq import service
    _open(args)
    _print(args, {"version": service.publish_config(Path(args.file).read_text(encoding="utf-8"))})
    return DONE


def cmd_booking_page(args) -> int:
    from sync.hq.patients.appointments import set_booking_page
    _open(args)
    set_booking_page(args.location, args.url)
    _print(args, {"location": args.location, "booking_page": args.url or ""})
    return DONE


def cmd_status(args) -> int:
    from sync.hq import service
    _open(args)
    state = service.status()
    if getattr(args, "json", False):
        _print(args, asdict(state))
        return DONE
    print(f"locations: {state.locations}  events: {state.events}  position: {state.position}  "
          f"epoch: {state.epoch}  program version: {state.config_version}")
    for d in state.devices:
        print(f"  {d.device_id}  {d.location:<20} {d.name:<16} {d.status:<8} events {d.events}")
    return DONE


def _station():
    from loyalty.config import load_config
    from loyalty.services import is_initialised
    from loyalty.store import open_database
    config = load_config()
    open_database(config.db_path)
    if not is_initialised():
        raise ValueError(f"no station at {config.db_path}: run `loyalty init` first")
    return config


def cmd_join(args) -> int:
    from sync.client import HqClient
    from sync.station import enrol_station
    _station()
    location = enrol_station(HqClient(args.url), args.code, args.name)
    _print(args, {"joined": args.url, "location": location})
    return DONE


def cmd_sync(args) -> int:
    from sync.station import client_for_station, sync_round
    config = _station()
    client = client_for_station(config.hq.get("url"))
    if client is None:
        raise ValueError("this station is not linked to an HQ: run `loyalty hq join URL CODE`")
    _print(args, asdict(sync_round(client)))
    return DONE
