"""Tables. Ids are client-generated UUIDv7 text so records from many stations merge by id."""
from __future__ import annotations

import peewee as pw

from loyalty.store.db import db
from loyalty.store.fields import UtcDateTimeField


class Base(pw.Model):
    class Meta:
        database = db
        legacy_table_names = False


class Setting(Base):
    """Station-wide values: device id, card key, language."""
    key = pw.TextField(primary_key=True)
    value = pw.TextField()


class ProgramVersion(Base):
    """Every accepted program configuration, newest wins; HQ may push new versions."""
    version = pw.IntegerField(primary_key=True)
    toml = pw.TextField()
    created_at = UtcDateTimeField()
    created_by = pw.TextField(null=True)


class Member(Base):
    id = pw.TextField(primary_key=True)
    first_name = pw.TextField(null=True)
    last_name = pw.TextField(null=True)
    name_key = pw.TextField(null=True, index=True)   # folded "first last" for prefix search (kept by triggers)
    last_key = pw.TextField(null=True)               # folded last name (kept by triggers)
    email = pw.TextField(null=True, index=True)      # normalised, lower case
    phone = pw.TextField(null=True)                  # E.164
    phone_key = pw.TextField(null=True, index=True)  # E.164 digits without '+', for prefix search (triggers)
    birthday_day = pw.IntegerField(null=True)
    birthday_month = pw.IntegerField(null=True)
    birthday_set_at = UtcDateTimeField(null=True)
    locale = pw.TextField(default="de")
    referred_by = pw.TextField(null=True)
    note = pw.TextField(null=True)
    created_at = UtcDateTimeField()
    created_device = pw.TextField()
    erased_at = UtcDateTimeField(null=True)
    home_location = pw.TextField(null=True)          # HQ location it joined at; its station sends the reminders
    channel = pw.TextField(null=True)                # preferred channel chosen in the app: email | sms | None

    class Meta:
        indexes = ((("last_key", "name_key"), False),)


class Card(Base):
    id = pw.TextField(primary_key=True)   # the random card id inside the QR token
    member = pw.ForeignKeyField(Member, backref="cards", on_delete="CASCADE")
    status = pw.TextField(default="active")  # active | revoked
    issued_at = UtcDateTimeField()
    revoked_at = UtcDateTimeField(null=True)
    revoked_reason = pw.TextField(null=True)


class Staff(Base):
    id = pw.TextField(primary_key=True)
    name = pw.TextField(unique=True)
    role = pw.TextField()                 # receptionist | manager
    pin_hash = pw.TextField()
    failed_pins = pw.IntegerField(default=0)
    locked_until = UtcDateTimeField(null=True)
    active = pw.BooleanField(default=True)
    created_at = UtcDateTimeField()


class LedgerEntry(Base):
    """Append-only: every change of points or stamps. Balances are sums over these rows."""
    id = pw.TextField(primary_key=True)
    member = pw.ForeignKeyField(Member, backref="ledger", on_delete="CASCADE")
    kind = pw.TextField()
    points = pw.IntegerField(default=0)
    stamps = pw.IntegerField(default=0)
    amount_cents = pw.IntegerField(default=0)    # purchase amount, or credit value of a redemption
    item_code = pw.TextField(null=True)
    reward_code = pw.TextField(null=True)
    ref = pw.TextField(null=True)                # the entry this one refunds, undoes or expires
    device_id = pw.TextField()
    staff_id = pw.TextField(null=True)
    reason = pw.TextField(default="")
    created_at = UtcDateTimeField()
    config_version = pw.IntegerField(default=0)

    class Meta:
        indexes = ((("member", "created_at"), False), (("created_at",), False), (("ref",), False))


class ConsentEvent(Base):
    """Grant/withdraw log; the latest event per purpose is in force."""
    id = pw.TextField(primary_key=True)
    member = pw.ForeignKeyField(Member, backref="consents", on_delete="CASCADE")
    purpose = pw.TextField()          # program | marketing | care
    granted = pw.BooleanField()
    at = UtcDateTimeField()
    device_id = pw.TextField()
    staff_id = pw.TextField(null=True)
    source = pw.TextField(default="")  # kiosk | staff | import | unsubscribe


