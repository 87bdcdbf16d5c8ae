"""`loyalty hq ...`: run the HQ server and administer it; link this station to an HQ.

HQ commands take `--db URL` (or LOYALTY_HQ_DB): `postgresql://...` in production, else the
embedded SQLite default `sqlite:///$LOYALTY_HOME/hq.db`. What they print for people follows
`loyalty hq --lang` (else LOYALTY_LANG, else the station's language); HQ's refusals are said by
their code where the catalogue has a text for it.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict

from loyalty.errors import CommandError
from loyalty.i18n import catalogue, labelled_lines, t

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
    lang = args.lang
    try:
        return args.hq_func(args)
    except Refused as exc:
        print(f"loyalty hq: {exc.message('en')}", file=sys.stderr)
        return REFUSED
    except ApiError as exc:
        print(f"loyalty hq: {_refusal(exc.code, exc.message, lang)}", file=sys.stderr)
        return REFUSED
    except HqError as exc:
        if exc.status == 0:
            text = t("cli.problem.hq_unreachable", lang, detail=exc.message)
        elif f"cli.hq.{exc.code}" in catalogue("en"):
            text = t(f"cli.hq.{exc.code}", lang)
        else:
            text = t("cli.problem.hq_answered", lang, status=exc.status, code=exc.code, message=exc.message)
        print(f"loyalty hq: {text}", file=sys.stderr)
        return FAILED if exc.status in (0, 502, 503) else REFUSED
    except CommandError as exc:
        print(f"loyalty hq: {exc.text(lang)}", file=sys.stderr)
        return USAGE if exc.usage else FAILED
    except ValueError as exc:   # a value HQ's own code refuses (its text is English)
        print(f"loyalty hq: {exc}", file=sys.stderr)
        return USAGE


def _refusal(code: str, message: str, lang: str) -> str:
    """HQ's refusal by its code in the command's language; HQ's own words for a code we have no text for."""
    return t(f"cli.hq.{code}", lang) if f"cli.hq.{code}" in catalogue("en") else message


def _open(args) -> None:
    from sync.hq.db import open_hq
    url = args.db or default_db()
    try:
        open_hq(url)
    except ValueError:
        raise CommandError("hq_database", usage=True, url=url) from None


def _print(args, value) -> None:
    if getattr(args, "json", False):
        print(json.dumps(value, default=str))
        return
    for line in labelled_lines(value, args.lang, "cli.field"):
        print(line)


def cmd_serve(args) -> int:
    import uvicorn
    url = args.db or default_db()
    os.environ["LOYALTY_HQ_DB"] = url
    os.environ["LOYALTY_HQ_LISTEN"] = f"http://{args.host}:{args.port}"
    if args.public_url:
        os.environ["LOYALTY_HQ_PUBLIC_URL"] = args.public_url
    print(t("cli.hq_at", args.lang, url=f"http://{args.host}:{args.port}/"), flush=True)
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

    from loyalty.program import parse_program
    from sync.hq import service
    _open(args)
    text = Path(args.file).read_text(encoding="utf-8")
    parse_program(text, source=Path(args.file).name)   # its problems in the command's language first
    _print(args, {"version": service.publish_config(text)})
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
    print(t("cli.hq.status", args.lang, locations=state.locations, events=state.events, position=state.position,
            epoch=state.epoch, version=state.config_version))
    for d in state.devices:
        print(t("cli.hq.device", args.lang, device_id=d.device_id, location=d.location, name=d.name,
                status=d.status, events=d.events))
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
        raise CommandError("no_station", path=config.db_path)
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
        raise CommandError("not_linked", usage=True)
    _print(args, asdict(sync_round(client)))
    return DONE
