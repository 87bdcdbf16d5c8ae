"""Signing in without a password: a 6-digit code and a one-time link to the member's e-mail or
mobile number, a personal link in the welcome e-mail, and one session per device.

The answer to "send me a code" is the same whether the address is a member's or not: a code row
is written either way (for an unknown address with a code nobody knows), so the rate limits and
the work done are the same, and the letter is posted on a background thread. Codes live 10
minutes and take 5 wrong tries; an address gets 3 codes in 15 minutes, a client 10 an hour, and
a client with 20 wrong codes or links in an hour waits. Only hashes are stored.
"""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from uuid6 import uuid7

from loyalty.contacts import normalise_email, normalise_phone
from loyalty.errors import Refused
from loyalty.templates import render
from loyalty.tokens import check_welcome_token
from sync.hq import rows
from sync.hq.db import AppCode, AppFailure, AppLinkUse, AppSession, CardKey, is_postgres, now, transaction
from sync.hq.patients.postbox import Letter, Post
from sync.hq.program import program_in_force
from sync.signing import token_hash

CODE_SECONDS = 10 * 60
ATTEMPTS_PER_CODE = 5
PER_ADDRESS, ADDRESS_WINDOW = 3, 15 * 60
PER_CLIENT, CLIENT_WINDOW = 10, 60 * 60
FAILURES_PER_CLIENT, FAILURE_WINDOW = 20, 60 * 60
SESSION_IDLE = 180 * 24 * 3600       # a device not used for half a year signs in again
TOUCH_EVERY = 600                    # a session's last use is written at most every 10 minutes


@dataclass(frozen=True)
class SignedIn:
    token: str            # this device's session token: kept in its browser, here only its hash
    session_id: str
    member_id: str
    locale: str


@dataclass(frozen=True)
class Session:
    session_id: str
    member_id: str


@dataclass(frozen=True)
class SessionInfo:
    session_id: str
    agent: str
    created_at: datetime
    last_seen_at: datetime
    current: bool


def parse_address(text: str) -> tuple[str, str]:
    """("email", address) or ("phone", E.164 number), normalised as at enrolment."""
    text = (text or "").strip()
    if not text:
        raise Refused("signin_address_missing")
    try:
        return ("email", normalise_email(text)) if "@" in text else ("phone", normalise_phone(text))
    except Refused:
        raise Refused("signin_address_invalid") from None


