"""Console accounts: e-mail + Argon2 password + TOTP, roles, revocable sessions, and the audit log.

Every console use case starts with `authorise(token, permission)`, which reads the session from
the database each time: a revoked session, a disabled account or an expired session is refused
at its next action, in any server process. Every action and every sign-in attempt is audited in
the transaction that does it (a refused sign-in commits its count and its audit line, then refuses).
"""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from uuid6 import uuid7

from loyalty.errors import Refused
from sync.hq.db import Admin, AdminAudit, AdminSession, now, transaction
from sync.signing import token_hash

OWNER, OPERATIONS, DATA_PROTECTION = "owner", "operations", "data_protection"
ROLES = (OWNER, OPERATIONS, DATA_PROTECTION)

# What each role may do; the console shows only what a role may open, the use cases refuse the rest.
PROGRAM, LOCATIONS, MEMBERS, MEMBER_DATA, AUDIT, ADMINS, OVERVIEW = (
    "program", "locations", "members", "member_data", "audit", "admins", "overview")
PERMISSIONS = {
    OWNER: frozenset({OVERVIEW, PROGRAM, LOCATIONS, MEMBERS, MEMBER_DATA, AUDIT, ADMINS}),
    OPERATIONS: frozenset({OVERVIEW, PROGRAM, LOCATIONS, MEMBERS}),
    DATA_PROTECTION: frozenset({MEMBERS, MEMBER_DATA, AUDIT}),
}

MAX_FAILURES = 5                 # wrong passwords or codes in a row before the account locks
LOCKOUT_SECONDS = 15 * 60
IDLE_SECONDS = 30 * 60           # a session nobody used for this long has ended
SESSION_SECONDS = 12 * 3600      # and every session ends after a working day
SEEN_EVERY = 60                  # last_seen_at is written at most once a minute per session
INVITE_SECONDS = 72 * 3600
MIN_PASSWORD = 12
ISSUER = "Loyalty HQ"

_hasher = PasswordHasher()       # argon2id defaults: about 50 ms a guess here
_DUMMY = _hasher.hash(secrets.token_hex(16))
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class AdminView:
    id: str
    email: str
    name: str
    role: str
    status: str                  # active | disabled | invited (no password yet)
    locked_until: float | None


@dataclass(frozen=True)
class SignedIn:
    token: str
    admin: AdminView


@dataclass(frozen=True)
class Invitation:
    email: str
    code: str
    expires_at: float


@dataclass(frozen=True)
class Authenticator:
    """What an authenticator app needs: the secret (to type) and the otpauth:// address (as a QR code)."""
    secret: str
    uri: str


@dataclass(frozen=True)
class SessionView:
    id: str
    admin_email: str
    client: str
    created_at: float
    last_seen_at: float
    current: bool


@dataclass(frozen=True)
class AuditLine:
    at: float
    admin_email: str
    action: str
    target: str
    detail: dict


# --- accounts -------------------------------------------------------------------------------

def create_admin(email: str, name: str, role: str, password: str) -> Authenticator:
    """An account that works at once (`loyalty hq admin create`: the first owner, never a default password)."""
    email, name = _email(email), _name(name)
    _check_role(role)
    _check_password(password, email)
    secret = pyotp.random_base32()
    with transaction():
        if Admin.get_or_none(Admin.email == email):
            raise Refused("admin_exists", email=email)
        Admin.create(id=str(uuid7()), email=email, name=name, role=role, password_hash=_hasher.hash(password),
                     totp_secret=secret, created_at=now())
        _audit(None, "admin.create", email, role=role, by="command line")
    return Authenticator(secret, _uri(secret, email))


def invite_admin(token: str, email: str, name: str, role: str) -> Invitation:
    """An account for a colleague, who sets their own password and authenticator with the code."""
    admin = authorise(token, ADMINS)
    email, name = _email(email), _name(name)
    _check_role(role)
    with transaction():
        if Admin.get_or_none(Admin.email == email):
            raise Refused("admin_exists", email=email)
        Admin.create(id=str(uuid7()), email=email, name=name, role=role, created_at=now())
        invitation = _invite(email)
        _audit(admin, "admin.invite", email, role=role)
    return invitation


