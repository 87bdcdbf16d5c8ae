"""The ASGI entry point for `loyalty hq serve` (each worker process builds its own app)."""
from __future__ import annotations

import os

from hq.server import create_app

app = create_app(os.environ["LOYALTY_HQ_DB"])
