"""Small helpers for the servers the project starts on loopback (the app, the local model)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def wait_for(url: str, server: subprocess.Popen[bytes], timeout: float = 60) -> float:
    """Seconds until `url` answers 200; raises if the server dies or the time runs out."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        if answers(url):
            return time.monotonic() - began
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer in {timeout:.0f} s")


def start(command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """A quiet child process in its own group, so that `stop` ends it and its children."""
    return subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=20)


def start_app(port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    """`mlsd app` on 127.0.0.1:port with its own data folder."""
    env = {**os.environ, "MLSD_DATA_DIR": str(data_dir)}
    return start([sys.executable, "-m", "ui.cli", "app", "--port", str(port)], env)
