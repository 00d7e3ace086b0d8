"""Candidate text inside our Markdown: shown literally (never as formatting, HTML, links or images)
and quoted on one line."""

from __future__ import annotations

import re

#: what can start formatting, HTML, a link, an image or maths anywhere in a line
_INLINE = re.compile(r"([\\`*_\[\]<>~|$])")
#: what starts a heading, a list or a quote only at the start of a line
_LINE_START = re.compile(r"^(\s*(?:\d+)?)([#>+\-.)])", re.MULTILINE)


def literal(text: str) -> str:
    """`text` with every character escaped that Markdown or HTML would read as markup where it stands
    (a full stop or a hyphen inside a sentence is left alone, so the words read as typed)."""
    escaped = _INLINE.sub(r"\\\1", text)
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


def plain(text: str) -> str:
    """Markdown written with `literal` quotes, as plain text: the escapes it added dropped."""
    return re.sub(r"\\([\\`*_\[\]<>~|$#+\-.)])", r"\1", text)


def lower_first(title: str) -> str:
    """'Framing the problem as an ML task' -> 'framing the problem as an ML task'."""
    return title[:1].lower() + title[1:]


_BULLET = re.compile(r"^(?:[-*+•]|\d+[.)])\s+")


def one_line(text: str, limit: int) -> str:
    """`text` on one line, cut at a word before `limit` characters (with an ellipsis) when longer."""
    line = _BULLET.sub("", " ".join(text.split()))  # a quoted list item is its words
    return line if len(line) <= limit else line[:limit].rsplit(" ", 1)[0] + " …"
