"""The program in force at HQ: the newest published version (`loyalty hq publish-config`)."""
from __future__ import annotations

from functools import lru_cache

from loyalty.program import Program, parse_program
from sync.hq.db import Config


def program_in_force() -> Program | None:
    """None until a program is published: the stations then run their own, HQ knows none."""
    newest = Config.select(Config.version, Config.toml).order_by(Config.version.desc()).first()
    return None if newest is None else _parsed(newest.version, newest.toml)


@lru_cache(maxsize=8)
def _parsed(version: int, toml_text: str) -> Program:
    """Parsed once per text: a reset HQ database may hold another program under the same number."""
    return parse_program(toml_text, source=f"HQ program version {version}")
