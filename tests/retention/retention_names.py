"""Words a message must never contain: every catalogue item's code and the words of its names."""
from __future__ import annotations

import re
from functools import lru_cache

from loyalty.program import ASSETS, load_program_file


@lru_cache(maxsize=1)
def forbidden_words() -> tuple[str, ...]:
    words = set()
    for path in sorted((ASSETS / "programs").glob("*.toml")):
        for item in load_program_file(path).catalogue.values():
            words.add(item.code.casefold())
            for name in item.name.values():
                words.add(name.casefold())
                words.update(w for w in re.split(r"[^\w]+", name.casefold()) if len(w) >= 5)
    return tuple(sorted(words))
