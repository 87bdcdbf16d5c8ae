"""The `loyalty` command. Exit codes: 0 done, 1 refused (reason on stderr), 2 usage, 3 failed.

Everything it prints for people follows --lang, else LOYALTY_LANG, else the station's language
(station.toml); --json prints data for machines. Only argparse's own help and usage lines stay English.
"""
from __future__ import annotations

import argparse
import errno
import json
import os
import sys
import tomllib
from dataclasses import asdict, is_dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import peewee as pw

from loyalty.config import home_dir, load_config
from loyalty.errors import CommandError, Refused
from loyalty.i18n import LANGUAGES, fmt_number, labelled_lines, t
from loyalty.private_files import restrict_umask, write_private
from loyalty.program import DEFAULT_PROGRAM, ProgramError
from loyalty.store.registry import POINTS
from sync.cli import whole

DONE, REFUSED, USAGE, FAILED = 0, 1, 2, 3


def euros_in(lang: str):
    """The type of an amount argument: euros ("49.90" or "49,90") as integer cents; argparse reports
    a bad one as a usage error, in the command's language."""
    def euros(text: str) -> int:
        try:
            value = Decimal(text.strip().replace(",", "."))
        except InvalidOperation:
            raise argparse.ArgumentTypeError(t("cli.problem.not_euros", lang, text=text)) from None
        try:
            exact = value.is_finite() and value == value.quantize(Decimal("0.01"))
        except InvalidOperation:      # "1e30" has more digits than a Decimal holds
            exact = False
        if not exact:
            raise argparse.ArgumentTypeError(t("cli.problem.not_cents", lang, text=text))
        return int(value * 100)
    return euros


def language(argv: list[str]) -> str:
    """--lang from the command line, else LOYALTY_LANG, else the station's language, else English:
    known before the arguments are parsed, so argparse's complaints can use it too."""
    for i, arg in enumerate(argv):
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
    try:
        lang = load_config().language
    except (OSError, tomllib.TOMLDecodeError, ValueError):
        return "en"
    return lang if lang in LANGUAGES else "en"


def _open():
    from loyalty.store import open_database
    config = load_config()
    open_database(config.db_path)
    return config


def _station():
    config = _open()
    from loyalty.services import is_initialised
    if not is_initialised():
        raise CommandError("no_station", path=config.db_path)
    return config


def _actor(args):
    """Staff actions need a name and PIN: --staff/--pin or LOYALTY_STAFF/LOYALTY_PIN."""
    from loyalty.services import device_id, sign_in
    name = getattr(args, "staff", None) or os.environ.get("LOYALTY_STAFF")
    pin = getattr(args, "pin", None) or os.environ.get("LOYALTY_PIN")
    if not name or not pin:
        raise Refused("staff_only")
    return sign_in(name, pin, device_id())


def _device_actor():
    from loyalty.services import Actor, device_id
    return Actor(device_id())


def _print(value, args) -> None:
    """JSON with --json; otherwise "label: value" lines in the command's language."""
    def plain(obj):
        if is_dataclass(obj):
            return asdict(obj)
        if isinstance(obj, datetime):
            return obj.isoformat()
        if isinstance(obj, (set, tuple)):
            return list(obj)
        raise TypeError(type(obj).__name__)
    if args.json:
        print(json.dumps(value, default=plain, ensure_ascii=False))
        return
    record = asdict(value) if is_dataclass(value) else value
    for line in labelled_lines(record, args.lang, "cli.field"):
        print(line)


# --- commands ------------------------------------------------------------------------------

def cmd_init(args) -> int:
    if bool(args.manager) != bool(args.pin):
        raise CommandError("manager_and_pin", usage=True)
    config = _open()
    from loyalty.services import init_station, network
    init_station(args.program, args.manager, args.pin)
    network.station_authority(config)
    print(t("cli.station_ready", args.lang, path=config.db_path, program=Path(args.program).name))
    return DONE


def cmd_demo(args) -> int:
    config = _open()
    from loyalty.services import init_station, is_initialised, load_demo
    from loyalty.store import Member
    if args.if_empty and is_initialised() and Member.select().exists():
        print(t("cli.demo_exists", args.lang, path=config.db_path))
        return DONE
    if not is_initialised():
        init_station(args.program)
        from loyalty.services import network
        network.station_authority(config)
    tokens = load_demo(args.members)
    print(t("cli.demo_ready", args.lang, members=len(tokens), path=config.db_path))
    print(t("cli.demo_staff", args.lang))
    print(t("cli.demo_card", args.lang, token=tokens[0]))
    return DONE


