"""Candidate text inside our Markdown: shown literally, never as formatting, HTML, links or images."""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def literal(text: str) -> str:
    """`text` with every Markdown and HTML character escaped."""
    return _MARKDOWN.sub(r"\\\1", text)
