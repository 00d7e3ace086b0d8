"""Who owns a session: a signed-in person (OIDC), or one browser that nobody else can impersonate.

A browser without a login gets a random token (256 bits) in a cookie. The owner stored with its
sessions is a digest of that token, so the database never holds the token itself, and neither a
session id nor an owner id read from the database lets anyone act as that browser.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping

#: the cookie that carries a browser's token
COOKIE = "mlsd_browser"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_token() -> str:
    """A fresh browser token (32 random bytes, URL-safe)."""
    return secrets.token_urlsafe(32)


def valid_token(token: object) -> bool:
    """Whether `token` has the shape `new_token` makes (anything else is ignored, never trusted)."""
    return isinstance(token, str) and _TOKEN.match(token) is not None


def browser_owner(token: str) -> str:
    """The owner id of an anonymous browser: a digest of its token."""
    if not valid_token(token):
        raise ValueError("not a browser token")
    return "browser:" + hashlib.sha256(token.encode()).hexdigest()[:40]


def login_owner(claims: Mapping[str, object]) -> str | None:
    """The owner id of a person signed in through OIDC: issuer and subject (or email), digested.
    None when the claims name nobody."""
    subject = claims.get("sub") or claims.get("email")
    if not subject:
        return None
    issuer = claims.get("iss") or ""
    return "login:" + hashlib.sha256(f"{issuer}|{subject}".encode()).hexdigest()[:40]


def cookie_script(token: str, max_age_days: int = 365) -> str:
    """The script that keeps `token` in this browser's cookie (SameSite=Strict, the app's path)."""
    if not valid_token(token):
        raise ValueError("not a browser token")
    seconds = max_age_days * 86_400
    secure = "(location.protocol === 'https:' ? '; Secure' : '')"
    return (
        f"<script>document.cookie = '{COOKIE}={token}; Max-Age={seconds}; Path=/; SameSite=Strict'"
        f" + {secure};</script>"
    )