def cmd_enroll(args) -> int:
    _station()
    from loyalty.services import enroll
    result = enroll(args.first_name, _device_actor(), email=args.email, phone=args.phone,
                    last_name=args.last_name, consent_program=args.consent, consent_marketing=args.marketing,
                    age_confirmed=args.adult, birthday_day=args.birthday[0] if args.birthday else None,
                    birthday_month=args.birthday[1] if args.birthday else None, referrer_token=args.referrer,
                    source="cli")
    _print({"member_id": result.member_id, "created": result.created, "card": result.card_token,
            "bonus_points": result.bonus_points}, args)
    return DONE


def cmd_checkin(args) -> int:
    _station()
    from loyalty.services import check_in
    result = check_in(args.code, _device_actor())
    if result.member is None:
        print(t(f"checkin.{result.status}", args.lang), t("checkin.ask_desk", args.lang), file=sys.stderr)
        return REFUSED
    m = result.member
    words = not args.json
    _print({"status": t(f"cli.status.{result.status}", args.lang) if words else result.status,
            "first_name": m.first_name, "points": m.points,
            "stamps": f"{m.stamps_on_card}/{m.stamps_per_card}", "full_cards": m.full_cards,
            "tier": m.tier_name if words else m.tier, "rewards_ready": _reward_names(m.rewards_ready, args),
            "bonus_points": result.bonus_points}, args)
    return DONE


def _reward_names(codes: list[str], args) -> list:
    """Reward codes for --json, their names for people."""
    if args.json:
        return codes
    from loyalty.services import current_program
    rewards = current_program().rewards
    return [rewards[code].name if code in rewards else code for code in codes]


def _member_id(ref: str) -> str:
    """A member by id or by card code."""
    from loyalty.services import find_card
    if ref.upper().startswith("LY"):
        card, problem = find_card(ref)
        if problem:
            raise Refused(f"card_{problem}")
        return card.member_id
    return ref


def cmd_award(args) -> int:
    _station()
    from loyalty.services import award_purchase
    result = award_purchase(_member_id(args.member), args.euros, _actor(args),
                            item_code=args.item, category=args.category)
    _print(result, args)
    return DONE


def cmd_redeem(args) -> int:
    _station()
    from loyalty.services import redeem
    result = redeem(_member_id(args.member), args.reward, _actor(args), points=args.points, item_code=args.item)
    _print(result, args)
    return DONE


def cmd_member(args) -> int:
    _station()
    _actor(args)
    from loyalty.services import member_status, search
    if args.search:
        hits = search(args.query)
        if args.json:
            _print([asdict(s) for s in hits], args)
        for hit in [] if args.json else hits:
            name = f"{hit.first_name} {hit.last_name or ''}".strip()
            contact = " ".join(c for c in (hit.email, hit.phone) if c)
            print(t("cli.search_hit", args.lang, member_id=hit.member_id, name=name, contact=contact,
                    points=fmt_number(hit.points, args.lang)))
        if not hits and not args.json:
            print(t("cli.no_hits", args.lang))
        return DONE
    status = member_status(_member_id(args.query))
    if args.json:
        _print(status, args)
    else:
        from loyalty.services import current_program
        plan = current_program().plans.get(status.plan or "")
        record = {**asdict(status), "tier": status.tier_name, "plan": plan.name if plan else status.plan,
                  "rewards_ready": _reward_names(status.rewards_ready, args),
                  "perks": _reward_names(status.perks, args)}
        record.pop("tier_name")
        _print(record, args)
    return DONE


def cmd_card(args) -> int:
    _station()
    from loyalty.services import card_pdf, card_png, card_token, reissue_card
    actor = _actor(args)
    member_id = _member_id(args.member)
    token = reissue_card(member_id, actor, reason=args.reason) if args.reissue else card_token(member_id)
    if args.png:
        write_private(Path(args.png), card_png(token))       # the code checks the member in: not for everyone
    if args.pdf:
        write_private(Path(args.pdf), card_pdf(token))
    print(token)
    return DONE


def cmd_export(args) -> int:
    _station()
    from loyalty.services import export_member
    data = export_member(_member_id(args.member), _actor(args))
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    if args.output:
        write_private(Path(args.output), text.encode("utf-8"))
    else:
        print(text)
    return DONE


