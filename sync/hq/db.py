"""HQ tables on PostgreSQL (production) or SQLite (the embedded default), through one Peewee proxy.

Correctness lives in the database: primary keys store each event once, the single stream row is
locked by every push until it commits (so positions are handed out in commit order), a record's
merge holds that record's lock, and nonces are a table, so any number of server processes on one
PostgreSQL agree.
"""
from __future__ import annotations

import contextlib
import secrets
import time
from pathlib import Path

import peewee as pw
from playhouse.pool import PooledPostgresqlDatabase

from loyalty.private_files import private_database, private_dir
from loyalty.store.registry import RECORDS
from loyalty.text import storable

hq_db = pw.DatabaseProxy()


def database_for(url: str) -> pw.Database:
    """`postgresql://...` (libpq URL, e.g. `postgresql:///hq?host=/tmp/pg`) or `sqlite:///path`."""
    if url.startswith(("postgresql://", "postgres://")):
        return PooledPostgresqlDatabase(url.replace("postgres://", "postgresql://", 1),
                                        max_connections=32, stale_timeout=300, timeout=10)
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        private_dir(path.parent)
        private_database(path)       # device keys and members' data: owner only
        return pw.SqliteDatabase(str(path), check_same_thread=False,
                                 pragmas={"journal_mode": "wal", "synchronous": "full", "busy_timeout": 10000,
                                          "foreign_keys": 1})
    raise ValueError(f"HQ database must be postgresql://... or sqlite:///..., not {url!r}")


def is_postgres() -> bool:
    return isinstance(hq_db.obj, pw.PostgresqlDatabase)


def transaction():
    """A write transaction: SQLite takes its writer lock at once (BEGIN IMMEDIATE)."""
    if is_postgres():
        return hq_db.atomic()
    return hq_db.atomic(lock_type="IMMEDIATE")


RECORD_LOCKS = 4712   # advisory lock class of `lock_records` (the schema lock uses the one-number form)


def lock_records(keys: set[tuple[str, str]]) -> None:
    """Hold the merge lock of each (table, record id) until the transaction ends.

    Every writer of `hq_row` takes it before reading the rows it merges, so two merges into one
    record take turns even when the record does not exist yet. The locks are taken in hash order,
    before the stream row, so writers never deadlock. SQLite has one writer at a time anyway.
    A key no record can have (a hostile payload's member id with a NUL) is not locked: its event is
    refused, and PostgreSQL would refuse the text with an error.
    """
    names = [name for name in (f"{table}/{record_id}" for table, record_id in keys) if storable(name)]
    if not names or not is_postgres():
        return
    hq_db.execute_sql("SELECT pg_advisory_xact_lock(%s::int, h) FROM (SELECT DISTINCT hashtext(k) AS h "
                      "FROM unnest(%s::text[]) AS k ORDER BY h) AS ordered", (RECORD_LOCKS, names))


def lock_exclusive(key: int) -> None:
    """Hold a lock named by `key` until the transaction ends; SQLite's writer lock already is one."""
    if is_postgres():
        hq_db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (key,))


class HqModel(pw.Model):
    class Meta:
        database = hq_db
        legacy_table_names = False


class Location(HqModel):
    id = pw.TextField(primary_key=True)
    name = pw.TextField(unique=True)
    created_at = pw.DoubleField()

    class Meta:
        table_name = "hq_location"


class Device(HqModel):
    """A station; it signs with `secret` (HMAC needs the raw key, so keep the database private)."""
    id = pw.TextField(primary_key=True)
    location = pw.ForeignKeyField(Location, backref="devices")
    name = pw.TextField(default="")
    secret = pw.TextField()
    status = pw.TextField(default="active")   # active | revoked
    enrolled_at = pw.DoubleField()
    revoked_at = pw.DoubleField(null=True)
    last_seen_at = pw.DoubleField(null=True)

    class Meta:
        table_name = "hq_device"


class Enrolment(HqModel):
    """A one-time code (kept as its hash) that a station redeems for its own key."""
    code_hash = pw.TextField(primary_key=True)
    location = pw.ForeignKeyField(Location)
    created_at = pw.DoubleField()
    expires_at = pw.DoubleField()
    used_at = pw.DoubleField(null=True)
    device_id = pw.TextField(null=True)

    class Meta:
        table_name = "hq_enrolment"


class Nonce(HqModel):
    device_id = pw.TextField()
    nonce = pw.TextField()
    seen_at = pw.DoubleField(index=True)

    class Meta:
        table_name = "hq_nonce"
        primary_key = pw.CompositeKey("device_id", "nonce")


