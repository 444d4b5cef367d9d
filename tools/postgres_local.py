"""A private PostgreSQL server for local use and tests: Debian's binaries on a data folder of our own.

`make run` and the test suite start one when DATABASE_URL is not set, as they start Redis.
PostgreSQL refuses to run as root: as root, the server runs as the `postgres` system user that
Debian's package creates, through `setpriv` (which execs, so the PID is the server's).

    python -m tools.postgres_local serve --data DIR --port PORT    # initdb once, then the server
    python -m tools.postgres_local prepare --port PORT             # wait, create the database, migrate
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

import psycopg2

USER = "coopsante"
DATABASE = "coopsante"
SERVER_USER = "postgres"  # the system account the server runs as when we are root
READY_SECONDS = 30


def binary(name: str) -> str:
    """A PostgreSQL program: on PATH, or in Debian's versioned folder (newest version first)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version, reverse=True)
    if not candidates:
        raise SystemExit(f"PostgreSQL's {name} was not found: apt-get install postgresql (scripts/bootstrap.sh does)")
    return candidates[0]


def _version(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["setpriv", f"--reuid={SERVER_USER}", f"--regid={SERVER_USER}", "--init-groups", "--", *command]


def init(data_dir: Path) -> None:
    """Create the cluster once (trust on loopback only: the server listens on 127.0.0.1 alone)."""
    if (data_dir / "PG_VERSION").exists():
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVER_USER)
        os.chown(data_dir, account.pw_uid, account.pw_gid)
    subprocess.run(
        _as_server_user(
            [binary("initdb"), "-D", str(data_dir), "-U", USER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def reachable_folder(data_dir: Path) -> Path:
    """`data_dir`, or a folder under /var/tmp when the server's account cannot reach it (a checkout
    under /root, or a private temporary folder, while we are root)."""
    if os.geteuid() != 0:
        return data_dir
    parent = data_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    probe = subprocess.run(_as_server_user(["test", "-x", str(parent)]), check=False)
    if probe.returncode == 0:
        return data_dir
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    return Path("/var/tmp") / f"coopsante-postgres-{digest}"


def server_command(data_dir: Path, port: int, throwaway: bool = False) -> list[str]:
    """The server in the foreground; `throwaway` trades durability for speed (tests only)."""
    command = [binary("postgres"), "-D", str(data_dir), "-p", str(port), "-k", str(data_dir)]
    command += ["-c", "listen_addresses=127.0.0.1"]
    if throwaway:
        command += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    return _as_server_user(command)


def url(port: int) -> str:
    return f"postgresql://{USER}@127.0.0.1:{port}/{DATABASE}"


def wait_ready(port: int, seconds: float = READY_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            psycopg2.connect(host="127.0.0.1", port=port, user=USER, dbname="postgres", connect_timeout=1).close()
            return
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def create_database(port: int) -> None:
    connection = psycopg2.connect(host="127.0.0.1", port=port, user=USER, dbname="postgres")
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
            if cursor.fetchone() is None:
                cursor.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        connection.close()


def prepare(port: int) -> str:
    """Wait for the server, create the database if needed, bring its schema to the newest migration."""
    from bot.records.database import migrate

    wait_ready(port)
    create_database(port)
    migrate(url(port))
    return url(port)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="initdb once, then run the server in the foreground")
    serve.add_argument("--data", type=Path, required=True)
    serve.add_argument("--port", type=int, required=True)
    ready = sub.add_parser("prepare", help="wait for the server, create the database, migrate")
    ready.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if args.command == "serve":
        data_dir = reachable_folder(args.data.resolve())
        if data_dir != args.data.resolve():
            print(f"PostgreSQL's data folder is {data_dir} (the server's account cannot reach {args.data})")
        init(data_dir)
        command = server_command(data_dir, args.port)
        os.execvp(command[0], command)
    else:
        print(prepare(args.port))


if __name__ == "__main__":
    main()
