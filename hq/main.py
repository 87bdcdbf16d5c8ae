"""The ASGI entry point for `loyalty hq serve` (each worker process builds its own app)."""
from __future__ import annotations

import os

from hq.server import create_app
from loyalty.private_files import restrict_umask

restrict_umask()          # also when a server other than `loyalty hq serve` imports this module
app = create_app(os.environ["LOYALTY_HQ_DB"])