def cmd_erase(args) -> int:
    _station()
    from loyalty.services import erase_member
    if not args.yes:
        raise CommandError("erase_confirm", usage=True)
    erase_member(_member_id(args.member), _actor(args))
    print(t("cli.erased", args.lang))
    return DONE


def cmd_import(args) -> int:
    _station()
    from loyalty.services import import_balances
    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CommandError("not_utf8", file=args.file) from None
    result = import_balances(text, _actor(args), dry_run=args.dry_run, signup_bonus=args.signup_bonus)
    for error in result.errors:
        print(t("cli.row_error", args.lang, row=error.row, message=error.text(args.lang)), file=sys.stderr)
    if not result.ok:
        print(t("cli.nothing_imported", args.lang), file=sys.stderr)
        return REFUSED
    print(result.summary(args.lang, dry_run=args.dry_run))
    return DONE


def cmd_expire(args) -> int:
    _station()
    from loyalty.services import expire_points
    report = expire_points(_device_actor())
    print(t("cli.expired", args.lang, points=fmt_number(report.points, args.lang),
            members=fmt_number(report.members, args.lang)))
    return DONE


def cmd_decode(args) -> int:
    from loyalty.adapters.decode_files import decode_file
    results = [decode_file(path) for path in args.files]
    for result in results:
        print(json.dumps(result, ensure_ascii=False))
    return DONE if all("error" not in r and r.get("codes") for r in results) else REFUSED


def cmd_run(args) -> int:
    config = _with_network(_station(), args)
    from station.server import serve
    apps = tuple(a.strip() for a in args.apps.split(",") if a.strip())
    unknown = set(apps) - {"kiosk", "staff"}
    if unknown or not apps:
        raise CommandError("apps", apps=args.apps)
    host = args.host or config.host
    if not config.clinic_network and not _is_loopback(host):
        raise CommandError("plain_http", host=host)
    from loyalty.adapters.tls import CertificateError
    try:
        serve(config, host=host, port=args.port or config.port, apps=apps)
    except CertificateError as exc:
        raise CommandError("certificate", detail=exc) from None
    return DONE


def _with_network(config, args):
    """`--network` and `--https-port` over station.toml for this run."""
    import dataclasses
    changes = {k: v for k, v in (("mode", args.network), ("https_port", args.https_port)) if v}
    return dataclasses.replace(config, network={**config.network, **changes}) if changes else config


def _is_loopback(host: str) -> bool:
    import ipaddress
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cmd_devices(args) -> int:
    config = _station()
    from loyalty.services import devices, network
    if args.action == "add":
        if not args.role or not args.name:
            raise CommandError("devices_add", usage=True)
        offer = devices.offer_pairing(args.role, args.name, _actor(args))
        link = network.station_link(config)
        url = link.pairing_url(offer.code)
        if args.json:
            _print({"url": url, "role": offer.role, "name": offer.name, "expires_at": offer.expires_at,
                    "fingerprint": link.fingerprint, "serving": link.serving}, args)
            return DONE
        import qrcode
        code = qrcode.QRCode(border=2)
        code.add_data(url)
        code.print_ascii(invert=True)
        print(t("cli.pair_scan", args.lang, url=url))
        print(t("cli.pair_once", args.lang, time=f"{offer.expires_at:%H:%M}"))
        if link.fingerprint:
            print(t("cli.fingerprint", args.lang, fingerprint=link.fingerprint))
        if not link.serving:
            print(t("cli.pair_loopback", args.lang), file=sys.stderr)
        return DONE
    if args.action == "revoke":
        if not args.device:
            raise CommandError("devices_revoke", usage=True)
        _print(devices.revoke_device(args.device, _actor(args)), args)
        return DONE
    listed = devices.list_devices(_actor(args))
    if args.json:
        _print(listed, args)
        return DONE
    for d in listed:
        seen = f"{d.last_seen_at:%Y-%m-%d %H:%M} UTC" if d.last_seen_at else t("cli.device_never", args.lang)
        state = (t("cli.device_active", args.lang) if d.active
                 else t("cli.device_revoked", args.lang, when=f"{d.revoked_at:%Y-%m-%d %H:%M} UTC"))
        print(t("cli.device_line", args.lang, device_id=d.device_id, role=f"{d.role:<5}", name=f"{d.name:<24}",
                seen=seen, state=state))
    return DONE


