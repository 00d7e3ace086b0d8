"""Real servers on loopback for the scale-out tests: a PostgreSQL cluster (Debian's binaries,
installed with apt-get when missing) and a Chroma server (`chroma run`, shipped with chromadb).

Both are started once per test run (session fixtures in conftest.py) and stopped at its end.
PostgreSQL refuses to run as root, so under root the cluster runs as the `postgres` user (or
`nobody`), with its data folder in a fresh temporary directory that user owns.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from common.processes import free_port, start, stop, wait_for

INITDB = "/usr/lib/postgresql/*/bin/initdb"


class ServerUnavailable(RuntimeError):
    """A server the tests need could not be installed or started."""


def postgres_bin() -> Path:
    """The folder of Debian's PostgreSQL binaries; installs the `postgresql` package when missing."""
    found = sorted(glob.glob(INITDB))
    if not found:
        sudo = [] if os.geteuid() == 0 or not shutil.which("sudo") else ["sudo"]
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "postgresql"]):
            done = subprocess.run([*sudo, *command], capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise ServerUnavailable(f"`{' '.join(command)}` failed: {done.stderr.strip()[-400:]}")
        found = sorted(glob.glob(INITDB))
    if not found:
        raise ServerUnavailable("Debian's postgresql package installed no initdb")
    return Path(found[-1]).parent


def _runner() -> list[str]:
    """How to run the server's commands: as ourselves, or (under root) as an unprivileged user."""
    if os.geteuid() != 0:
        return []
    user = "postgres" if _user_exists("postgres") else "nobody"
    return ["runuser", "-u", user, "--"]


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@dataclass(frozen=True)
class Postgres:
    port: int
    folder: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"  # the store picks psycopg 3

    def create_database(self, name: str) -> str:
        """A fresh, empty database on this server; its SQLAlchemy URL."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url().replace("://", "+psycopg://", 1), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as db:
                db.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.url(name)


@contextmanager
def postgres_server() -> Iterator[Postgres]:
    """A throwaway cluster on 127.0.0.1 (trust authentication, no Unix socket), removed afterwards."""
    binaries, run_as = postgres_bin(), _runner()
    folder = Path(tempfile.mkdtemp(prefix="mlsd-pg-"))
    data = folder / "data"
    if run_as:
        shutil.chown(folder, user=run_as[2])
    init = [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"]
    done = subprocess.run([*run_as, *init], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ServerUnavailable(f"initdb failed: {done.stderr.strip()[-400:]}")
    port = free_port()
    options = ["-c", "listen_addresses=127.0.0.1", "-c", f"port={port}", "-c", "unix_socket_directories="]
    options += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    server = start([*run_as, str(binaries / "postgres"), "-D", str(data), *options])
    try:
        _wait_for_postgres(port, server)
        yield Postgres(port, folder)
    finally:
        _fast_shutdown(server)
        shutil.rmtree(folder, ignore_errors=True)


def _fast_shutdown(server: subprocess.Popen[bytes]) -> None:
    """SIGINT: PostgreSQL's fast shutdown (SIGTERM would wait for every pooled connection)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            stop(server)


def _wait_for_postgres(port: int, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import psycopg

    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if server.poll() is not None:
            raise ServerUnavailable(f"postgres exited with {server.returncode}")
        try:
            psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres").close()
            return
        except psycopg.OperationalError:
            time.sleep(0.1)
    raise ServerUnavailable(f"postgres did not accept connections on port {port} in {timeout:.0f} s")


@contextmanager
def chroma_server() -> Iterator[int]:
    """`chroma run` on 127.0.0.1 with a temporary folder; yields its port."""
    chroma = Path(sys.executable).with_name("chroma")
    if not chroma.exists():
        raise ServerUnavailable(f"no `chroma` command next to {sys.executable}")
    folder, port = Path(tempfile.mkdtemp(prefix="mlsd-chroma-")), free_port()
    server = start([str(chroma), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(folder)])
    try:
        wait_for(f"http://127.0.0.1:{port}/api/v2/heartbeat", server)
        yield port
    finally:
        stop(server)
        shutil.rmtree(folder, ignore_errors=True)
