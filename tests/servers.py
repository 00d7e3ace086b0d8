"""Start-and-wait helpers for the real servers some tests run on loopback."""

from __future__ import annotations

from interviewer.processes import free_port, wait_for

__all__ = ["free_port", "wait_for"]
