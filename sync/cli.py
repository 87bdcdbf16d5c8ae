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


def whole(low: int, high: int):
    """An argparse type: a whole number from `low` to `high` in ASCII digits (`int()` also reads '²')."""
    def parse(text: str) -> int:
        digits = text.strip().removeprefix("-")
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 20 and low <= int(text) <= high):
            raise argparse.ArgumentTypeError(f"not a whole number from {low} to {high}: {text!r}")
        return int(text)
    return parse


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
    p.add_argument("--port", type=whole(1, 65535), default=8600)
    p.add_argument("--workers", type=whole(1, 64), default=DEFAULT_WORKERS,
                   help="server processes on one database (default: one per core, at most 4)")

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

    p = command("status", cmd_status, "locations, devices, events and stream position")
    database(p)

    p = sub.add_parser("admin", help="console accounts (the first owner, a lost authenticator)",
                       description="console accounts at /console/: e-mail, password and an authenticator code")
    admin = p.add_subparsers(dest="admin_command", required=True, metavar="ADMIN_COMMAND")

    def admin_command(name, func, help_text):
        a = admin.add_parser(name, help=help_text, description=help_text)
        a.set_defaults(hq_func=func)
        a.add_argument("--json", action="store_true", help="print JSON instead of text")
        database(a)
        return a

    a = admin_command("create", cmd_admin_create,
                      "make a console account that works at once (the first owner); asks for its password")
    a.add_argument("email")
    a.add_argument("--name", required=True, help="the name the console shows")
    a.add_argument("--role", default="owner", choices=("owner", "operations", "data_protection"))
    a.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    a = admin_command("reset", cmd_admin_reset,
                      "a new invitation code for an account (lost phone or password); its sessions end")
    a.add_argument("email")
    admin_command("list", cmd_admin_list, "console accounts with role and state")

    p = command("join", cmd_join, "link this station to an HQ with an enrolment code")
    p.add_argument("url", help="HQ address, e.g. https://hq.example.org; or the console's join text (loyalty-join:...)")
    p.add_argument("code", nargs="?", default=None, help="the one-time code (not needed with a join text)")
    p.add_argument("--name", default="", help="a name for this station at HQ")

    command("sync", cmd_sync, "run one sync round with HQ now (push the outbox, pull changes)")


def run(args) -> int:
    from loyalty.errors import Refused
    from sync.client import HqError
    from sync.hq.errors import ApiError
    try:
        return args.hq_func(args)
    except Refused as exc:
        print(f"loyalty hq: {exc.message('en')}", file=sys.stderr)
        return REFUSED
    except ApiError as exc:
        print(f"loyalty hq: {exc.message}", file=sys.stderr)
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
    print(f"HQ: http://{args.host}:{args.port}/  (OpenAPI: /openapi.json)", flush=True)
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


def cmd_admin_create(args) -> int:
    import getpass

    from sync.hq import admins
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password (12 characters or more): ")
        if getpass.getpass("The same password again: ") != password:
            raise ValueError("the two passwords differ")
    _open(args)
    authenticator = admins.create_admin(args.email, args.name, args.role, password)
    if args.json:
        _print(args, {"email": args.email, "role": args.role, "totp_secret": authenticator.secret,
                      "totp_uri": authenticator.uri})
        return DONE
    _print_authenticator(authenticator)
    print(f"{args.email} can now sign in at /console/ with the password and a code from the app.")
    return DONE


def _print_authenticator(authenticator) -> None:
    import qrcode
    print("Add the console to an authenticator app: scan this code, or type the secret.")
    code = qrcode.QRCode(border=2)
    code.add_data(authenticator.uri)
    code.print_ascii(out=sys.stdout)
    print(f"secret: {authenticator.secret}")


def cmd_admin_reset(args) -> int:
    from sync.hq import admins
    _open(args)
    invitation = admins.reset_admin(None, args.email)
    _print(args, {"email": invitation.email, "invitation_code": invitation.code,
                  "valid_hours": admins.INVITE_SECONDS // 3600})
    return DONE


def cmd_admin_list(args) -> int:
    from sync.hq import admins
    _open(args)
    rows = admins.accounts()
    if args.json:
        _print(args, [asdict(r) for r in rows])
        return DONE
    for r in rows:
        print(f"{r.email:<32} {r.role:<16} {r.status:<9} {r.name}")
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
    from sync.protocol import parse_join_text
    from sync.station import enrol_station
    url, code = parse_join_text(args.url) or (args.url, args.code)
    if not code:
        raise ValueError("give the enrolment code, or the console's join text (loyalty-join:...)")
    _station()
    location = enrol_station(HqClient(url), code, args.name)
    _print(args, {"joined": url, "location": location,
                  "sync": "background sync is on: a running station starts within seconds, else at `loyalty run`"})
    return DONE


def cmd_sync(args) -> int:
    from sync.station import client_for_station, sync_round
    config = _station()
    client = client_for_station(config.hq.get("url"))
    if client is None:
        raise ValueError("this station is not linked to an HQ: run `loyalty hq join URL CODE`")
    _print(args, asdict(sync_round(client)))
    return DONE
