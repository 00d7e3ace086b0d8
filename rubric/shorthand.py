"""Shorthand spelled out for the judge's encoder: what candidates write as notes, specs and code
("thresh picked for recall tgt b/c a miss = privacy incident", `bookings_per_session`) reads to it
as the words it stands for. Only the text that is embedded changes; evidence is quoted as written."""

import re
from functools import cache
from pathlib import Path

from common.base import load_yaml

SHORTHAND = Path(__file__).with_name("shorthand.yaml")

_SYMBOLS = (
    (re.compile(r"\s*(?:->|=>|→)\s*"), " then "),
    (re.compile(r"(?<=\s)~\s*(?=\d)"), "about "),
    (re.compile(r"\s@\s"), " at "),
)
#: TeX in written-up answers ($P(y = 1 \mid \hat{y} = p)$): its words kept, its markup dropped
_TEX_WORDS = re.compile(r"\\(?:text|mathrm|textbf|mathbf|operatorname|mathcal|mathbb)\{([^{}]*)\}")
_TEX_NAMED = {
    "cdot": "times",
    "times": "times",
    "mid": "given",
    "approx": "about",
    "leq": "at most",
    "le": "at most",
    "geq": "at least",
    "ge": "at least",
    "sum": "sum",
    "forall": "for all",
    "in": "in",
    "log": "log",
    "min": "min",
    "max": "max",
    "argmin": "argmin",
    "argmax": "argmax",
}
_TEX_COMMAND = re.compile(r"\\([A-Za-z]+)")
_TEX_MARKUP = re.compile(r"\$+(?!\d)|[{}^_]|\\[,;!]")
_SNAKE = re.compile(r"(?<=[A-Za-z0-9])_(?=[A-Za-z0-9])")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])")
_ATTRIBUTE = re.compile(r"(?<=[a-z_][a-z0-9_])\.(?=[a-z_][a-z0-9_])")  # m.error_rate, not e.g.


@cache
def _table() -> tuple[re.Pattern[str], dict[str, str]]:
    words: dict[str, str] = {str(k).lower(): str(v) for k, v in load_yaml(SHORTHAND.read_text()).items()}
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w/.'])(?:{alternatives})(?![\w/'])", re.IGNORECASE), words


def spelled_out(text: str) -> str:
    """`text` with identifiers split into words and shorthand replaced by what it stands for."""
    if "\\" in text or "$$" in text:  # not a price: "$5"
        text = _TEX_WORDS.sub(r" \1 ", text)
        text = _TEX_COMMAND.sub(lambda m: f" {_TEX_NAMED.get(m.group(1), '')} ", text)
        text = " ".join(_TEX_MARKUP.sub(" ", text).split())
    text = _SNAKE.sub(" ", text)
    text = _CAMEL.sub(" ", text)
    text = _ATTRIBUTE.sub(" ", text)
    for symbol, words in _SYMBOLS:
        text = symbol.sub(words, text)
    pattern, table = _table()
    return pattern.sub(lambda m: table[m.group(0).lower()], text)