def request_code(address: str, client: str, app_url: str, post: Post, channels: frozenset[str]) -> None:
    """Write a code for the address and, when it is a member's and its channel is set up, post it."""
    kind, value = parse_address(address)
    key, moment = token_hash(value), now()
    code, link = f"{secrets.randbelow(10 ** 6):06d}", secrets.token_urlsafe(32)
    with transaction():
        if AppCode.select().where((AppCode.address_key == key)
                                  & (AppCode.created_at > moment - ADDRESS_WINDOW)).count() >= PER_ADDRESS:
            raise Refused("signin_wait", minutes=ADDRESS_WINDOW // 60)
        if AppCode.select().where((AppCode.client == client[:100])
                                  & (AppCode.created_at > moment - CLIENT_WINDOW)).count() >= PER_CLIENT:
            raise Refused("signin_wait", minutes=CLIENT_WINDOW // 60)
        member = rows.member_by_contact(kind, value)
        row_id = str(uuid7())
        AppCode.create(id=row_id, address_key=key, member_id=member["id"] if member else None,
                       code_hash=token_hash(f"{row_id}:{code}"), link_hash=token_hash(link), client=client[:100],
                       created_at=moment, expires_at=moment + CODE_SECONDS)
        program = program_in_force()
    channel = "email" if kind == "email" else "sms"
    if member is None or program is None or channel not in channels:
        return
    lang = member.get("locale") or "de"
    rendered = render("signin", lang, first_name=member.get("first_name") or "", program=program.name, code=code,
                      link=f"{app_url.rstrip('/')}/signin/{link}")
    post(Letter(channel, value, rendered, row_id))


def verify_code(address: str, code: str, client: str, agent: str) -> SignedIn:
    kind, value = parse_address(address)
    code = "".join((code or "").split())
    if len(code) != 6 or not code.isdigit():
        raise Refused("signin_code_format")
    moment = now()
    with transaction():
        _wait_after_failures(client, moment)
        query = (AppCode.select().where((AppCode.address_key == token_hash(value))
                                        & (AppCode.created_at > moment - 24 * 3600))
                 .order_by(AppCode.created_at.desc()))
        candidates = list(query.for_update() if is_postgres() else query)
        match = next((r for r in candidates if hmac.compare_digest(r.code_hash, token_hash(f"{r.id}:{code}"))), None)
        if match is None:
            live = next((r for r in candidates if r.used_at is None and r.expires_at > moment), None)
            if live is not None:
                AppCode.update(attempts=AppCode.attempts + 1).where(AppCode.id == live.id).execute()
        refusal = _refusal(match, moment)
        if refusal is None:
            return _open_session(match, agent, moment)
        AppFailure.create(client=client[:100], at=moment)
    raise Refused(refusal)


def verify_link(token: str, client: str, agent: str) -> SignedIn:
    """The one-time link sent with a code."""
    moment = now()
    with transaction():
        _wait_after_failures(client, moment)
        query = AppCode.select().where(AppCode.link_hash == token_hash(token or ""))
        match = (query.for_update() if is_postgres() else query).first()
        refusal = _refusal(match, moment, link=True)
        if refusal is None:
            return _open_session(match, agent, moment)
        AppFailure.create(client=client[:100], at=moment)
    raise Refused(refusal)


def verify_welcome(token: str, client: str, agent: str) -> SignedIn:
    """The personal link of a welcome e-mail: made by the station with the group's card key, used once."""
    moment = now()
    with transaction():
        _wait_after_failures(client, moment)
        member_id = check_welcome_token(token or "", bytes.fromhex(CardKey.get_by_id(1).secret), moment)
        member = rows.row("member", member_id) if member_id else None
        taken = member is not None and not member.get("erased_at") and (
            AppLinkUse.insert(token_hash=token_hash(token), used_at=moment)
            .on_conflict_ignore().as_rowcount().execute())
        if taken:
            return _session_for(member, agent, moment)
        AppFailure.create(client=client[:100], at=moment)
    raise Refused("signin_link_invalid")


def session(token: str | None) -> Session | None:
    """The session of a device's token, if it is still good; notes its use now and then."""
    if not token:
        return None
    moment = now()
    found = AppSession.get_or_none((AppSession.token_hash == token_hash(token)) & AppSession.revoked_at.is_null())
    if found is None or found.last_seen_at < moment - SESSION_IDLE:
        return None
    member = rows.row("member", found.member_id)
    if member is None or member.get("erased_at"):
        return None
    if found.last_seen_at < moment - TOUCH_EVERY:
        with transaction():
            AppSession.update(last_seen_at=moment).where(AppSession.id == found.id).execute()
    return Session(found.id, found.member_id)


def sessions(member_id: str, current: str) -> list[SessionInfo]:
    """The member's signed-in devices, this one first, then by last use."""
    found = AppSession.select().where((AppSession.member_id == member_id) & AppSession.revoked_at.is_null()
                                      & (AppSession.last_seen_at > now() - SESSION_IDLE))
    infos = [SessionInfo(s.id, s.agent, _time(s.created_at), _time(s.last_seen_at), s.id == current) for s in found]
    return sorted(infos, key=lambda s: (not s.current, -s.last_seen_at.timestamp()))


def revoke(member_id: str, session_id: str) -> None:
    """Sign a device out; only the member's own devices can be named."""
    with transaction():
        done = AppSession.update(revoked_at=now()).where(
            (AppSession.id == session_id) & (AppSession.member_id == member_id)
            & AppSession.revoked_at.is_null()).execute()
    if not done:
        raise Refused("session_unknown")


def _refusal(match: AppCode | None, moment: float, link: bool = False) -> str | None:
    if match is None or match.member_id is None:
        return "signin_link_invalid" if link else "signin_code_wrong"
    if match.used_at is not None:
        return "signin_link_invalid" if link else "signin_code_used"
    if match.expires_at <= moment:
        return "signin_link_invalid" if link else "signin_code_expired"
    if match.attempts >= ATTEMPTS_PER_CODE:
        return "signin_code_blocked"
    return None


def _wait_after_failures(client: str, moment: float) -> None:
    if AppFailure.select().where((AppFailure.client == client[:100])
                                 & (AppFailure.at > moment - FAILURE_WINDOW)).count() >= FAILURES_PER_CLIENT:
        raise Refused("signin_wait", minutes=FAILURE_WINDOW // 60)


def _open_session(code: AppCode, agent: str, moment: float) -> SignedIn:
    member = rows.row("member", code.member_id)
    if member is None or member.get("erased_at"):
        raise Refused("signin_code_wrong")
    AppCode.update(used_at=moment).where(AppCode.id == code.id).execute()
    return _session_for(member, agent, moment)


def _session_for(member: dict, agent: str, moment: float) -> SignedIn:
    token, session_id = secrets.token_urlsafe(32), str(uuid7())
    AppSession.create(id=session_id, token_hash=token_hash(token), member_id=member["id"], agent=(agent or "")[:300],
                      created_at=moment, last_seen_at=moment)
    return SignedIn(token, session_id, member["id"], member.get("locale") or "de")



def _time(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)