def reset_admin(token: str | None, email: str) -> Invitation:
    """New password and authenticator through a fresh invitation (a lost phone); sessions end.

    `token` None: from the command line on the HQ server (the only owner lost their phone).
    """
    admin = authorise(token, ADMINS) if token is not None else None
    with transaction():
        target = Admin.get_or_none(Admin.email == _email(email))
        if target is None:
            raise Refused("admin_unknown")
        Admin.update(password_hash=None, totp_secret=None, totp_step=0, failed=0, locked_until=None).where(
            Admin.id == target.id).execute()
        _end_sessions(target.id, "revoked")
        invitation = _invite(target.email)
        _audit(admin, "admin.reset", target.email, by="command line" if admin is None else admin.email)
    return invitation


def _invite(email: str) -> Invitation:
    code = secrets.token_urlsafe(12)
    expires = now() + INVITE_SECONDS
    Admin.update(invite_hash=token_hash(code), invite_expires_at=expires).where(Admin.email == email).execute()
    return Invitation(email, code, expires)


def start_invitation(email: str, code: str) -> Authenticator:
    """Step one of taking an invitation: a new authenticator secret to scan (kept until step two)."""
    with transaction():
        target = _invited(email, code)
        secret = pyotp.random_base32()
        Admin.update(totp_secret=secret).where(Admin.id == target.id).execute()
    return Authenticator(secret, _uri(secret, target.email))


def accept_invitation(email: str, code: str, password: str, totp_code: str, client: str = "") -> SignedIn:
    """Step two: the password chosen and a code from the new authenticator; signed in at once."""
    with transaction():
        target = _invited(email, code)
        _check_password(password, target.email)
        step = _code_step(target.totp_secret, totp_code, 0) if target.totp_secret else None
        if step is None:
            raise Refused("admin_wrong_code")
        Admin.update(password_hash=_hasher.hash(password), totp_step=step, invite_hash=None, invite_expires_at=None,
                     failed=0, locked_until=None).where(Admin.id == target.id).execute()
        _audit(target, "admin.accept", target.email)
        return _new_session(Admin.get_by_id(target.id), client)


def _invited(email: str, code: str) -> Admin:
    target = Admin.get_or_none(Admin.email == (email or "").strip().lower())
    if (target is None or not target.invite_hash
            or not secrets.compare_digest(target.invite_hash, token_hash(code or ""))
            or (target.invite_expires_at or 0) < now()):
        raise Refused("admin_invitation")
    return target


def admins(token: str) -> list[AdminView]:
    authorise(token, ADMINS)
    return accounts()


def accounts() -> list[AdminView]:
    """Every account; without a session only for `loyalty hq admin list` on the server itself."""
    return [_view(a) for a in Admin.select().order_by(Admin.created_at)]


def set_disabled(token: str, admin_id: str, disabled: bool) -> None:
    """A leaver loses access at once (their sessions end); the last active owner cannot be disabled."""
    admin = authorise(token, ADMINS)
    with transaction():
        target = Admin.get_or_none(Admin.id == admin_id)
        if target is None:
            raise Refused("admin_unknown")
        if disabled and target.role == OWNER and _active_owners() <= 1:
            raise Refused("admin_last_owner")
        Admin.update(status="disabled" if disabled else "active").where(Admin.id == target.id).execute()
        if disabled:
            _end_sessions(target.id, "revoked")
        _audit(admin, "admin.disable" if disabled else "admin.enable", target.email)


def unlock(token: str, admin_id: str) -> None:
    admin = authorise(token, ADMINS)
    with transaction():
        target = Admin.get_or_none(Admin.id == admin_id)
        if target is None:
            raise Refused("admin_unknown")
        Admin.update(failed=0, locked_until=None).where(Admin.id == target.id).execute()
        _audit(admin, "admin.unlock", target.email)


def _active_owners() -> int:
    return Admin.select().where((Admin.role == OWNER) & (Admin.status == "active")
                                & Admin.password_hash.is_null(False)).count()


