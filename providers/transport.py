"""The HTTP client under every model call: a deadline on the whole reply, a cap on its size, and no
long wait that a server asks for.

The SDK's timeout bounds each wait for the next byte, so a server that keeps sending (a reply that
never ends) would hold a turn forever; and it honours `Retry-After` up to two minutes, twice. Here
a reply must be complete within `deadline_s` and `max_bytes`, counted on the socket (below vcrpy,
which records by reading the whole body), and a `Retry-After` longer than `max_retry_wait_s` is not
waited for: the call fails at once with the server's answer, and the turn falls back.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpcore2
import httpx2

if TYPE_CHECKING:
    from collections.abc import Iterable

#: marks this module's own errors, so the adapter can name them (they reach it wrapped by the SDK)
MARK = "reply limit:"


@dataclass(frozen=True)
class ReplyLimits:
    deadline_s: float = 60.0
    """From the request's first byte sent to the reply's last byte received."""
    max_bytes: int = 2_000_000
    """The largest reply body accepted (a voice reply is a few kB, a verdict under 10 kB)."""
    max_retry_wait_s: float = 2.0
    """The longest `Retry-After` the SDK may wait before a retry."""


def http_client(limits: ReplyLimits, timeout_s: float) -> httpx2.Client:
    """An httpx client for the openai SDK (as its default one: redirects followed, pooled)."""
    return _Client(
        transport=GuardedTransport(limits),
        timeout=httpx2.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
        follow_redirects=True,
    )


class _Client(httpx2.Client):
    """Closes its pooled connections when dropped, as the SDK's own client does."""

    def __del__(self) -> None:
        try:
            if not self.is_closed:
                self.close()
        except Exception:  # during interpreter shutdown, anything may be gone already
            pass


class GuardedTransport(httpx2.BaseTransport):
    """httpx's own transport (the one vcrpy patches) on a socket backend that keeps the limits."""

    def __init__(self, limits: ReplyLimits) -> None:
        self.limits = limits
        self.inner = httpx2.HTTPTransport()
        pool = self.inner._pool
        pool._network_backend = _Backend(pool._network_backend, limits)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self.inner.handle_request(request)
        wait = retry_after(response.headers)
        if wait is not None and wait > self.limits.max_retry_wait_s:
            response.headers["x-should-retry"] = "false"  # the SDK obeys this header
        return response

    def close(self) -> None:
        self.inner.close()


def retry_after(headers: Any) -> float | None:
    """The wait a response asks for, in seconds (`retry-after-ms` first, as the SDK reads it)."""
    for name, divisor in (("retry-after-ms", 1000), ("retry-after", 1)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(value) / divisor
        except ValueError:
            return math.inf  # an HTTP date: a wait we do not take
    return None


class _Backend(httpcore2.NetworkBackend):
    def __init__(self, inner: httpcore2.NetworkBackend, limits: ReplyLimits) -> None:
        self.inner, self.limits = inner, limits

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        stream = self.inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _Stream(stream, self.limits)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore2.NetworkStream:
        return _Stream(self.inner.connect_unix_socket(path, timeout, socket_options), self.limits)

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class _Stream(httpcore2.NetworkStream):
    """One connection; a request starts when we write after having read (keep-alive reuses it)."""

    def __init__(self, inner: httpcore2.NetworkStream, limits: ReplyLimits) -> None:
        self.inner, self.limits = inner, limits
        self._began = time.monotonic()
        self._received, self._reading = 0, False

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if self._reading:
            self._began, self._received, self._reading = time.monotonic(), 0, False
        self.inner.write(buffer, timeout)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._reading = True
        left = self.limits.deadline_s - (time.monotonic() - self._began)
        if left <= 0:
            raise self._late()
        wait = left if timeout is None else min(timeout, left)
        try:
            data = self.inner.read(max_bytes, wait)
        except httpcore2.ReadTimeout:
            if wait < left:
                raise
            raise self._late() from None
        self._received += len(data)
        if self._received > self.limits.max_bytes:
            raise httpcore2.ReadError(f"{MARK} a reply larger than {self.limits.max_bytes:,} bytes")
        return data

    def _late(self) -> httpcore2.ReadTimeout:
        return httpcore2.ReadTimeout(f"{MARK} no complete reply within {self.limits.deadline_s:g} s")

    def close(self) -> None:
        self.inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore2.NetworkStream:
        self.inner = self.inner.start_tls(ssl_context, server_hostname, timeout)
        return self

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)
