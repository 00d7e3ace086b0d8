"""Published prices per million tokens, to estimate what a run would cost on a hosted model."""

from __future__ import annotations

PRICES_AS_OF = "2026-11-01"
#: model -> (input, cached input, output) in US dollars per million tokens
PRICES: dict[str, tuple[float, float, float]] = {
    "gpt-4o-mini": (0.15, 0.075, 0.60),
    "gpt-4.1-mini": (0.40, 0.10, 1.60),
}


def cost_usd(model: str, input_tokens: float, output_tokens: float, cached_tokens: float = 0.0) -> float:
    price_in, price_cached, price_out = PRICES[model]
    fresh = max(input_tokens - cached_tokens, 0.0)
    total = fresh * price_in + cached_tokens * price_cached + output_tokens * price_out
    return round(total / 1_000_000, 6)


#: OpenAI caches nothing of a prompt under 1,024 tokens, then the longest prefix shared with a
#: recent request in steps of 128 tokens.
CACHE_MIN_TOKENS, CACHE_STEP_TOKENS = 1024, 128


def openai_cached_tokens(prompt_tokens: int, shared_prefix_tokens: int) -> int:
    """How much of a prompt OpenAI's automatic prompt caching would bill at the cached price."""
    shared = min(prompt_tokens, shared_prefix_tokens)
    if prompt_tokens < CACHE_MIN_TOKENS or shared < CACHE_MIN_TOKENS:
        return 0
    return CACHE_MIN_TOKENS + (shared - CACHE_MIN_TOKENS) // CACHE_STEP_TOKENS * CACHE_STEP_TOKENS
