"""What every page shares: the services (built once per process), who is using this browser, the
engine they picked, and the interview they have open. No business logic: the packages decide.

A key typed into the page lives in this browser session's state only: it is passed to the engine
the session uses and is never stored, logged or put in a URL.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import streamlit as st

from common.errors import ConfigError
from common.ids import ProviderName
from common.settings import Settings
from common.tokens import use_cache_dir
from interviewer.engine import Engine, build_engine
from interviewer.identity import COOKIE, browser_owner, cookie_script, login_owner, new_token, valid_token
from interviewer.session import Interview
from interviewer.store import SessionUsage, Store
from interviewer.usage import engine_usage, spent


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Store
    """Everyone's sessions: pages use `my_store()`."""

    @property
    def offline(self) -> Engine:
        return _offline_engine()


@st.cache_resource
def services() -> Services:
    settings = Settings()
    use_cache_dir(settings.tiktoken_dir)
    return Services(settings, Store(settings.db_url))


@st.cache_resource
def _offline_engine() -> Engine:
    """Built on first use, so the first page paints before the judge's model loads."""
    settings = services().settings
    return build_engine(settings.model_copy(update={"provider": ProviderName.offline}))


def kept(key: str, default: object = None) -> object:
    """The value last chosen in widget `key` (set up with `persist_state="session"`, so it holds
    on a run that does not draw the widget, on another page)."""
    return st.session_state.get(key, default)


# ---------------------------------------------------------------- who is this


def _login_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def owner() -> str | None:
    """The person's owner id; None (after drawing a login button) until a configured login is done."""
    if _login_configured():
        if not st.user.is_logged_in:
            st.title("MLSD Interviewer")
            st.button("Log in", type="primary", on_click=st.login)
            return None
        return login_owner(st.user.to_dict())
    return browser_owner(_browser_token())


def _browser_token() -> str:
    """This browser's token: from its cookie, else a new one that the page then stores in it."""
    token = st.session_state.get("browser_token")
    if not valid_token(token):
        token = _cookie() or new_token()
        st.session_state["browser_token"] = token
    token = str(token)
    if _cookie() != token and not st.session_state.get("cookie_written"):
        st.html(cookie_script(token), unsafe_allow_javascript=True)
        st.session_state["cookie_written"] = True
    return token


def _cookie() -> str | None:
    value = st.context.cookies.get(COOKIE)
    return value if valid_token(value) else None


def my_store() -> Store:
    me = st.session_state.get("owner")
    if not me:
        raise RuntimeError("the page ran before the owner was known")
    return services().store.owned_by(me)


# ---------------------------------------------------------------- the engine


@st.cache_resource
def _local_engine() -> Engine:
    settings = services().settings
    return build_engine(settings.model_copy(update={"provider": ProviderName.local}))


def chosen_engine() -> Engine:
    """The engine this browser picked (offline unless it chose otherwise); raises ConfigError with a
    clear message when the choice cannot work (no key, no endpoint)."""
    svc = services()
    provider = kept("engine_provider", svc.settings.provider.value)
    if provider == ProviderName.offline.value:
        return svc.offline
    if provider == ProviderName.local.value:
        return _local_engine()
    return _openai_engine(svc.settings)


def _openai_engine(server: Settings) -> Engine:
    base_url = str(kept("engine_base_url") or "").strip() or server.openai_base_url
    model = str(kept("engine_model") or "").strip() or server.model
    key = str(kept("engine_key") or "")
    if not key and server.openai_api_key is None and not base_url:
        raise ConfigError("The OpenAI-compatible engine needs an API key, or a base URL of a local server.")
    fingerprint = hashlib.sha256(f"{base_url}|{model}|{key}".encode()).hexdigest()
    cached = st.session_state.get("openai_engine")
    if cached and cached[0] == fingerprint:
        return cached[1]  # type: ignore[no-any-return]
    overrides: dict[str, object] = {"provider": ProviderName.openai, "model": model}
    settings = Settings(**overrides, OPENAI_BASE_URL=base_url, OPENAI_API_KEY=key or None)  # type: ignore[arg-type]
    if not key and server.openai_api_key is not None:
        settings = settings.model_copy(update={"openai_api_key": server.openai_api_key})
    engine = build_engine(settings)
    st.session_state["openai_engine"] = (fingerprint, engine)
    return engine


# ---------------------------------------------------------------- the open interview


def open_interview(session_id: str) -> Interview | None:
    """This person's session by id (cached for the browser session, and reloaded when another tab
    or app replica has gone on with it); None if it is not theirs."""
    cached: Interview | None = st.session_state.get("interview")
    if cached is not None and cached.state.id == session_id:
        cached.refresh()
        return cached
    engine = chosen_engine_or_offline()
    found = Interview.resume(session_id, my_store(), engine, max_chars=services().settings.max_answer_chars)
    if found is not None:
        st.session_state["interview"] = found
    return found


def chosen_engine_or_offline() -> Engine:
    try:
        return chosen_engine()
    except ConfigError:
        return services().offline


def charge(interview: Interview, before: SessionUsage) -> None:
    """Add what the engine spent since `before` to the session's usage."""
    used = spent(before, engine_usage(interview.engine))
    if used.calls:
        interview.store.add_usage(interview.state.id, used)
