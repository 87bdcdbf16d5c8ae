"""Use cases: one function each, one transaction each, plain dataclasses out.

Views import from here; nothing here imports a view.
"""
from loyalty.services.cards import card_pdf, card_png, card_token, email_card, qr_png, reissue_card
from loyalty.services.checkin import CheckInResult, check_in, find_card
from loyalty.services.context import Actor, current_program, store_program
from loyalty.services.expiry import expire_points
from loyalty.services.imports import import_balances
from loyalty.services.members import (
                                      consents,
                                      enroll,
                                      erase_member,
                                      export_member,
                                      member_status,
                                      search,
                                      set_consent,
                                      update_profile,
)
from loyalty.services.plans import cancel_plan, join_plan, plan_status, use_benefit
from loyalty.services.purchases import adjust, award_purchase, earning_items, refund, undo
from loyalty.services.rewards import redeem, reward_options
from loyalty.services.staff import audit_log, change_role, create_staff, deactivate, list_staff, reset_pin, sign_in
from loyalty.services.station import init_station, is_initialised, load_demo
from loyalty.services.treatments import record_treatment
from loyalty.store.settings import device_id

__all__ = [
    "Actor",
    "CheckInResult",
    "adjust",
    "audit_log",
    "award_purchase",
    "cancel_plan",
    "card_pdf",
    "card_png",
    "card_token",
    "change_role",
    "check_in",
    "consents",
    "create_staff",
    "current_program",
    "deactivate",
    "device_id",
    "earning_items",
    "email_card",
    "enroll",
    "erase_member",
    "expire_points",
    "export_member",
    "find_card",
    "import_balances",
    "init_station",
    "is_initialised",
    "join_plan",
    "list_staff",
    "load_demo",
    "member_status",
    "plan_status",
    "qr_png",
    "record_treatment",
    "redeem",
    "refund",
    "reissue_card",
    "reset_pin",
    "reward_options",
    "search",
    "set_consent",
    "sign_in",
    "store_program",
    "undo",
    "update_profile",
    "use_benefit",
]