# --- signing in -----------------------------------------------------------------------------

def sign_in(email: str, password: str, code: str, client: str = "") -> SignedIn:
    """Password and a current code; five wrong attempts in a row lock the account for 15 minutes.

    An unknown e-mail costs the same Argon2 work as a known one, and says the same words. A refusal
    commits its count and its audit line first, then refuses.
    """
    with transaction():
        outcome = _attempt((email or "").strip().lower(), password, code, client, now())
    if isinstance(outcome, Refused):
        raise outcome
    return outcome


def _attempt(email: str, password: str, code: str, client: str, moment: float) -> SignedIn | Refused:
    target = Admin.get_or_none(Admin.email == email)
    if target is None or target.password_hash is None:
        _verify(_DUMMY, password)
        _audit(None, "sign_in.refused", email[:200], reason="unknown")
        return Refused("admin_wrong_password")
    if target.locked_until and target.locked_until > moment:
        _audit(target, "sign_in.refused", target.email, reason="locked")
        return Refused("admin_locked", minutes=_minutes(target.locked_until - moment))
    if target.status != "active":
        _audit(target, "sign_in.refused", target.email, reason="disabled")
        return Refused("admin_disabled")
    step = None
    if not _verify(target.password_hash, password):
        refusal = Refused("admin_wrong_password")
    else:
        step = _code_step(target.totp_secret, code, target.totp_step)
        refusal = Refused("admin_wrong_code") if step is None else None
    if refusal is None:
        Admin.update(failed=0, locked_until=None, totp_step=step).where(Admin.id == target.id).execute()
        _audit(target, "sign_in", target.email)
        return _new_session(target, client)
    failed = target.failed + 1
    locked = failed >= MAX_FAILURES
    Admin.update(failed=0 if locked else failed,
                 locked_until=moment + LOCKOUT_SECONDS if locked else None).where(Admin.id == target.id).execute()
    _audit(target, "sign_in.refused", target.email, reason=refusal.code, locked=locked)
    return Refused("admin_locked", minutes=_minutes(LOCKOUT_SECONDS)) if locked else refusal


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def _code_step(secret: str | None, code: str, last_step: int) -> int | None:
    """The time step of a valid code (this 30 s or the one before or after), if not used before."""
    code = re.sub(r"\s", "", code or "")
    if not secret or not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(_datetime(now()))
    for step in (current, current - 1, current + 1):
        if step > last_step and secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _new_session(admin: Admin, client: str) -> SignedIn:
    token = secrets.token_urlsafe(32)
    moment = now()
    AdminSession.create(id=str(uuid7()), token_hash=token_hash(token), admin=admin.id, client=(client or "")[:200],
                        created_at=moment, last_seen_at=moment)
    return SignedIn(token, _view(admin))


def sign_out(token: str) -> None:
    with transaction():
        row = _session_row(token)
        if row is not None and row.ended_at is None:
            AdminSession.update(ended_at=now(), end_reason="signed_out").where(AdminSession.id == row.id).execute()
            _audit(row.admin, "sign_out", row.admin.email)


def authorise(token: str | None, permission: str | None = None) -> Admin:
    """The admin of a live session who may do `permission`; refuses an ended session or a missing right."""
    row = _session_row(token)
    moment = now()
    if row is None or row.ended_at is not None:
        raise Refused("admin_session_ended")
    admin = row.admin
    expired = moment - row.last_seen_at > IDLE_SECONDS or moment - row.created_at > SESSION_SECONDS
    if expired or admin.status != "active" or admin.password_hash is None:
        with transaction():
            AdminSession.update(ended_at=moment, end_reason="expired" if expired else "revoked").where(
                (AdminSession.id == row.id) & AdminSession.ended_at.is_null()).execute()
        raise Refused("admin_session_ended")
    if permission is not None and permission not in PERMISSIONS.get(admin.role, ()):
        raise Refused("admin_not_allowed")
    if moment - row.last_seen_at > SEEN_EVERY:
        AdminSession.update(last_seen_at=moment).where(AdminSession.id == row.id).execute()
    return admin