class Treatment(Base):
    id = pw.TextField(primary_key=True)
    member = pw.ForeignKeyField(Member, backref="treatments", on_delete="CASCADE")
    item_code = pw.TextField()
    performed_at = UtcDateTimeField()
    recall_due = UtcDateTimeField(null=True, index=True)
    entry = pw.TextField(null=True)   # its ledger entry
    device_id = pw.TextField()
    staff_id = pw.TextField(null=True)


class Membership(Base):
    id = pw.TextField(primary_key=True)
    member = pw.ForeignKeyField(Member, backref="memberships", on_delete="CASCADE")
    plan_code = pw.TextField()
    started_at = UtcDateTimeField()
    status = pw.TextField(default="active")  # active | cancelled
    cancelled_at = UtcDateTimeField(null=True)


class BenefitUse(Base):
    id = pw.TextField(primary_key=True)
    membership = pw.ForeignKeyField(Membership, backref="uses", on_delete="CASCADE")
    benefit_code = pw.TextField()
    used_at = UtcDateTimeField()
    period_start = UtcDateTimeField()
    device_id = pw.TextField()
    staff_id = pw.TextField(null=True)


class Flag(Base):
    """Something the manager should look at: many transactions in a day, a negative balance.

    Open until a manager resolves it with a note of what they found (who and when travel with it).
    """
    id = pw.TextField(primary_key=True)
    member = pw.ForeignKeyField(Member, backref="flags", on_delete="CASCADE")
    kind = pw.TextField()                          # many_transactions | negative_balance
    detail = pw.TextField(default="")
    at = UtcDateTimeField()
    resolved_at = UtcDateTimeField(null=True)
    resolved_by = pw.TextField(null=True)          # staff id
    note = pw.TextField(null=True)                 # what the manager found


class AuditLog(Base):
    id = pw.TextField(primary_key=True)
    at = UtcDateTimeField(index=True)
    staff_id = pw.TextField(null=True)
    device_id = pw.TextField()
    action = pw.TextField()
    member_id = pw.TextField(null=True)
    detail = pw.TextField(default="{}")   # JSON


class Outbox(Base):
    """Every local write, queued for HQ in the same transaction that made it.

    Each row is one event: its own id (HQ stores it exactly once), the station's hybrid logical
    clock, the fields it changed (None: the whole row) and HQ's receipt once pushed.
    """
    seq = pw.AutoField()
    record_id = pw.TextField()
    table = pw.TextField()
    op = pw.TextField()            # upsert | erase
    payload = pw.TextField()       # JSON of the record
    created_at = UtcDateTimeField()
    sent_at = UtcDateTimeField(null=True, index=True)
    event_id = pw.TextField(null=True, unique=True)
    hlc = pw.IntegerField(default=0)
    fields = pw.TextField(null=True)       # JSON list of changed field names
    receipt = pw.TextField(null=True, index=True)   # accepted | duplicate | rejected
    reason = pw.TextField(null=True)       # why HQ rejected it


class Feedback(Base):
    """A patient's answer on the kiosk after a visit: 0-10 recommendation score and an optional text."""
    id = pw.TextField(primary_key=True)
    member = pw.ForeignKeyField(Member, backref="feedback", on_delete="CASCADE")
    visit_entry = pw.TextField(null=True)          # the visit's ledger entry id that was rated
    score = pw.IntegerField(null=True)             # 0-10, None when only a text was given
    text = pw.TextField(null=True)
    reports_problem = pw.BooleanField(default=False)   # low score or a text that reports a problem
    at = UtcDateTimeField(index=True)
    device_id = pw.TextField()


