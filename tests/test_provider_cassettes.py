"""The OpenAI-compatible adapter against recorded traffic of the real local model server.

Replayed with the network blocked; re-record with the server running:
`pytest tests/test_provider_cassettes.py --record-mode=rewrite` (see the README).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from common.errors import ProviderError
from providers import Message
from providers.openai_chat import OpenAIChat

CASSETTES = Path(__file__).parent / "cassettes"
LOCAL = "http://127.0.0.1:8766/v1"
MESSAGES = [
    Message(role="system", content="You are a concise ML system design interviewer."),
    Message(
        role="user", content="<candidate_answer>\nI would split the click logs randomly.\n</candidate_answer>"
    ),
    Message(role="system", content="Ask one short follow-up question about how the data is split."),
]


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "match_on": ["method", "scheme", "host", "port", "path", "body"],
        "filter_headers": ["authorization", "api-key", "openai-organization", "cookie", "x-stainless-os"],
        "decode_compressed_response": True,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES)


def _chat() -> OpenAIChat:
    return OpenAIChat(
        "smollm2", "local", LOCAL, timeout_s=30, max_tokens=60, provider="local", json_mode="json_object"
    )


@pytest.mark.vcr
@pytest.mark.block_network
def test_streaming_reply_and_usage() -> None:
    chat = _chat()
    chunks = list(chat.stream(MESSAGES))
    assert len(chunks) > 1
    assert "".join(chunks).strip()
    assert chat.usage[-1].input_tokens > 0
    assert chat.usage[-1].output_tokens > 0


@pytest.mark.vcr
@pytest.mark.block_network
def test_complete_with_a_json_schema() -> None:
    schema = {
        "type": "object",
        "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 4}},
        "required": ["score"],
    }
    chat = _chat()
    reply = chat.complete(
        [*MESSAGES[:2], Message(role="system", content="Grade 1-4 as JSON.")], json_schema=schema
    )
    assert isinstance(json.loads(reply), dict)  # well-formed JSON; the value itself is the model's business


def test_a_server_that_is_not_there_is_a_provider_error() -> None:
    chat = OpenAIChat("smollm2", "local", "http://127.0.0.1:9/v1", timeout_s=2, provider="local")
    with pytest.raises(ProviderError, match=r"cannot connect|timeout"):
        list(chat.stream(MESSAGES))


KEY_SHAPED = re.compile(r"sk-[A-Za-z0-9_-]{16,}")
SECRET_HEADERS = {"authorization", "api-key", "openai-organization", "cookie"}


def test_no_cassette_holds_a_key_or_an_authorization_header() -> None:
    files = [*CASSETTES.rglob("*.yaml"), *(CASSETTES.parent.parent / "evals" / "cassettes").rglob("*.yaml")]
    assert files
    for path in files:
        text = path.read_text()
        assert not KEY_SHAPED.search(text), path
        for interaction in yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))[
            "interactions"
        ]:
            headers = {h.lower() for h in interaction["request"]["headers"]}
            assert not headers & SECRET_HEADERS, path