def who(token: str | None) -> AdminView:
    return _view(authorise(token))


def may(role: str, permission: str) -> bool:
    return permission in PERMISSIONS.get(role, ())


def _session_row(token: str | None) -> AdminSession | None:
    if not token:
        return None
    return (AdminSession.select(AdminSession, Admin).join(Admin)
            .where(AdminSession.token_hash == token_hash(token)).first())


def sessions(token: str) -> list[SessionView]:
    """Open sessions: one's own, and an owner sees everybody's."""
    admin = authorise(token)
    query = (AdminSession.select(AdminSession, Admin).join(Admin)
             .where(AdminSession.ended_at.is_null() & (AdminSession.last_seen_at > now() - IDLE_SECONDS))
             .order_by(AdminSession.last_seen_at.desc()))
    if not may(admin.role, ADMINS):
        query = query.where(AdminSession.admin == admin.id)
    mine = token_hash(token)
    return [SessionView(s.id, s.admin.email, s.client, s.created_at, s.last_seen_at, s.token_hash == mine)
            for s in query]


def revoke_session(token: str, session_id: str) -> None:
    """End a session (one's own on a lost laptop; an owner any): its page signs out at its next check."""
    admin = authorise(token)
    with transaction():
        row = AdminSession.select(AdminSession, Admin).join(Admin).where(AdminSession.id == session_id).first()
        if row is None or (row.admin_id != admin.id and not may(admin.role, ADMINS)):
            raise Refused("admin_session_unknown")
        AdminSession.update(ended_at=now(), end_reason="revoked").where(
            (AdminSession.id == row.id) & AdminSession.ended_at.is_null()).execute()
        _audit(admin, "session.revoke", row.admin.email, client=row.client)


def _end_sessions(admin_id: str, reason: str) -> None:
    AdminSession.update(ended_at=now(), end_reason=reason).where(
        (AdminSession.admin == admin_id) & AdminSession.ended_at.is_null()).execute()


# --- the audit log --------------------------------------------------------------------------

def audit(admin: Admin, action: str, target: str = "", **detail) -> None:
    """One line in the console's audit log; call inside the action's transaction."""
    _audit(admin, action, target, **detail)


def _audit(admin: Admin | None, action: str, target: str, **detail) -> None:
    AdminAudit.create(id=str(uuid7()), at=now(), admin_id=admin.id if admin else None,
                      admin_email=admin.email if admin else "", action=action, target=target,
                      detail=json.dumps(detail, default=str))


def audit_log(token: str, action: str = "", limit: int = 200) -> list[AuditLine]:
    """The newest lines first; `action` keeps lines whose action starts with it (e.g. "member")."""
    authorise(token, AUDIT)
    query = AdminAudit.select().order_by(AdminAudit.id.desc()).limit(max(1, min(limit, 1000)))
    if action:
        query = query.where(AdminAudit.action.startswith(action))
    return [AuditLine(a.at, a.admin_email, a.action, a.target, json.loads(a.detail or "{}")) for a in query]


# --- small helpers --------------------------------------------------------------------------

def _view(admin: Admin) -> AdminView:
    status = "invited" if admin.password_hash is None else admin.status
    locked = admin.locked_until if admin.locked_until and admin.locked_until > now() else None
    return AdminView(admin.id, admin.email, admin.name, admin.role, status, locked)


def _email(email: str) -> str:
    email = (email or "").strip().lower()
    if not _EMAIL.match(email) or len(email) > 200:
        raise Refused("admin_email")
    return email


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Refused("name_required")
    return name


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise Refused("role_unknown", role=role)


def _check_password(password: str, email: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise Refused("admin_password_short", length=MIN_PASSWORD)
    if email.split("@")[0] in password.lower():
        raise Refused("admin_password_email")


def _uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)



def _minutes(seconds: float) -> int:
    return max(1, int(seconds // 60) + (1 if seconds % 60 else 0))


def _datetime(moment: float):
    from datetime import datetime, timezone
    return datetime.fromtimestamp(moment, timezone.utc)
