"""Contact details as a public screen may show them: enough for the patient to recognise their own,
too little for the next person in the queue to read an address off the kiosk."""
from __future__ import annotations

HIDDEN = "•••"


def mask_email(address: str) -> str:
    """"zoe.mueller@praxis-example.de" -> "z•••@p•••.de": first letters and the top-level domain."""
    local, _, domain = address.strip().rpartition("@")
    if not local or not domain:
        return HIDDEN
    name, dot, top = domain.rpartition(".")
    if not dot:
        return f"{local[0]}{HIDDEN}@{HIDDEN}"
    return f"{local[0]}{HIDDEN}@{name[0]}{HIDDEN}.{top}"


def mask_phone(number: str) -> str:
    """"+491712345678" -> "••• 678": the last three digits."""
    digits = [ch for ch in number if ch.isdigit()]
    return f"{HIDDEN} {''.join(digits[-3:])}" if len(digits) > 3 else HIDDEN
