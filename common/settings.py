"""All settings in one place: arguments, then environment (`MLSD_*`, `OPENAI_*`) and `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.errors import ConfigError
from common.ids import ProviderName

#: The LLM voice's prompt version per provider, by how the provider caches a shared prefix. OpenAI
#: caches nothing under 1,024 tokens, so it gets voice-v5, whose prefix passes that for every case;
#: llama.cpp reuses any shared prefix, so `local` gets voice-v4, which sends about 60% of v5's tokens.
DEFAULT_PROMPTS = {ProviderName.openai: "voice-v5", ProviderName.local: "voice-v4"}


class Settings(BaseSettings):
    """Read once per process; pass overrides as keyword arguments (the CLI does)."""

    model_config = SettingsConfigDict(
        env_prefix="MLSD_", env_file=".env", extra="ignore", validate_default=True
    )

    provider: ProviderName = ProviderName.offline
    """Which engine speaks and judges: offline (no key), openai (any compatible API) or local."""
    model: str = "gpt-4o-mini"
    """The chat model for the openai provider."""
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "MLSD_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "MLSD_OPENAI_BASE_URL")
    )
    prompts: str | None = None
    """The LLM voice's prompt version (`interviewer/prompts/llm_voice/<version>.yaml`); by default,
    the provider's (`DEFAULT_PROMPTS`)."""
    timeout_s: float = Field(default=30.0, gt=0)
    """Timeout of one model request, in seconds."""
    turn_judge: Literal["auto", "offline", "model"] = "auto"
    """Who judges each answer during the interview: the offline judge, or the model within
    `judge_deadline_s` (the offline judge stands in when it is late). `auto`: the model for openai;
    the offline judge for local, whose small model cannot return a whole verdict in its token cap."""
    judge_deadline_s: float = Field(default=2.0, gt=0)
    reply_faithfulness: float | None = Field(default=None, ge=0, le=1)
    """How close in meaning (the judge encoder's cosine) a model's reply must stay to the move's
    draft, or the draft is said instead. Default: 0.6 for openai (a fluent paraphrase of a short move
    scores about 0.65-0.95); 0.85 for local, whose 135M model writes fluent-sounding text that rarely
    says what the move says (nine in ten of its recorded replies score below 0.85)."""
    data_dir: Path = Path(".data")
    """Where the database, the knowledge index and the token files live."""
    database_url: str | None = None
    """Any SQLAlchemy URL; default: a SQLite file in the data folder."""
    chroma_path: Path | None = None
    """The embedded Chroma folder; default: `<data_dir>/chroma`."""
    chroma_host: str | None = None
    """Use a Chroma server at this host instead of the embedded store."""
    chroma_port: int = 8000
    local_port: int = 8766
    """Loopback port of the bundled model's server (fixed, so recorded cassettes replay)."""
    local_autostart: bool = True
    """Start the local model server when needed (off when replaying cassettes)."""
    max_answer_chars: int = Field(default=20_000, gt=0)
    """The longest answer accepted in one turn."""
    max_answer_tokens: int = Field(default=6_000, gt=0)
    """The longest answer accepted in one turn, in tokens (tiktoken), whatever its script."""
    max_session_turns: int = Field(default=150, gt=0)
    """Candidate turns in one session; past it, only `/end` is taken."""
    max_session_model_calls: int = Field(default=250, gt=0)
    """Model calls in one session; past it, the offline voice and judge answer."""
    max_session_model_tokens: int = Field(default=400_000, gt=0)
    """Model tokens (sent and received) in one session; past it, the offline engine answers."""
    reply_deadline_s: float = Field(default=60.0, gt=0)
    """The longest one model reply may take from request to its last byte (a reply that never
    ends is cut here; `timeout_s` bounds each wait for the next byte)."""
    max_retry_wait_s: float = Field(default=2.0, ge=0)
    """The longest server-asked wait (`Retry-After`) honoured before a retry; a longer one makes the
    call fail at once, so the turn falls back instead of waiting."""

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'mlsd.sqlite3'}"

    @property
    def chroma_dir(self) -> Path:
        return self.chroma_path or self.data_dir / "chroma"

    @property
    def tiktoken_dir(self) -> Path:
        return self.data_dir / "tiktoken"

    def voice_prompts(self) -> str:
        """The LLM voice's prompt version: the one set, or the provider's default."""
        return self.prompts or DEFAULT_PROMPTS.get(self.provider, DEFAULT_PROMPTS[ProviderName.local])

    def api_key(self) -> str:
        """The key for the openai provider; an error naming the variable when it is missing."""
        if self.openai_api_key is not None:
            return self.openai_api_key.get_secret_value()
        if self.openai_base_url:
            return "unused"  # compatible local servers accept any key
        raise ConfigError(
            "The openai provider needs OPENAI_API_KEY (or OPENAI_BASE_URL for a compatible "
            "server). Set it in the environment or in .env, or use --provider offline."
        )