class Stream(HqModel):
    """One row: the last position handed out, the epoch of positions, the highest clock seen."""
    id = pw.IntegerField(primary_key=True)
    position = pw.BigIntegerField(default=0)
    epoch = pw.TextField()
    max_hlc = pw.BigIntegerField(default=0)

    class Meta:
        table_name = "hq_stream"


class Event(HqModel):
    """Every accepted event, exactly once by id, at its commit-ordered stream position."""
    id = pw.TextField(primary_key=True)
    device_id = pw.TextField(index=True)
    seq = pw.BigIntegerField()
    tbl = pw.TextField()
    record_id = pw.TextField()
    op = pw.TextField()
    hlc = pw.BigIntegerField()
    fields = pw.TextField(null=True)
    payload = pw.TextField()
    digest = pw.TextField()
    position = pw.BigIntegerField(unique=True)
    received_at = pw.DoubleField()

    class Meta:
        table_name = "hq_event"
        indexes = ((("tbl", "record_id"), False),)


class Row(HqModel):
    """The merged current state of every synced record (the same merge the stations run)."""
    tbl = pw.TextField()
    record_id = pw.TextField()
    data = pw.TextField()
    clocks = pw.TextField()
    position = pw.BigIntegerField()

    class Meta:
        table_name = "hq_row"
        primary_key = pw.CompositeKey("tbl", "record_id")


class Batch(HqModel):
    """The receipts of each pushed batch, so a repeated batch gets the same answer."""
    device_id = pw.TextField()
    batch_id = pw.TextField()
    digest = pw.TextField()
    receipts = pw.TextField()
    at = pw.DoubleField()

    class Meta:
        table_name = "hq_batch"
        primary_key = pw.CompositeKey("device_id", "batch_id")


class Config(HqModel):
    """Program configuration versions; HQ owns them, stations pull the newest."""
    version = pw.IntegerField(primary_key=True)
    toml = pw.TextField()
    created_at = pw.DoubleField()

    class Meta:
        table_name = "hq_config"


class CardKey(HqModel):
    """One row: the group's key for card tokens, handed to each station at enrolment."""
    id = pw.IntegerField(primary_key=True)
    secret = pw.TextField()
    created_at = pw.DoubleField()

    class Meta:
        table_name = "hq_card_key"


class Erasure(HqModel):
    """A member erased at some station: events that arrive for them later are scrubbed as stored."""
    member_id = pw.TextField(primary_key=True)
    at = pw.DoubleField()

    class Meta:
        table_name = "hq_erasure"


class Release(HqModel):
    """Who published a program version, why, and which version's content a rollback repeats.

    A version without a row here was published by `loyalty hq publish-config`, for every location.
    """
    version = pw.IntegerField(primary_key=True)
    admin_email = pw.TextField(null=True)
    note = pw.TextField(default="")
    repeats = pw.IntegerField(null=True)        # a rollback: the earlier version it publishes again

    class Meta:
        table_name = "hq_release"


class ReleaseLocation(HqModel):
    """The locations a version was published to; a version with no row here went to every location."""
    version = pw.IntegerField()
    location_id = pw.TextField()

    class Meta:
        table_name = "hq_release_location"
        primary_key = pw.CompositeKey("version", "location_id")


class StationReport(HqModel):
    """What a station said about itself at its last pull (`sync.protocol.StationReport`)."""
    device_id = pw.TextField(primary_key=True)
    received_at = pw.DoubleField()
    station_time = pw.DoubleField()             # the station's clock as it sent the report
    software = pw.TextField()
    program_version = pw.IntegerField()
    program_digest = pw.TextField()
    program_problem = pw.TextField(null=True)
    queue_length = pw.IntegerField()
    rejected = pw.IntegerField()
    set_aside = pw.IntegerField(default=0)      # pulled records the station could not apply
    refused = pw.TextField(default="[]")        # the newest refused records: table, id, reason, when

    class Meta:
        table_name = "hq_station_report"


class Admin(HqModel):
    """A console account: e-mail, Argon2 password hash, TOTP secret, role; no password until the
    invitation is taken."""
    id = pw.TextField(primary_key=True)
    email = pw.TextField(unique=True)
    name = pw.TextField()
    role = pw.TextField()                       # owner | operations | data_protection
    password_hash = pw.TextField(null=True)
    totp_secret = pw.TextField(null=True)
    totp_step = pw.BigIntegerField(default=0)   # the last time step used: each code works once
    failed = pw.IntegerField(default=0)
    locked_until = pw.DoubleField(null=True)
    invite_hash = pw.TextField(null=True)
    invite_expires_at = pw.DoubleField(null=True)
    status = pw.TextField(default="active")     # active | disabled
    created_at = pw.DoubleField()

    class Meta:
        table_name = "hq_admin"