def cmd_kiosk(args) -> int:
    config = _station()
    from station.kiosk_window import NoWindow, open_kiosk
    try:
        return open_kiosk(config, url=args.url, browser=args.browser)
    except NoWindow as exc:
        raise CommandError("kiosk_window", detail=exc) from None


def cmd_setup(args) -> int:
    from station.setup import Cancelled, run_setup
    try:
        return run_setup(load_config())
    except Cancelled as stopped:
        print("\n" + t("cli.setup_stopped", stopped.lang), file=sys.stderr)
        return REFUSED


def cmd_messages(args) -> int:
    config = _station()
    from loyalty.adapters.channels import channels_from_config
    from station.scheduler import messages_command
    if args.action == "run" and not channels_from_config(config):
        raise CommandError("no_channels")
    _print(messages_command(config, args.action), args)
    return DONE


def cmd_hq(args) -> int:
    from sync.cli import run
    return run(args)


def build_parser(lang: str = "en") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loyalty", description="QR loyalty station for clinics and shops.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, func, help_text):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        p.add_argument("--json", action="store_true", help="print JSON instead of text")
        p.add_argument("--lang", default=lang, choices=LANGUAGES,
                       help="language of messages (default: LOYALTY_LANG, else the station's language)")
        return p

    def staff(p):
        p.add_argument("--staff", help="staff name (or LOYALTY_STAFF)")
        p.add_argument("--pin", help="staff PIN (or LOYALTY_PIN)")

    p = command("init", cmd_init, "create the station database with a program (keeps keys if it exists)")
    p.add_argument("--program", default=str(DEFAULT_PROGRAM), help="program TOML file")
    p.add_argument("--manager", help="name of the first manager")
    p.add_argument("--pin", help="PIN of the first manager (4-8 digits)")

    command("setup", cmd_setup, "set up this station step by step (program, manager, network, e-mail, SMS, "
            "printer, HQ) and write station.toml")

    p = command("demo", cmd_demo, "create a demo program with demo members")
    p.add_argument("--program", default=str(DEFAULT_PROGRAM))
    p.add_argument("--members", type=whole(1, 100_000), default=12)
    p.add_argument("--if-empty", action="store_true", help="do nothing when members exist")

    p = command("enroll", cmd_enroll, "enrol a new member (returns the existing one for a known e-mail/phone)")
    p.add_argument("first_name")
    p.add_argument("--last-name")
    p.add_argument("--email")
    p.add_argument("--phone")
    p.add_argument("--consent", action="store_true", help="the member agreed to the program terms (required)")
    p.add_argument("--marketing", action="store_true", help="the member agreed to marketing messages")
    p.add_argument("--adult", action="store_true", help="the member confirmed the minimum age")
    p.add_argument("--birthday", type=whole(1, 31), nargs=2, metavar=("DAY", "MONTH"))
    p.add_argument("--referrer", help="card code of the member who referred them")

    p = command("checkin", cmd_checkin, "check in with a scanned card code, as the kiosk does")
    p.add_argument("code")

    p = command("award", cmd_award, "award points for a purchase")
    p.add_argument("member", help="member id or card code")
    p.add_argument("euros", type=euros_in(lang), help="amount paid, e.g. 49.90")
    p.add_argument("--item", help="catalogue item code")
    p.add_argument("--category", default="retail",
                   help="category when no item is given (shops; a clinic under de-clinic names the --item)")
    staff(p)

    p = command("redeem", cmd_redeem, "redeem a reward")
    p.add_argument("member", help="member id or card code")
    p.add_argument("reward", help="reward code")
    p.add_argument("--points", type=whole(1, POINTS[1]), help="points to use, for rewards that allow partial use")
    p.add_argument("--item", help="the item the reward applies to")
    staff(p)

    p = command("member", cmd_member, "show a member's status, or search members")
    p.add_argument("query", help="member id or card code, or a search text with --search")
    p.add_argument("--search", action="store_true")
    staff(p)

    p = command("card", cmd_card, "print a member's card code, optionally as PNG/PDF, or reissue it")
    p.add_argument("member", help="member id or card code")
    p.add_argument("--png", help="write a printable card PNG here")
    p.add_argument("--pdf", help="write a printable card PDF here")
    p.add_argument("--reissue", action="store_true", help="revoke the old card and issue a new one")
    p.add_argument("--reason", default="lost")
    staff(p)

    p = command("export", cmd_export, "export everything held about a member (GDPR), as JSON")
    p.add_argument("member")
    p.add_argument("--output", "-o")
    staff(p)

    p = command("erase", cmd_erase, "erase a member's personal data (GDPR); ledger amounts stay anonymous")
    p.add_argument("member")
    p.add_argument("--yes", action="store_true", help="confirm; erasure cannot be undone")
    staff(p)

    p = command("import-balances", cmd_import, "import members and opening balances from a CSV (all or nothing)")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="check every row and show what the import would write")
    p.add_argument("--signup-bonus", action="store_true",
                   help="give new members the program's signup bonus (off: their old system may have given one)")
    staff(p)

    command("expire", cmd_expire, "expire points older than the program's expiry period")

    p = command("decode", cmd_decode, "decode QR codes in image or video files with the kiosk's pipeline "
                "(one JSON line per file; exit 1 when a file has no code)")
    p.add_argument("files", nargs="+", metavar="FILE")

    p = command("messages", cmd_messages, "plan and send due messages once (run, for cron) or show the outbox (status)")
    p.add_argument("action", choices=("run", "status"))

    p = command("run", cmd_run, "start the station: kiosk and staff app in one web server")
    p.add_argument("--host", help="address for this PC only (default 127.0.0.1); tablets need --network clinic")
    p.add_argument("--port", type=whole(1, 65535), help="HTTP port (default 8550)")
    p.add_argument("--network", choices=("loopback", "clinic"),
                   help="loopback: this PC only (default); clinic: also tablets on the clinic network, over HTTPS")
    p.add_argument("--https-port", type=whole(1, 65535), help="HTTPS port for tablets (default 8443)")
    p.add_argument("--apps", default=os.environ.get("LOYALTY_APPS", "kiosk,staff"),
                   help="which apps to serve: kiosk, staff or kiosk,staff (default; or LOYALTY_APPS)")

    p = command("kiosk", cmd_kiosk, "open the kiosk full-screen on this PC's screen (a Flet window with "
                "flet-desktop, else Chromium, Chrome or Edge in kiosk mode)")
    p.add_argument("--url", help="the kiosk's address (default: this PC's station, http://127.0.0.1:PORT/kiosk/)")
    p.add_argument("--browser", help="the browser to use (or LOYALTY_KIOSK_BROWSER; default: the first one found)")

    p = command("devices", cmd_devices, "tablets paired with this station: add (shows a pairing QR code), "
                "list, revoke (manager)")
    p.add_argument("action", choices=("add", "list", "revoke"))
    p.add_argument("device", nargs="?", help="the device id to revoke")
    p.add_argument("--role", choices=("kiosk", "desk"), help="what the new tablet is for")
    p.add_argument("--name", help="a name for the new tablet, e.g. 'Entrance tablet'")
    staff(p)

    from sync.cli import add_hq_commands
    add_hq_commands(command("hq", cmd_hq, "the HQ server and this station's link to it (loyalty hq --help)"))
    return parser


