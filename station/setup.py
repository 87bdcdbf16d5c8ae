"""`loyalty setup`: one guided conversation that sets up a station, for a practice manager.

It asks, in German or English, for what a practice needs (program, first manager, language, who
reaches the station, camera, e-mail, SMS, receipt printer, HQ link), checks each answer at once and
asks again with the reason, and only at the end writes `station.toml` (keeping the comments of one
that exists), creates the station and its certificate authority, and joins the HQ. Run again, it
offers the current values as defaults. Answers come from standard input, so it can be scripted.
"""
from __future__ import annotations

import getpass
import re
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import tomlkit

from loyalty.config import DEFAULT_HTTPS_PORT, Config, load_config
from loyalty.i18n import t
from loyalty.program import ASSETS, ProgramError, parse_program

PROGRAMS = {"1": ASSETS / "programs" / "clinic-de.toml", "2": ASSETS / "programs" / "shop.toml"}


class Cancelled(Exception):
    """Standard input ended before the last question: nothing is written. `lang`: the set-up's language."""

    def __init__(self, lang: str):
        super().__init__(lang)
        self.lang = lang


@dataclass
class Ask:
    """Questions on stdout, answers from stdin; a PIN is not echoed when a person types it."""
    lang: str = "de"
    read: Callable[[], str] = input

    def text(self, key: str, default: str = "", check: Callable[[str], str | None] | None = None, **params) -> str:
        shown = f" [{default}]" if default else ""
        while True:
            print(f"{t(f'setup.{key}', self.lang, **params)}{shown}: ", end="", flush=True)
            try:
                answer = self.read().strip()
            except EOFError:
                raise Cancelled(self.lang) from None
            answer = answer or default
            problem = check(answer) if check else None
            if problem is None:
                return answer
            print(f"  {problem}", flush=True)

    def choice(self, key: str, options: tuple[str, ...], default: str) -> str:
        for number, option in enumerate(options, 1):
            print(f"  {number}) {t(f'setup.{key}_{option}', self.lang)}")
        picked = self.text(key, str(options.index(default) + 1),
                           lambda a: None if a in {str(i) for i in range(1, len(options) + 1)}
                           else t("setup.pick_number", self.lang, most=len(options)))
        return options[int(picked) - 1]

    def yes(self, key: str, default: bool) -> bool:
        yes, no = t("setup.yes_letter", self.lang), t("setup.no_letter", self.lang)
        answer = self.text(key, yes if default else no,
                           lambda a: None if a.lower()[:1] in (yes, no) else t("setup.yes_or_no", self.lang))
        return answer.lower()[:1] == yes

    def secret(self, key: str, check: Callable[[str], str | None]) -> str:
        if not sys.stdin.isatty():
            return self.text(key, check=check)
        while True:
            answer = getpass.getpass(f"{t(f'setup.{key}', self.lang)}: ").strip()
            problem = check(answer)
            if problem is None:
                return answer
            print(f"  {problem}", flush=True)