class AdminSession(HqModel):
    """A signed-in browser; the token is kept as its hash, and a revoked session ends at its next action."""
    id = pw.TextField(primary_key=True)
    token_hash = pw.TextField(unique=True)
    admin = pw.ForeignKeyField(Admin, backref="sessions")
    client = pw.TextField(default="")
    created_at = pw.DoubleField()
    last_seen_at = pw.DoubleField()
    ended_at = pw.DoubleField(null=True)
    end_reason = pw.TextField(null=True)        # signed_out | revoked | expired

    class Meta:
        table_name = "hq_admin_session"


class AdminAudit(HqModel):
    """Every console action and sign-in attempt, with the admin as they were named then."""
    id = pw.TextField(primary_key=True)         # UUIDv7: time order
    at = pw.DoubleField(index=True)
    admin_id = pw.TextField(null=True)
    admin_email = pw.TextField()
    action = pw.TextField()
    target = pw.TextField(default="")
    detail = pw.TextField(default="{}")

    class Meta:
        table_name = "hq_admin_audit"


class Download(HqModel):
    """A file offered by one-time link (`sync.hq.downloads`); the token is kept as its hash."""
    token_hash = pw.TextField(primary_key=True)
    data = pw.BlobField()
    filename = pw.TextField()
    media_type = pw.TextField()
    expires_at = pw.DoubleField()

    class Meta:
        table_name = "hq_download"


# --- the patients' app (sync/hq/patients) ----------------------------------------------------

class AppCode(HqModel):
    """A sign-in code and link asked for one address, kept as hashes.

    A row is written for an unknown address too (member_id None, a code nobody knows), so the
    answer, the time it takes and the rate limits are the same whether the address is a member's.
    """
    id = pw.TextField(primary_key=True)
    address_key = pw.TextField()          # sha256 of the normalised address
    member_id = pw.TextField(null=True)
    code_hash = pw.TextField()
    link_hash = pw.TextField(unique=True)
    client = pw.TextField()               # who asked (the address they came from), for the per-client limit
    created_at = pw.DoubleField()
    expires_at = pw.DoubleField()
    used_at = pw.DoubleField(null=True)
    attempts = pw.IntegerField(default=0)

    class Meta:
        table_name = "hq_app_code"
        indexes = ((("address_key", "created_at"), False), (("client", "created_at"), False))


class AppFailure(HqModel):
    """A wrong sign-in code or link, per client: too many in an hour and the client waits."""
    id = pw.AutoField()
    client = pw.TextField()
    at = pw.DoubleField()

    class Meta:
        table_name = "hq_app_failure"
        indexes = ((("client", "at"), False),)


class AppLinkUse(HqModel):
    """A personal sign-in link from a welcome e-mail, used once."""
    token_hash = pw.TextField(primary_key=True)
    used_at = pw.DoubleField()

    class Meta:
        table_name = "hq_app_link_use"


class AppSession(HqModel):
    """A signed-in device: the token lives in that browser only, here only its hash."""
    id = pw.TextField(primary_key=True)
    token_hash = pw.TextField(unique=True)
    member_id = pw.TextField(index=True)
    agent = pw.TextField(default="")      # the browser's user agent, shown as "Chrome on Android"
    created_at = pw.DoubleField()
    last_seen_at = pw.DoubleField()
    revoked_at = pw.DoubleField(null=True)

    class Meta:
        table_name = "hq_app_session"


class AppSecret(HqModel):
    """One row: the key that signs the app's file links (calendar entries, exports, uploads)."""
    id = pw.IntegerField(primary_key=True)
    secret = pw.TextField()

    class Meta:
        table_name = "hq_app_secret"


class AppLocation(HqModel):
    """A location's own booking page: the app then opens it instead of taking a request."""
    location_id = pw.TextField(primary_key=True)
    booking_url = pw.TextField(null=True)

    class Meta:
        table_name = "hq_app_location"


class AppNotice(HqModel):
    """What the app told a member (the desk's answer to a request ...): their inbox, and the letter
    or push message it went out as. `key` makes planning it idempotent across HQ processes."""
    id = pw.TextField(primary_key=True)
    key = pw.TextField(unique=True)
    member_id = pw.TextField(index=True)
    kind = pw.TextField()                 # appointment_confirmed | appointment_proposed | appointment_declined ...
    params = pw.TextField(default="{}")   # JSON: the appointment, its time
    created_at = pw.DoubleField()
    status = pw.TextField(default="planned", index=True)   # planned | sending | sent | failed | unsent
    channel = pw.TextField(null=True)     # push | email | sms
    attempts = pw.IntegerField(default=0)
    claimed_at = pw.DoubleField(null=True)
    sent_at = pw.DoubleField(null=True)
    read_at = pw.DoubleField(null=True)

    class Meta:
        table_name = "hq_app_notice"


