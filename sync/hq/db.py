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


HQ_MODELS = [Location, Device, Enrolment, Nonce, Stream, Event, Row, Batch, Config, CardKey, Erasure, Author]


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
    return database


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
