"""`make run`'s stack on chosen ports, started from Python: for end-to-end tests and the SMS report.

Runs scripts/run.sh (the processes of deploy/processes.toml under supervisord, tools/supervise.py) in
its own process group, waits until it says it is up, and stops it afterwards as Ctrl-C would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 300
# Settings that would point the stack at something else than its own local servers.
OUTSIDE_SETTINGS = (
    "DATABASE_URL",
    "REDIS_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_API_BASE_URL",
    "PUBLIC_BASE_URL",
    "TWILIO_FROM_NUMBER",
)


class StackError(RuntimeError):
    """The stack could not start; the message holds its output."""


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def local_stack(
    ports: Mapping[str, int], run_dir: Path, auth_token: str, settings: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    """scripts/run.sh on `ports` (RASA_PORT, ACTIONS_PORT, REDIS_PORT, TWILIO_LOCAL_PORT).

    SMS goes through the local Twilio server, whose webhooks are signed with `auth_token`.
    `settings` are more environment variables for the stack (WEB_ALLOWED_ORIGINS, ...).
    """
    busy = [p for p in ports.values() if port_open(p)]
    if busy:
        raise StackError(f"ports {busy} are busy: stop what uses them")
    if os.geteuid() == 0:
        # As root, PostgreSQL runs as `postgres`, which must reach its data folder in here.
        run_dir.chmod(0o755)
    env = {**os.environ, **{k: str(v) for k, v in ports.items()}, "RUN_DIR": str(run_dir)}
    env["TWILIO_AUTH_TOKEN"] = auth_token
    for name in OUTSIDE_SETTINGS:
        env.pop(name, None)
    env.update(settings or {})
    process = subprocess.Popen(
        ["bash", "scripts/run.sh"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        # As in a terminal, Ctrl-C (SIGINT) reaches the script even when whoever started us ignores it
        # (a job started in the background): a shell cannot trap a signal ignored on entry.
        preexec_fn=_default_sigint,
    )
    try:
        _wait_until_up(process)
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen[str], seconds: float = 60) -> None:
    """SIGTERM, as a service manager stops it; SIGKILL to whatever is left after `seconds`.

    supervisord puts each process it starts in a process group of its own (Ctrl-C in a terminal
    reaches supervisord, which stops them in turn): a SIGKILL to the script's group alone would leave
    them running.
    """
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def _wait_until_up(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    deadline = time.monotonic() + STARTUP_SECONDS
    output: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        output.append(line)
        if "is up" in line:
            return
        if process.poll() is not None:
            raise StackError("run.sh stopped:\n" + "".join(output))
    raise StackError("run.sh did not come up:\n" + "".join(output))
