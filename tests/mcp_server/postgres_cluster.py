"""A throwaway PostgreSQL cluster on a free loopback port, as an operator's CI would start one.

Debian's server binaries (/usr/lib/postgresql/N/bin; `make test` installs the `postgresql`
package when they are missing). initdb refuses to run as root, so as root the cluster runs as the
`postgres` user in a directory it owns. Password auth on TCP (scram), so tests can check that the
password never reaches a log. Durability is off: the data dies with the test session anyway.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

BIN_GLOB = "/usr/lib/postgresql/*/bin"


class PostgresUnavailable(RuntimeError):
    """The cluster could not start; the message says why and how to fix it."""


def _bin_dir() -> Path:
    candidates = sorted(glob.glob(f"{BIN_GLOB}/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PostgresUnavailable(
        f"PostgreSQL server binaries not found ({BIN_GLOB}/initdb or initdb on PATH). "
        "`make test` installs Debian's postgresql package when run as root; or: apt-get install -y postgresql"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresCluster:
    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="trip-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.password = secrets.token_urlsafe(12)
        self._names = itertools.count(1)
        self._as: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *command: str) -> None:
        done = subprocess.run([*self._as, *command], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise PostgresUnavailable(f"{Path(command[0]).name} failed ({done.returncode}): {done.stderr.strip()}\n{log}")

    def start(self) -> PostgresCluster:
        pwfile = self.root / "pw"
        pwfile.write_text(self.password)
        if self._as:
            shutil.chown(pwfile, "postgres")
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-E", "UTF8", "--no-sync",
            "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}",
        )
        pwfile.unlink()
        options = " ".join([
            f"-p {self.port}", "-c listen_addresses=127.0.0.1", f"-c unix_socket_directories={self.root}",
            "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=300",
        ])
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")
        return self

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    def new_database(self, prefix: str = "trips") -> str:
        """A fresh empty database; returns its URL (password included, as an operator would pass it)."""
        name = f"{prefix}_{next(self._names)}"
        with psycopg.connect(self.dsn(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run(
                [*self._as, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                capture_output=True, timeout=60,
            )
        shutil.rmtree(self.root, ignore_errors=True)