class FollowUp(Base):
    """A task for the clinical team (a low score, a reported side effect); never used for marketing."""
    id = pw.TextField(primary_key=True)
    member = pw.ForeignKeyField(Member, backref="follow_ups", on_delete="CASCADE")
    kind = pw.TextField()                          # low_score | problem_reported | uncertain_message | aftercare
    feedback = pw.TextField(null=True)             # the Feedback id behind it
    detail = pw.TextField(default="")
    created_at = UtcDateTimeField(index=True)
    status = pw.TextField(default="open")          # open | done
    closed_at = UtcDateTimeField(null=True)
    closed_by = pw.TextField(null=True)            # staff id
    note = pw.TextField(null=True)




class Message(Base):
    """A planned or sent reminder. `key` (member + trigger + occasion) makes planning idempotent.

    planned -> sending (committed before the send) -> sent; a send that may or may not have
    happened ends as `uncertain` for staff to check, never resent blindly.
    """
    id = pw.TextField(primary_key=True)
    key = pw.TextField(unique=True)
    member = pw.ForeignKeyField(Member, backref="messages", on_delete="CASCADE")
    trigger = pw.TextField()  # welcome | birthday | expiry | reward_ready | win_back | tier | recall | aftercare
    step = pw.TextField(null=True)                 # aftercare touch point
    purpose = pw.TextField()                       # program | care | marketing: the consent it needs
    params = pw.TextField(default="{}")            # JSON for the template (points, date, tier)
    due_at = UtcDateTimeField()
    expires_at = UtcDateTimeField()                # not sent by then: skipped, a stale reminder helps nobody
    status = pw.TextField(default="planned")       # planned | sending | sent | failed | uncertain | skipped
    channel = pw.TextField(null=True)              # email | sms, chosen at send time
    attempts = pw.IntegerField(default=0)
    claimed_at = UtcDateTimeField(null=True)       # when it went to `sending`
    sent_at = UtcDateTimeField(null=True)
    provider_ref = pw.TextField(null=True)         # the SMTP Message-ID or the SMS provider's id
    last_error = pw.TextField(null=True)
    created_at = UtcDateTimeField()

    class Meta:
        indexes = ((("status", "due_at"), False), (("member", "sent_at"), False))


class Appointment(Base):
    """A patient's appointment request from the app and the location's answer.

    requested (the patient) -> confirmed or proposed or declined (the location's staff) -> a
    proposal accepted (confirmed) or anything cancelled (the patient). Both sides edit it, field by
    field, last writer wins; `location` is the HQ location whose staff answer it.
    """
    id = pw.TextField(primary_key=True)
    member = pw.ForeignKeyField(Member, backref="appointments", on_delete="CASCADE")
    location = pw.TextField()
    days = pw.TextField()                          # preferred weekdays: "mon,wed" (empty: any)
    times = pw.TextField()                         # preferred times of day: "morning,afternoon" (empty: any)
    note = pw.TextField(null=True)                 # the patient's words, for the desk
    status = pw.TextField(default="requested")     # requested | confirmed | proposed | declined | cancelled
    starts_at = UtcDateTimeField(null=True)        # the confirmed or proposed time
    reply = pw.TextField(null=True)                # the desk's words to the patient
    requested_at = UtcDateTimeField()
    answered_at = UtcDateTimeField(null=True)
    answered_by = pw.TextField(null=True)          # staff id
    device_id = pw.TextField()

    class Meta:
        indexes = ((("location", "status"), False),)


class AftercareAnswer(Base):
    """A patient's answer to an aftercare check-in in the app; one per treatment and step (the id)."""
    id = pw.TextField(primary_key=True)            # treatment id + ":" + step
    member = pw.ForeignKeyField(Member, backref="aftercare_answers", on_delete="CASCADE")
    treatment = pw.TextField()
    step = pw.TextField()                          # how_are_you | result_check
    feeling = pw.TextField()                       # good | unsure | problem
    text = pw.TextField(null=True)
    reports_problem = pw.BooleanField(default=False)
    at = UtcDateTimeField()
    device_id = pw.TextField()


