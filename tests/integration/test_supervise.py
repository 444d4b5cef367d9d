"""make run's supervisor (tools/supervise.py over supervisord), on a small declaration of its own.

A task, a web server with a readiness check, and a process that comes after it: the order is kept,
each process logs to its own file, one killed with SIGKILL is started again, and Ctrl-C stops all.
The stack itself under the real declaration is in tests/e2e (and tests/scale kills Rasa and Redis).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tools.local_stack import port_open
from tools.supervise import ROOT

DECLARATION = """
[task.first-step]
command = ["python", "-c", "print('first step ran')"]
make_run_only = "a test"

[process.web]
command = ["python", "-m", "http.server", "--bind", "127.0.0.1", "{port}"]
port = { variable = "WEB_PORT", default = 0 }
after = ["first-step"]
ready = { http = "http://127.0.0.1:{port}/", seconds = 30 }
env = { WEB_URL = "http://127.0.0.1:{port}/" }
log = "web.log"

[process.reader]
command = ["python", "-u", "-c", "import os, time; print('reader sees', os.environ['WEB_URL']); time.sleep(600)"]
after = ["web"]
make_run_only = "a test"
log = "reader.log"
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def supervisorctl(run_dir: Path, *args: str) -> str:
    command = [str(Path(sys.executable).parent / "supervisorctl"), "-c", str(run_dir / "supervisord.conf"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=30).stdout


def eventually(check: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("not within the time")


def test_order_logs_restart_and_ctrl_c(tmp_path: Path) -> None:
    declaration = tmp_path / "processes.toml"
    declaration.write_text(DECLARATION)
    port = free_port()
    run_dir = tmp_path / "run"
    env = {**os.environ, "RUN_DIR": str(run_dir), "WEB_PORT": str(port), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.supervise", "--declaration", str(declaration)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        output: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("is up" in line for line in output):
            output.append(process.stdout.readline())
            assert process.poll() is None, "".join(output)
        text = "".join(output)
        assert "first step ran" in text.split("is up")[0]
        assert port_open(port)

        events = (run_dir / "logs" / "supervisord.log").read_text()
        assert events.index("success: web entered RUNNING") < events.index("spawned: 'reader'")
        eventually(lambda: f"reader sees http://127.0.0.1:{port}/" in (run_dir / "logs" / "reader.log").read_text())
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).close()
        assert "GET / " in (run_dir / "logs" / "web.log").read_text()  # its own log

        first = int(supervisorctl(run_dir, "pid", "coopsante:web"))
        os.kill(first, signal.SIGKILL)
        eventually(lambda: supervisorctl(run_dir, "pid", "coopsante:web").strip() not in ("", "0", str(first)))
        eventually(lambda: port_open(port))
        reader = int(supervisorctl(run_dir, "pid", "coopsante:reader"))

        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal
        assert process.wait(timeout=60) == 0
        assert not port_open(port)
        assert not Path(f"/proc/{reader}").exists()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