class AppCursor(HqModel):
    """One row: the stream position up to which the notifier has looked for answers to tell patients."""
    id = pw.IntegerField(primary_key=True)
    position = pw.BigIntegerField()

    class Meta:
        table_name = "hq_app_cursor"


class AppPhoto(HqModel):
    """An aftercare photo, re-encoded without its metadata. It stays here, for the treating team:
    stations hold only its reference (`aftercare_photo`) and fetch it over the signed sync link."""
    id = pw.TextField(primary_key=True)
    member_id = pw.TextField(index=True)
    answer_id = pw.TextField(null=True, index=True)   # None until the check-in it documents is sent
    data = pw.BlobField()
    content_type = pw.TextField()
    size = pw.IntegerField()
    width = pw.IntegerField()
    height = pw.IntegerField()
    sha256 = pw.TextField()
    created_at = pw.DoubleField()

    class Meta:
        table_name = "hq_app_photo"


class AppPushKey(HqModel):
    """One row: HQ's VAPID key pair; browsers accept push messages signed with it for the app."""
    id = pw.IntegerField(primary_key=True)
    private_pem = pw.TextField()
    public_key = pw.TextField()           # base64url, uncompressed P-256 point: the app's applicationServerKey

    class Meta:
        table_name = "hq_app_push_key"


class AppPush(HqModel):
    """A device's Web Push subscription, made in the app on that device (one per signed-in device)."""
    id = pw.TextField(primary_key=True)
    member_id = pw.TextField(index=True)
    session_id = pw.TextField(index=True)
    endpoint = pw.TextField(unique=True)
    p256dh = pw.TextField()
    auth = pw.TextField()
    created_at = pw.DoubleField()
    last_sent_at = pw.DoubleField(null=True)

    class Meta:
        table_name = "hq_app_push"


APP_MODELS = [AppCode, AppFailure, AppLinkUse, AppSession, AppSecret, AppLocation, AppNotice, AppCursor, AppPhoto,
              AppPushKey, AppPush]
APP_PERSONAL = [AppSession, AppCode, AppNotice, AppPhoto, AppPush]   # rows of one member (member_id): gone on erasure
class MemberRollup(HqModel):
    """A member as the rollups know them (`sync.hq.rollups`): their number in the day sets, home, erasure,
    and the end of their history."""
    n = pw.AutoField()
    member_id = pw.TextField(unique=True)
    home = pw.TextField()                       # location id; "" when HQ cannot tell
    erased = pw.BooleanField(default=False)
    first_day = pw.IntegerField(null=True)      # loyalty.activity.Tail: what appended entries need
    last_visit_day = pw.IntegerField(null=True)
    last_day = pw.IntegerField(null=True)
    balance = pw.BigIntegerField(default=0)
    undos = pw.IntegerField(default=0)

    class Meta:
        table_name = "hq_member_rollup"
        indexes = ((("home", "n"), False),)


class LocationDay(HqModel):
    """A location's local day: the sums of `loyalty.tally.SUMS` and the day's member sets
    (`loyalty.tally.pack`: who visited, first visited, joined)."""
    home = pw.TextField()
    day = pw.IntegerField()                     # date ordinal in the rollups' time zone
    enrolments = pw.BigIntegerField(default=0)
    visits = pw.BigIntegerField(default=0)
    paid = pw.BigIntegerField(default=0)
    revenue_cents = pw.BigIntegerField(default=0)
    redemptions = pw.BigIntegerField(default=0)
    redeemed_points = pw.BigIntegerField(default=0)
    redeemed_value_cents = pw.BigIntegerField(default=0)
    earned_points = pw.BigIntegerField(default=0)
    responses = pw.BigIntegerField(default=0)
    promoters = pw.BigIntegerField(default=0)
    detractors = pw.BigIntegerField(default=0)
    held_delta = pw.BigIntegerField(default=0)
    visitors = pw.BlobField(null=True)
    firsts = pw.BlobField(null=True)
    enrolled = pw.BlobField(null=True)

    class Meta:
        table_name = "hq_location_day"
        primary_key = pw.CompositeKey("home", "day")
        indexes = ((("day", "home"), False),)