class AftercarePhoto(Base):
    """A photo's reference: the picture itself stays at HQ, for the treating team only."""
    id = pw.TextField(primary_key=True)
    member = pw.ForeignKeyField(Member, backref="aftercare_photos", on_delete="CASCADE")
    answer = pw.TextField()                        # the AftercareAnswer it documents
    content_type = pw.TextField()
    size = pw.IntegerField()                       # bytes as stored (re-encoded, without metadata)
    width = pw.IntegerField()
    height = pw.IntegerField()
    sha256 = pw.TextField()
    at = UtcDateTimeField()
    device_id = pw.TextField()


class ErasureRequest(Base):
    """A patient asked in the app to be erased; a manager confirms it (and erases) in the staff app."""
    id = pw.TextField(primary_key=True)
    member = pw.ForeignKeyField(Member, backref="erasure_requests", on_delete="CASCADE")
    requested_at = UtcDateTimeField()
    status = pw.TextField(default="open", index=True)   # open | done | declined
    decided_at = UtcDateTimeField(null=True)
    decided_by = pw.TextField(null=True)           # staff id
    device_id = pw.TextField()


class RecallOverride(Base):
    """A member's own recall interval for a catalogue item (the clinician's choice for this patient)."""
    id = pw.TextField(primary_key=True)            # member id + ":" + item code
    member = pw.ForeignKeyField(Member, backref="recall_overrides", on_delete="CASCADE")
    item_code = pw.TextField()
    recall_days = pw.IntegerField()                # 0: cleared, the catalogue default applies
    set_at = UtcDateTimeField()
    set_by = pw.TextField(null=True)


class SetAside(Base):
    """A pulled event this station could not apply (a record no column holds, a clock far ahead).

    Kept whole for whoever investigates, counted in the staff app's sync details; the pull moves
    on, and a later event for the same record still applies.
    """
    event_id = pw.TextField(primary_key=True)
    tbl = pw.TextField()
    record_id = pw.TextField()
    device_id = pw.TextField()                     # the device that wrote it, as HQ relayed it
    member = pw.TextField(null=True, index=True)   # whose record it is, so an erasure takes it too
    reason = pw.TextField()                        # a stable code, as HQ's receipts use: out_of_range:points
    event = pw.TextField()                         # the event as pulled (JSON)
    at = UtcDateTimeField(index=True)


class RowClock(Base):
    """Per-field clocks of a mutable synced row: {field: [hlc, device, event]}, for last-writer-wins."""
    tbl = pw.TextField()
    record_id = pw.TextField()
    clocks = pw.TextField()

    class Meta:
        primary_key = pw.CompositeKey("tbl", "record_id")


class PairedDevice(Base):
    """A tablet paired with this station: kiosk or desk. Only the hash of its secret is kept."""
    id = pw.TextField(primary_key=True)
    name = pw.TextField()
    role = pw.TextField()                  # kiosk | desk
    secret_hash = pw.TextField()
    paired_at = UtcDateTimeField()
    paired_by = pw.TextField(null=True)    # staff id of the manager who offered the pairing
    last_seen_at = UtcDateTimeField(null=True)
    revoked_at = UtcDateTimeField(null=True)
    revoked_by = pw.TextField(null=True)


class PairingOffer(Base):
    """A one-time pairing code (hashed) with the role and name the device will get."""
    code_hash = pw.TextField(primary_key=True)
    role = pw.TextField()
    name = pw.TextField()
    created_at = UtcDateTimeField()
    created_by = pw.TextField(null=True)
    expires_at = UtcDateTimeField()
    device = pw.TextField(null=True)       # the paired device it became, once used


ALL_MODELS = [Setting, ProgramVersion, Member, Card, Staff, LedgerEntry, ConsentEvent, Treatment,
              Membership, BenefitUse, Flag, AuditLog, Outbox, Feedback, FollowUp, Message, RecallOverride,
              SetAside, RowClock, PairedDevice, PairingOffer, Appointment, AftercareAnswer, AftercarePhoto,
              ErasureRequest]
