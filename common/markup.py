"""Candidate text inside our Markdown: shown literally (never as formatting, HTML, links or images)
and quoted on one line."""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def literal(text: str) -> str:
    """`text` with every Markdown and HTML character escaped."""
    return _MARKDOWN.sub(r"\\\1", text)


def one_line(text: str, limit: int) -> str:
    """`text` on one line, cut at a word before `limit` characters (with an ellipsis) when longer."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit].rsplit(" ", 1)[0] + " …"
