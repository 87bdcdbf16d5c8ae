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

import peewee as pw
from playhouse.pool import PooledPostgresqlDatabase

from loyalty.store.registry import RECORDS

hq_db = pw.DatabaseProxy()


def database_for(url: str) -> pw.Database:
    """`postgresql://...` (libpq URL, e.g. `postgresql:///hq?host=/tmp/pg`) or `sqlite:///path`."""
    if url.startswith(("postgresql://", "postgres://")):
        return PooledPostgresqlDatabase(url.replace("postgres://", "postgresql://", 1),
                                        max_connections=32, stale_timeout=300, timeout=10)
    if url.startswith("sqlite:///"):
        return pw.SqliteDatabase(url[len("sqlite:///"):], check_same_thread=False,
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
    """
    if not keys or not is_postgres():
        return
    hq_db.execute_sql("SELECT pg_advisory_xact_lock(%s::int, h) FROM (SELECT DISTINCT hashtext(k) AS h "
                      "FROM unnest(%s::text[]) AS k ORDER BY h) AS ordered",
                      (RECORD_LOCKS, [f"{table}/{record_id}" for table, record_id in keys]))


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


class Author(HqModel):
    """One row: HQ's own device, which writes the patients' app's records, with its clock and sequence.

    Locked by each of HQ's own writes before the records it merges, as a device row is by a push.
    """
    id = pw.IntegerField(primary_key=True)
    device_id = pw.TextField()
    hlc = pw.BigIntegerField(default=0)
    seq = pw.BigIntegerField(default=0)

    class Meta:
        table_name = "hq_author"


class Erasure(HqModel):
    """A member erased at some station: events that arrive for them later are scrubbed as stored."""
    member_id = pw.TextField(primary_key=True)
    at = pw.DoubleField()

    class Meta:
        table_name = "hq_erasure"


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
HQ_MODELS = [Location, Device, Enrolment, Nonce, Stream, Event, Row, Batch, Config, CardKey, Erasure, Author,
             *APP_MODELS]


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
            Stream.insert(id=1, position=0, epoch=secrets.token_hex(8), max_hlc=0).on_conflict_ignore().execute()
            CardKey.insert(id=1, secret=secrets.token_hex(32), created_at=now()).on_conflict_ignore().execute()
            Author.insert(id=1, device_id=f"hq-{secrets.token_hex(12)}").on_conflict_ignore().execute()
            AppSecret.insert(id=1, secret=secrets.token_hex(32)).on_conflict_ignore().execute()
            AppCursor.insert(id=1, position=Stream.get_by_id(1).position).on_conflict_ignore().execute()
            _create_row_indexes()
    return database


# --- reading merged rows by a field of their data -------------------------------------------

def _member_fields() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Fields that name a member's records (owners and parents, from the registry) and a member's contact."""
    owners = {k.owner for k in RECORDS.values() if k.synced and k.owner and k.owner != k.key}
    parents = {k.via[0] for k in RECORDS.values() if k.via}
    return tuple(sorted(owners | parents)), ("email", "phone")


KEYS, CONTACTS = _member_fields()
ROW_FIELDS = KEYS + CONTACTS          # the fields the patients' app looks rows up by


def row_field(name: str) -> pw.SQL:
    """A field of `hq_row.data` as text, written exactly as its index is, so the index is used."""
    if name not in ROW_FIELDS:
        raise ValueError(f"no index on hq_row field {name!r}")
    if is_postgres():
        return pw.SQL(f"((data::jsonb) ->> '{name}')")
    return pw.SQL(f"json_extract(data, '$.{name}')")


def _create_row_indexes() -> None:
    """A member's records by the field that names them (or their parent record), a member by e-mail
    or phone: expression indexes on each row's JSON, so the push path writes rows as before.

    Created once, when missing (checked first: creating an index locks the table even when it
    exists); on a large HQ the first start after an upgrade builds them.
    """
    wanted = {f"hq_row_{name}": ("tbl", name, None) for name in KEYS}
    wanted.update({f"hq_row_{name}": (None, name, "member") for name in CONTACTS})
    if is_postgres():
        existing = {n for (n,) in hq_db.execute_sql("SELECT indexname FROM pg_indexes WHERE tablename = 'hq_row'")}
    else:
        existing = {n for (n,) in hq_db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index'")}
    for name, (prefix, field, table) in wanted.items():
        if name in existing:
            continue
        columns = ", ".join(c for c in (prefix, row_field(field).sql) if c)
        where = f" WHERE tbl = '{table}'" if table else ""
        hq_db.execute_sql(f"CREATE INDEX {name} ON hq_row ({columns}){where}")


@contextlib.contextmanager
def _schema_lock():
    """Two server processes starting together must not race on CREATE TABLE."""
    if is_postgres():
        with hq_db.atomic():
            hq_db.execute_sql("SELECT pg_advisory_xact_lock(4711)")
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
