"""Does a feedback text report a problem? Word lists are data (assets/messages/problem_words.toml)."""
from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

WORDS_FILE = Path(__file__).resolve().parent.parent / "assets" / "messages" / "problem_words.toml"
LOW_SCORE = 6   # 0-6 are detractors in NPS terms: the team calls back


@lru_cache(maxsize=1)
def _rules() -> tuple[re.Pattern, tuple[str, ...]]:
    data = tomllib.loads(WORDS_FILE.read_text(encoding="utf-8"))
    parts = []
    clear = []
    for lang in data.values():
        parts += [re.escape(w.casefold()) for w in lang.get("anywhere", [])]
        parts += [r"(?<!\w)" + re.escape(w.casefold()) for w in lang.get("word_starts", [])]
        clear += [w.casefold() for w in lang.get("all_clear", [])]
    return re.compile("|".join(parts)), tuple(sorted(clear, key=len, reverse=True))


def problem_words(text: str | None) -> list[str]:
    """The problem words found in a text (German or English), after removing all-clear phrases."""
    if not text:
        return []
    pattern, clear = _rules()
    folded = " ".join(text.casefold().split())
    for phrase in clear:
        folded = folded.replace(phrase, " ")
    return [m.group(0) for m in pattern.finditer(folded)]


def is_low_score(score: int | None) -> bool:
    return score is not None and score <= LOW_SCORE
