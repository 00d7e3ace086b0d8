"""The exception hierarchy. SDK exceptions are wrapped before they leave an adapter."""

from __future__ import annotations


class InterviewerError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(InterviewerError):
    """Settings are missing or inconsistent; the message says what to set."""


class ContentError(InterviewerError):
    """A case, note or rubric file is malformed or references an unknown id."""


class InputError(InterviewerError):
    """The candidate's input was rejected (too long, unreadable); nothing was stored."""


class StaleSession(InterviewerError):
    """Another process (a second replica, another tab) wrote this session's next turn first; nothing
    of this write was stored. Reload the session and go on from there."""


class ProviderError(InterviewerError):
    """A chat model call failed (timeout, refusal, malformed output)."""


class RetrievalError(InterviewerError):
    """The knowledge index is missing or cannot be searched."""


class ScoringError(InterviewerError):
    """A grade could not be produced."""