class RecallCount(HqModel):
    """Treatments with a recall date per location, item, day performed and last day to rebook."""
    home = pw.TextField()
    item_code = pw.TextField()
    day = pw.IntegerField()
    close_day = pw.IntegerField()
    rebooked = pw.BooleanField()
    count = pw.BigIntegerField(default=0)

    class Meta:
        table_name = "hq_recall_count"
        primary_key = pw.CompositeKey("home", "item_code", "day", "close_day", "rebooked")


class RollupState(HqModel):
    """One row: the time zone the rollups' days are counted in."""
    id = pw.IntegerField(primary_key=True)
    timezone = pw.TextField()
    built_at = pw.DoubleField()

    class Meta:
        table_name = "hq_rollup_state"


HQ_MODELS = [Location, Device, Enrolment, Nonce, Stream, Event, Row, Batch, Config, CardKey, Erasure, Release,
             ReleaseLocation, StationReport, Admin, AdminSession, AdminAudit, Download, *APP_MODELS, MemberRollup,
             LocationDay, RecallCount, RollupState]


def open_hq(url: str) -> pw.Database:
    """Bind the models to the database at `url` and create the tables once (safe for many processes).

    Only missing tables are created: even CREATE INDEX IF NOT EXISTS locks its table, and a worker
    starting next to live pushes would deadlock with them.
    """
    if getattr(hq_db.obj, "url", None) != url:
        close_hq()
        database = database_for(url)
        database.url = url
        hq_db.initialize(database)
    database = hq_db.obj
    with hq_db.connection_context():
        with _schema_lock():
            existing = set(hq_db.get_tables())
            hq_db.create_tables([m for m in HQ_MODELS if m._meta.table_name not in existing], safe=True)
            _create_row_indexes()
            Stream.insert(id=1, position=0, epoch=secrets.token_hex(8), max_hlc=0).on_conflict_ignore().execute()
            CardKey.insert(id=1, secret=secrets.token_hex(32), created_at=now()).on_conflict_ignore().execute()
            AppSecret.insert(id=1, secret=secrets.token_hex(32)).on_conflict_ignore().execute()
            AppCursor.insert(id=1, position=Stream.get_by_id(1).position).on_conflict_ignore().execute()
            from sync.hq.rollups import ensure_built  # the rollups stand on these models
            ensure_built()
    return database


@contextlib.contextmanager
def _schema_lock():
    """Two server processes starting together must not race on CREATE TABLE."""
    if is_postgres():
        with hq_db.atomic():
            lock_exclusive(4711)
            yield
    else:
        yield


def close_hq() -> None:
    database = hq_db.obj
    if database is not None:
        if isinstance(database, PooledPostgresqlDatabase):
            database.close_all()
        elif not database.is_closed():
            database.close()


def now() -> float:
    return time.time()


# --- indexes on the merged rows' JSON, for the console's member search and a member's records ----

def row_field(field: str) -> str:
    """The SQL for one field of `hq_row.data`, as the indexes below are built on it."""
    if is_postgres():
        return f"((data::jsonb ->> '{field}') COLLATE \"C\")"
    return f"json_extract(data, '$.{field}')"


MEMBER_SEARCH = ("name_key", "last_key", "email", "phone_key")
MEMBER_CONTACTS = ("email", "phone")     # the patients' app finds a member by the address they type


def _record_keys() -> tuple[str, ...]:
    """Fields that name a member's records: owners and parents, from the registry."""
    owners = {k.owner for k in RECORDS.values() if k.synced and k.owner and k.owner != k.key}
    parents = {k.via[0] for k in RECORDS.values() if k.via}
    return tuple(sorted(owners | parents))


RECORD_KEYS = _record_keys()


def _row_indexes() -> dict[str, str]:
    indexes = {f"hq_row_member_{field}": f"CREATE INDEX hq_row_member_{field} ON hq_row ({row_field(field)}) "
                                        f"WHERE tbl = 'member'" for field in {*MEMBER_SEARCH, *MEMBER_CONTACTS}}
    indexes["hq_row_owner"] = f"CREATE INDEX hq_row_owner ON hq_row (tbl, {row_field('member')})"
    indexes.update({f"hq_row_{field}": f"CREATE INDEX hq_row_{field} ON hq_row (tbl, {row_field(field)})"
                    for field in RECORD_KEYS if field != "member"})
    return indexes


def _create_row_indexes() -> None:
    """Only those missing: building one on a large hq_row holds its writers back once, at the first
    start after an upgrade; later starts lock nothing."""
    if is_postgres():
        existing = {name for (name,) in hq_db.execute_sql(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'hq_row'").fetchall()}
    else:
        existing = {name for (name,) in hq_db.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'hq_row'").fetchall()}
    for name, sql in _row_indexes().items():
        if name not in existing:
            hq_db.execute_sql(sql)
