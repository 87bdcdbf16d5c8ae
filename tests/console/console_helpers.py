"""Console test helpers: admin accounts made as `loyalty hq admin create` makes them, TOTP codes as an
authenticator app shows them, and Chromium pages signed in to the console."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pyotp
from playwright.sync_api import expect

from sync.hq import admins
from sync.hq.db import hq_db
from tests.browser import open_flet_page, type_in

PASSWORD = "long enough secret 42"


@dataclass
class Account:
    email: str
    secret: str
    name: str


_used_steps: dict[str, int] = {}


def totp(secret: str) -> str:
    """A code the server takes: the current time step, or the next one when this one was used
    (a code works once; the server accepts one step either side)."""
    step = max(int(time.time() // 30), _used_steps.get(secret, -1) + 1)
    _used_steps[secret] = step
    return pyotp.TOTP(secret).generate_otp(step)


def make_admin(email: str, name: str, role: str) -> Account:
    with hq_db.connection_context():
        authenticator = admins.create_admin(email, name, role, PASSWORD)
    return Account(email, authenticator.secret, name)


def location(name: str) -> str:
    from sync.hq import service
    with hq_db.connection_context():
        return service.create_location(name)


def field(page, label: str):
    return page.get_by_role("textbox", name=re.compile("^" + re.escape(label)))


def open_console(browser, hq, viewport=(1280, 800)):
    return open_flet_page(browser, hq.url + "/console/", viewport)


def sign_in(page, account: Account, password: str = PASSWORD, code: str | None = None) -> None:
    type_in(page, "E-Mail", account.email)
    type_in(page, "Passwort", password)
    type_in(page, "6-stelliger Code", code or totp(account.secret))
    page.get_by_role("button", name="Anmelden").click()


def signed_in(browser, hq, account: Account, viewport=(1280, 800)):
    page = open_console(browser, hq, viewport)
    sign_in(page, account)
    expect(page.get_by_text(f"Willkommen, {account.name}.")).to_be_visible(timeout=20_000)
    return page


def nav(page, label: str) -> None:
    page.get_by_role("button", name=re.compile(f"^{re.escape(label)} Tab")).click()


def confirm(page, button: str) -> None:
    """Answer the question the console asks before it acts. The dialog's button is found inside the
    dialog: a tap on the last button of that name could land on the screen's own button while the
    dialog is still being drawn (it then reopens the question instead of answering it)."""
    page.get_by_role("alertdialog").get_by_role("button", name=button, exact=True).click()


def said(page, text: str) -> None:
    expect(page.get_by_text(text, exact=False).first).to_be_visible(timeout=20_000)
