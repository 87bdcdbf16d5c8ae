"""What the patients' app sends: a rendered letter for one channel. The HQ process hands it to a
real channel (SMTP, the SMS provider) on a background thread, so no answer waits for a mail server."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from loyalty.templates import Rendered


@dataclass(frozen=True)
class Letter:
    channel: str          # email | sms
    to: str               # the address or the E.164 number
    rendered: Rendered
    reference: str        # our id for it: the notice's, or the sign-in code's


Post = Callable[[Letter], None]