def main(argv: list[str] | None = None) -> int:
    restrict_umask()
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(language(argv)).parse_args(argv)
    lang = args.lang
    try:
        return args.func(args)
    except Refused as exc:
        print(exc.message(lang), file=sys.stderr)
        return REFUSED
    except ProgramError as exc:
        print(exc.text(lang), file=sys.stderr)
        return REFUSED
    except (CommandError, OSError, tomllib.TOMLDecodeError, pw.DatabaseError) as exc:
        problem = exc if isinstance(exc, CommandError) else as_problem(exc)
        where = f"loyalty {args.command}" if problem.usage else "loyalty"
        print(f"{where}: {problem.text(lang)}", file=sys.stderr)
        return USAGE if problem.usage else FAILED


def as_problem(exc: Exception) -> CommandError:
    """A file that is not there or not ours to read, a broken station.toml or database, said plainly."""
    if isinstance(exc, tomllib.TOMLDecodeError):
        return CommandError("station_toml", path=home_dir() / "station.toml", detail=exc)
    if isinstance(exc, pw.DatabaseError):
        return CommandError("database", path=load_config().db_path, detail=exc)
    name = exc.filename or ""
    if exc.errno == errno.ENOENT:
        return CommandError("file_missing", file=name)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return CommandError("file_denied", file=name)
    return CommandError("file_other", file=name, detail=exc.strerror or exc)


if __name__ == "__main__":
    sys.exit(main())