def run_setup(config: Config, read: Callable[[], str] = input) -> int:
    """The conversation, then the writing; returns the exit code."""
    from loyalty.services import init_station, is_initialised, list_staff, network
    from loyalty.store import open_database
    open_database(config.db_path)
    path = config.home / "station.toml"
    doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.is_file() else _new_document()
    first = Ask("de", read)
    lang = first.choice("language", ("de", "en"), config.language if config.language in ("de", "en") else "de")
    ask = Ask(lang, read)
    print(t("setup.intro", lang))

    def port(answer: str) -> str | None:
        return _port_problem(answer, lang)

    existing = is_initialised()
    program = None
    if not existing or not ask.yes("keep_program", True):
        kind = ask.choice("program", ("clinic", "shop", "file"), "clinic")
        program = PROGRAMS["1" if kind == "clinic" else "2"] if kind != "file" else Path(
            ask.text("program_file_path", check=lambda a: _program_problem(a, lang)))
    manager = pin = None
    if not existing or not list_staff():
        manager = ask.text("manager", check=lambda a: None if a.strip() else t("setup.required", lang))
        pin = ask.secret("pin", lambda a: None if a.isdigit() and 4 <= len(a) <= 8 else t("refused.pin_format", lang))

    station = _table(doc, "station")
    station["language"] = lang
    net = _table(doc, "network")
    mode = ask.choice("network", ("loopback", "clinic"), str(net.get("mode", "loopback")))
    net["mode"] = mode
    if mode == "clinic":
        net["https_port"] = int(ask.text("https_port", str(net.get("https_port", DEFAULT_HTTPS_PORT)),
                                         port))
        net["mdns"] = ask.text("mdns", str(net.get("mdns") or network.mdns_host(config) or "").removesuffix(
            ".local"), lambda a: None if re.fullmatch(r"[A-Za-z0-9-]{1,63}", a) else t("setup.mdns_bad", lang))
    camera = ask.text("camera", str(station.get("camera", t("setup.none_word", lang))))
    if camera.lower() in (t("setup.none_word", lang), "none", "-"):
        station.pop("camera", None)
    else:
        station["camera"] = int(camera) if camera.isdigit() else camera

    smtp = _table(doc, "smtp")
    host = ask.text("smtp_host", str(smtp.get("host", "")))
    if host:
        smtp["host"] = host
        smtp["port"] = int(ask.text("smtp_port", str(smtp.get("port", 587)), port))
        smtp["security"] = ask.choice("smtp_security", ("starttls", "ssl", "none"), str(smtp.get("security",
                                                                                                   "starttls")))
        smtp["from"] = ask.text("smtp_from", str(smtp.get("from", "")), lambda a: _email_problem(a, lang))
        smtp["from_name"] = ask.text("smtp_from_name", str(smtp.get("from_name", "")))
        user = ask.text("smtp_user", str(smtp.get("user", "")))
        if user:
            smtp["user"] = user
            smtp["password"] = ask.secret("smtp_password", lambda a: None if a else t("setup.required", lang))
    else:
        doc.pop("smtp", None)

    sms = _table(doc, "sms")
    url = ask.text("sms_url", str(sms.get("url", "")), lambda a: _url_problem(a, lang, allow_empty=True))
    if url:
        sms["url"] = url
        sms["token"] = ask.text("sms_token", str(sms.get("token", "")))
        sms["from"] = ask.text("sms_from", str(sms.get("from", "")))
        sms["inbound_token"] = str(sms.get("inbound_token") or secrets.token_urlsafe(24))
    else:
        doc.pop("sms", None)

    printer = _table(doc, "printer")
    printer_host = ask.text("printer_host", str(printer.get("host", "")))
    if printer_host:
        printer["host"] = printer_host
        printer["port"] = int(ask.text("printer_port", str(printer.get("port", 9100)), port))
    else:
        doc.pop("printer", None)

    hq_url = ask.text("hq_url", "", lambda a: _url_problem(a, lang, allow_empty=True))
    hq_code = ask.text("hq_code", check=lambda a: None if 8 <= len(a) <= 64 and " " not in a
                       else t("setup.hq_code_bad", lang)) if hq_url else ""

    config.home.mkdir(parents=True, exist_ok=True)
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    config = load_config()
    if program is not None:
        init_station(program, manager, pin)
    elif manager:
        _first_manager(manager, pin)
    network.station_authority(config)
    print(t("setup.written", lang, path=path))
    if hq_url:
        _join(hq_url, hq_code, lang)
    link = network.station_link(config)
    print(t("setup.done", lang))
    if mode == "clinic":
        print(t("setup.done_clinic", lang, url=link.pair_base, fingerprint=link.fingerprint or "-"))
    return 0


def _join(url: str, code: str, lang: str) -> None:
    from sync.client import HqClient, HqError
    from sync.station import enrol_station
    try:
        location = enrol_station(HqClient(url), code, "")
    except HqError as exc:
        print(t("setup.hq_failed", lang, reason=exc.message), file=sys.stderr)
        return
    print(t("setup.hq_joined", lang, location=location))


def _first_manager(name: str, pin: str) -> None:
    from loyalty.services import create_staff
    create_staff(name, "manager", pin, None)


def _new_document() -> tomlkit.TOMLDocument:
    doc = tomlkit.document()
    doc.add(tomlkit.comment("Written by `loyalty setup`; every key is described in README.md (station.toml)."))
    return doc


def _table(doc: tomlkit.TOMLDocument, name: str):
    if name not in doc:
        doc[name] = tomlkit.table()
    return doc[name]


def _port_problem(answer: str, lang: str) -> str | None:
    return None if answer.isdigit() and 1 <= int(answer) <= 65535 else t("setup.port_bad", lang)


def _url_problem(answer: str, lang: str, allow_empty: bool = False) -> str | None:
    if allow_empty and not answer:
        return None
    return None if re.fullmatch(r"https?://[^\s/]+\S*", answer) else t("setup.url_bad", lang)


def _email_problem(answer: str, lang: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email
    try:
        validate_email(answer, check_deliverability=False)
        return None
    except EmailNotValidError:
        return t("refused.invalid_email", lang)


def _program_problem(answer: str, lang: str) -> str | None:
    path = Path(answer).expanduser()
    if not path.is_file():
        return t("setup.file_missing", lang, path=answer)
    try:
        parse_program(path.read_text(encoding="utf-8"), source=str(path))
    except (ProgramError, UnicodeDecodeError) as exc:
        return exc.text(lang) if isinstance(exc, ProgramError) else str(exc)
    return None
