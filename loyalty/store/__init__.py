"""Peewee models and database setup: the only layer that speaks SQL."""
from loyalty.store import personal, queries, registry
from loyalty.store.db import (
    checkpoint,
    close_database,
    db,
    open_database,
    refill_summaries,
    rezone,
    rollup_zone,
    write,
)
from loyalty.store.models import (
    ALL_MODELS,
    AftercareAnswer,
    AftercarePhoto,
    Appointment,
    AuditLog,
    BenefitUse,
    Card,
    ConsentEvent,
    ErasureRequest,
    Feedback,
    Flag,
    FollowUp,
    LedgerEntry,
    Member,
    Membership,
    Outbox,
    PairedDevice,
    PairingOffer,
    ProgramVersion,
    RowClock,
    SetAside,
    Setting,
    Staff,
    Treatment,
)

__all__ = [
    "checkpoint", "db", "open_database", "close_database", "refill_summaries", "rezone", "rollup_zone", "write",
    "personal", "queries", "registry",
    "ALL_MODELS", "AftercareAnswer", "AftercarePhoto", "Appointment", "AuditLog", "BenefitUse", "Card",
    "ConsentEvent", "ErasureRequest", "Feedback", "Flag", "FollowUp", "LedgerEntry",
    "Member", "Membership", "Outbox", "PairedDevice", "PairingOffer", "ProgramVersion", "RowClock", "SetAside",
    "Setting", "Staff", "Treatment",
]
