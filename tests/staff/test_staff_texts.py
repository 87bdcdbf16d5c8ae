"""The staff app's words without a browser: texts exist in German and English, every character it
can show is in the web client's font, and every screen's type is at least 16 px with nothing a
screen reader hears twice (built against a real station file and walked control by control)."""
from __future__ import annotations

import ast
import re
import tomllib
from functools import lru_cache
from pathlib import Path

import flet as ft
import flet_web
import pytest
from PIL import ImageFont

from loyalty import ledger
from loyalty.config import Config
from loyalty.i18n import catalogue
from loyalty.program import ASSETS
from loyalty.services import award_purchase, desk, enroll, record_treatment, redeem, refund
from loyalty.services.members import CONSENT_PURPOSES
from staff_app import (
    care,
    dashboard,
    flags,
    gdpr,
    imports,
    lists,
    member_page,
    members,
    settings,
    signin,
    staff_admin,
    sync_status,
)
from staff_app.ui import FIELD_LABEL, TEXT_SIZE, Ctx, theme
from sync.status import SyncState
from tests.flet_tree import controls, heard_twice

SOURCES = ("kiosk", "staff", "unsubscribe", "cli", "demo", "import")
ROOT = Path(__file__).resolve().parents[2]
WEB_FONT = Path(flet_web.__file__).parent / "web" / "assets" / "fonts" / "roboto.woff2"
FLOATED = 0.75     # Material draws a field's label at three quarters of its size once it floats


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_ledger_kind_consent_purpose_and_source_has_a_name(lang):
    texts = catalogue(lang)
    missing = [key for key in ([f"staff.kind.{k}" for k in ledger.KINDS]
                               + [f"staff.consent.{p}" for p in CONSENT_PURPOSES]
                               + [f"staff.consent.source_{s}" for s in SOURCES]) if not texts.get(key)]
    assert missing == []


@pytest.mark.parametrize("lang", ["de", "en"])
def test_staff_read_no_configuration_jargon(lang):
    """Receptionists and managers are not IT people: no text they read names a configuration file
    or one of its sections."""
    jargon = re.compile(r"station\.toml|\[(smtp|sms|printer|hq|kiosk|station)\]")
    assert [key for key, text in catalogue(lang).items()
            if key.startswith(("staff.", "refused.", "sync.")) and jargon.search(text)] == []


# --- every character the apps show is in the web client's font ------------------------------

@lru_cache(maxsize=None)
def _glyph(char: str) -> tuple[bytes, tuple[int, int]]:
    font = ImageFont.truetype(str(WEB_FONT), 40, layout_engine=ImageFont.Layout.BASIC)
    mask = font.getmask(char)
    return bytes(mask), mask.size


def missing_from_web_font(char: str) -> bool:
    """The web client has one text font (Roboto) and, offline, nothing to fall back on: a character
    it lacks is drawn as its empty box, the same picture as a private-use code point."""
    return char.isprintable() and not char.isspace() and _glyph(char) == _glyph("\ue000")


def shown_strings() -> dict[str, set[str]]:
    """Every text the staff app and the kiosk can put on screen, by where it comes from: the
    catalogues in both languages, the shipped programs, and the string constants in the views'
    code (docstrings aside: nobody sees those)."""
    found: dict[str, set[str]] = {}
    for lang in ("de", "en"):
        for key, text in catalogue(lang).items():
            found.setdefault(text, set()).add(f"{lang}:{key}")
    for program in (ASSETS / "programs").glob("*.toml"):
        def strings(value):
            if isinstance(value, str):
                yield value
            elif isinstance(value, dict):
                for inner in value.values():
                    yield from strings(inner)
            elif isinstance(value, list):
                for inner in value:
                    yield from strings(inner)
        for text in strings(tomllib.loads(program.read_text(encoding="utf-8"))):
            found.setdefault(text, set()).add(program.name)
    for folder in ("staff_app", "kiosk"):
        for source in (ROOT / folder).glob("*.py"):
            tree = ast.parse(source.read_text(encoding="utf-8"))
            docstrings = {id(node.value) for node in ast.walk(tree)
                          if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                    found.setdefault(node.value, set()).add(f"{folder}/{source.name}")
    return found


def test_every_character_on_screen_is_in_the_web_clients_font():
    assert not missing_from_web_font("A") and missing_from_web_font("\u232b")   # the check tells them apart
    lacking = {f"{char!r} in {sorted(where)[0]}"
               for text, where in shown_strings().items() for char in text if missing_from_web_font(char)}
    assert lacking == set()


# --- type size --------------------------------------------------------------------------------

def too_small(root) -> list[str]:
    """Every text below TEXT_SIZE: a Text's own size, a style's size, a field's text, a field's
    label once it floats. A size left unset comes from the theme, checked on its own."""
    small = []
    for item in controls(root):
        name = type(item).__name__
        if isinstance(item, ft.Text) and item.size is not None and item.size < TEXT_SIZE:
            small.append(f"{name} {item.value!r} at {item.size} px")
        if isinstance(item, ft.TextStyle) and item.size is not None and item.size < TEXT_SIZE:
            small.append(f"a style at {item.size} px")
        if isinstance(item, (ft.TextField, ft.Dropdown)):
            if item.text_size is not None and item.text_size < TEXT_SIZE:
                small.append(f"{name} {item.label!r}: text at {item.text_size} px")
            if item.label:
                size = item.label_style.size if item.label_style and item.label_style.size else TEXT_SIZE
                if size * FLOATED < TEXT_SIZE:
                    small.append(f"{name} {item.label!r}: label floats at {size * FLOATED:g} px")
    return small


def test_the_theme_sets_every_default_style_to_at_least_16_px():
    styles = theme().text_theme
    for name in ("body_large", "body_medium", "body_small", "label_large", "label_medium", "label_small",
                 "title_small", "title_medium"):
        assert getattr(styles, name).size >= TEXT_SIZE, name
    rail = theme().navigation_rail_theme
    assert rail.selected_label_text_style.size >= TEXT_SIZE and rail.unselected_label_text_style.size >= TEXT_SIZE
    assert FIELD_LABEL.size * FLOATED >= TEXT_SIZE


def a_busy_member(station) -> str:
    """A member with something in every box of the member page: rewards ready, a plan, a recall,
    a refundable purchase, a redemption, a refund and an open alert."""
    member = enroll("Greta", station.device, last_name="Grünwald", email="greta@example.org",
                    consent_program=True, age_confirmed=True).member_id
    purchase = award_purchase(member, 120000, station.receptionist, item_code="sunscreen").entry_id
    record_treatment(member, "botox", station.receptionist)
    redeem(member, "lounge", station.receptionist)
    other = award_purchase(member, 5000, station.receptionist, item_code="serum").entry_id
    refund(other, station.receptionist, amount_cents=1000)
    refund(purchase, station.receptionist)                      # below zero: an alert
    return member


@pytest.mark.parametrize("role", ["manager", "receptionist"])
def test_every_staff_screen_is_at_least_16_px(station, clock, role):
    actor = station.manager if role == "manager" else station.receptionist
    ctx = Ctx(None, Config(home=station.db_path.parent, db_path=station.db_path), 180)
    ctx.actor, ctx.show = actor, lambda screen, arg=None: None
    member = a_busy_member(station)
    page = member_page.MemberPage(ctx, member)
    page.reissue()                                               # the new card's buttons and notes
    page.ask_refund(next(row for row in desk.member_history(member) if row.refundable))
    screens = {"sign-in": signin.build(ctx, lambda actor: None), "desk": members.build(ctx),
               "member": page.view(), "care": care.build(ctx), "alerts": flags.build(ctx),
               "dashboard": dashboard.build(ctx), "lists": lists.build(ctx), "settings": settings.build(ctx),
               "team": staff_admin.build(ctx), "privacy": gdpr.build(ctx), "import": imports.build(ctx),
               "sync": sync_status.build(ctx, SyncState(hq_url="http://hq.example", last_success_at=None,
                                                         queue_length=3, rejected=1, last_error="0 unreachable"))}
    small = {screen: too_small(control) for screen, control in screens.items()}
    assert {screen: found for screen, found in small.items() if found} == {}
    assert {screen: heard_twice(control) for screen, control in screens.items() if heard_twice(control)} == {}
    shown = " | ".join(item.value for item in controls(screens["member"]) if isinstance(item, ft.Text) and item.value)
    for deep in ("Noch keine Prämie", "Erstattung", "Botulinumtoxin-Behandlung: fällig am", "Einkauf vom"):
        assert deep in shown, f"the walk did not reach {deep!r}: {shown}"   # it reaches every box of the page
