"""python -m tools.supervise (what `make run` runs): the processes of deploy/processes.toml, supervised.

The declaration names every process and one-off task, its command, port, readiness check and what it
comes after; deploy/docker-compose.yml runs the same commands in production (tests/unit/test_processes.py).
This module turns the declaration into a supervisord configuration (.run/supervisord.conf), starts
supervisord, and starts each process once what it comes `after` is ready, as today's order wants:
PostgreSQL and Redis ready and migrated before the actions and Rasa, Rasa's model loaded before the
banner says the stack is up. Then supervisord keeps them running; Ctrl-C stops them all.

Why supervisord (Supervisor, pip `supervisor`, also a Debian package): a long-kept service manager in
pure Python with no dependencies. It restarts a process that dies, writes one log per process (rotated),
stops them all together, and `supervisorctl` shows and restarts them. It knows nothing of readiness,
hence the ordering here. honcho (Procfile) was the other candidate: it stops everything when one
process dies, where make run must start it again.

    .venv/bin/supervisorctl -c .run/supervisord.conf status              # what runs, since when
    .venv/bin/supervisorctl -c .run/supervisord.conf restart coopsante:rasa
"""

from __future__ import annotations

import ctypes
import hashlib
import http.client
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import types
import urllib.request
import xmlrpc.client
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DECLARATION = ROOT / "deploy" / "processes.toml"
GROUP = "coopsante"  # supervisord's group of every process: stopped together, as one
PLACEHOLDER = re.compile(r"\{(\w+)\}")
STOP_SECONDS = 90  # supervisord's own stop: 10 s per process, then SIGKILL


class StartError(RuntimeError):
    """A process stopped, or was not ready in time, while the stack started."""


class Stop(Exception):
    """Ctrl-C or SIGTERM."""


def load_declaration(path: Path = DECLARATION) -> dict[str, Any]:
    with path.open("rb") as file:
        return tomllib.load(file)


def steps(declaration: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, name, spec) of every process and task, in the file's order within each kind."""
    return [(kind, name, spec) for kind in ("task", "process") for name, spec in declaration.get(kind, {}).items()]


@dataclass
class Unit:
    """One thing make run runs: a task (to its end) or a supervised process (one of `count`)."""

    name: str  # supervisord's program name (rasa-2), or the task's
    step: str  # its name in the declaration (rasa)
    kind: str  # "process" or "task"
    argv: list[str]
    after: list[str]
    log: Path | None = None
    ready_http: str | None = None
    ready_command: list[str] | None = None
    ready_seconds: float = 60.0
    prepare: list[str] | None = None
    prepared: Path | None = None  # where the prepare command's output goes
    banner: bool = False
    port: int | None = None
    stop_signal: str = "TERM"


@dataclass
class Plan:
    units: list[Unit]
    env: dict[str, str]
    run_dir: Path
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def logs(self) -> Path:
        return self.run_dir / "logs"

    def running(self, step: str) -> bool:
        return any(unit.step == step for unit in self.units)


def default_rasa_processes() -> int:
    """As many as the machine has cores, and no more than its free memory holds (about 1 GB each)."""
    count = os.cpu_count() or 1
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                count = min(count, int(line.split()[1]) // 1048576)
    except OSError:
        pass
    return max(1, count)


def fill(tokens: list[str], values: Mapping[str, str | list[str]], env: Mapping[str, str]) -> list[str]:
    """Placeholders replaced: {name} from `values`, {NAME} from `env`; a list value stands for several arguments."""
    out: list[str] = []
    for token in tokens:
        whole = PLACEHOLDER.fullmatch(token)
        if whole and isinstance(values.get(whole.group(1)), list):
            out.extend(values[whole.group(1)])
            continue

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                found = values[name]
                return found if isinstance(found, str) else " ".join(found)
            if name.isupper() and name in env:
                return env[name]
            raise KeyError(f"deploy/processes.toml: no value for {{{name}}}")

        out.append(PLACEHOLDER.sub(value, token))
    return out


def make_plan(declaration: Mapping[str, Any], environ: Mapping[str, str], run_dir: Path) -> Plan:
    """What make run runs here: the steps this environment wants, their commands, ports and variables."""
    env = dict(environ)
    if not env.get("PYTHONPATH", "").startswith(str(ROOT)):
        env["PYTHONPATH"] = str(ROOT) + (":" + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["RUN_DIR"] = str(run_dir)
    every = steps(declaration)
    for _, _, spec in every:
        if "port" in spec:
            env.setdefault(spec["port"]["variable"], str(spec["port"]["default"]))
    chosen = {name for _, name, spec in every if not environ.get(spec.get("unless_set", ""), "")}
    chosen = {name for _, name, spec in every if name in chosen and set(spec.get("when", [])) <= chosen}
    counts: dict[str, int] = {}
    for _, name, spec in every:
        if "count" in spec:
            counts[name] = int(environ.get(spec["count"]) or default_rasa_processes())
    # A front (nginx before several Rasa servers) only when there are several.
    chosen = {name for _, name, spec in every if name in chosen and ("front" not in spec or counts[spec["front"]] > 1)}

    base: dict[str, str | list[str]] = {"run": str(run_dir), "logs": str(run_dir / "logs")}

    def set_env(spec: Mapping[str, Any], values: Mapping[str, str | list[str]]) -> None:
        for name, text in spec.get("env", {}).items():
            env[name] = fill([text], values, env)[0]
        for name, text in spec.get("env_defaults", {}).items():
            if not env.get(name):
                env[name] = fill([text], {**values, "random": secrets.token_hex(16)}, env)[0]

    set_env(declaration.get("make_run", {}), base)
    for _, name, spec in every:
        if name in chosen:
            set_env(spec, {**base, "port": env[spec["port"]["variable"]]} if "port" in spec else base)

    base["endpoints"] = _endpoints(env, run_dir)
    base["limit_loopback"] = ["--limit-loopback"] if env.get("NGINX_LIMIT_LOOPBACK") == "1" else []
    units: list[Unit] = []
    for kind, name, spec in every:
        if name not in chosen:
            continue
        count = counts.get(name, 1)
        for number in range(1, count + 1):
            values = dict(base)
            port = None
            if "port" in spec:
                port = int(env[spec["port"]["variable"]]) + (number if count > 1 else 0)
                values["port"] = str(port)
            for key, text in spec.get("values", {}).items():
                values[key] = fill([text], values, env)[0]
            if "front" in spec:
                front = int(env[declaration["process"][spec["front"]]["port"]["variable"]])
                values["upstreams"] = [
                    arg for n in range(1, counts[spec["front"]] + 1) for arg in ("--rasa", f"127.0.0.1:{front + n}")
                ]
            unit = Unit(
                name=f"{name}-{number}" if count > 1 else name,
                step=name,
                kind=kind,
                argv=fill(spec["command"] + spec.get("make_run", []), values, env),
                after=list(spec.get("after", [])),
                banner=spec.get("output") == "banner",
                port=port,
            )
            if kind == "process":
                log = spec.get("log", f"{name}.log")
                unit.log = run_dir / "logs" / (log.replace(".log", f"-{number}.log") if count > 1 else log)
                ready = spec.get("ready", {})
                unit.ready_http = fill([ready["http"]], values, env)[0] if "http" in ready else None
                unit.ready_command = fill(ready["command"], values, env) if "command" in ready else None
                unit.ready_seconds = float(ready.get("seconds", 60))
                if "prepare" in spec:
                    unit.prepare = fill(spec["prepare"]["command"], values, env)
                    unit.prepared = Path(fill([spec["prepare"]["output"]], values, env)[0])
                unit.stop_signal = spec.get("stop_signal", "TERM")
                if "data" in values:
                    Path(str(values["data"])).mkdir(parents=True, exist_ok=True)
            units.append(unit)
    return Plan(units, env, run_dir, counts)


def _endpoints(env: Mapping[str, str], run_dir: Path) -> str:
    """endpoints.yml, or a copy naming the action server's port when it is not the default."""
    port = env.get("ACTIONS_PORT", "5055")
    if port == "5055":
        return "endpoints.yml"
    copy = run_dir / "endpoints.yml"
    copy.write_text((ROOT / "endpoints.yml").read_text().replace("localhost:5055", f"localhost:{port}"))
    return str(copy)


def executable(argv: list[str]) -> list[str]:
    """`python` and `rasa` from this virtualenv, anything else from PATH (and /usr/sbin: nginx)."""
    here = Path(sys.executable).parent
    if (here / argv[0]).exists():
        return [str(here / argv[0]), *argv[1:]]
    found = shutil.which(argv[0], path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    return [found or argv[0], *argv[1:]]


def socket_path(run_dir: Path) -> Path:
    """supervisord's socket in the run folder, or in /tmp when that path is too long for a unix socket."""
    path = run_dir / "supervisor.sock"
    if len(str(path)) < 100:
        return path
    return Path(tempfile.gettempdir()) / f"coopsante-{hashlib.sha256(str(path).encode()).hexdigest()[:12]}.sock"


def supervisord_conf(plan: Plan) -> str:
    """supervisord's configuration: every process of the plan, started on request, restarted when it dies."""

    def quoted(argv: list[str]) -> str:
        return " ".join(shlex.quote(arg) for arg in executable(argv)).replace("%", "%%")

    socket = socket_path(plan.run_dir)
    lines = [
        "; Written by tools/supervise.py from deploy/processes.toml at each make run: edit those instead.",
        "[unix_http_server]",
        f"file={socket}",
        "chmod=0700",
        "[supervisord]",
        "nodaemon=true",
        "silent=true",
        f"logfile={plan.logs / 'supervisord.log'}",
        f"pidfile={plan.run_dir / 'supervisord.pid'}",
        "minfds=256",
        "minprocs=64",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "[supervisorctl]",
        f"serverurl=unix://{socket}",
    ]
    processes = [unit for unit in plan.units if unit.kind == "process"]
    for unit in processes:
        lines += [
            f"[program:{unit.name}]",
            f"command={quoted(unit.argv)}",
            f"directory={ROOT}",
            "autostart=false",  # started in the declaration's order by tools/supervise.py
            "autorestart=true",
            "startsecs=1",
            "startretries=10",  # a restart that dies within startsecs, retried with a growing pause
            f"stopsignal={unit.stop_signal}",
            "stopwaitsecs=10",
            "redirect_stderr=true",
            f"stdout_logfile={unit.log}",
            "stdout_logfile_maxbytes=50MB",
            "stdout_logfile_backups=5",
        ]
    lines += [f"[group:{GROUP}]", "programs=" + ",".join(unit.name for unit in processes)]
    return "\n".join(lines) + "\n"


def _die_with_parent() -> None:
    """In supervisord's process: SIGTERM when this launcher dies, so that it stops what it started."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Supervisor:
    """supervisord, started in the foreground of this process, driven over its unix socket."""

    def __init__(self, plan: Plan, conf: Path) -> None:
        from supervisor.xmlrpc import SupervisorTransport

        socket = socket_path(plan.run_dir)
        socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            executable(["supervisord", "-n", "-c", str(conf)]),
            cwd=ROOT,
            env=plan.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + 15
        while True:
            # A transport that failed once keeps failing: a new one each try.
            transport = SupervisorTransport(None, None, f"unix://{socket}")
            self.rpc: Any = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor
            try:
                self.rpc.getState()
                return
            except (OSError, http.client.HTTPException):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise StartError(f"supervisord did not start; see {plan.logs / 'supervisord.log'}") from None
                time.sleep(0.1)

    def start(self, name: str) -> dict[str, Any]:
        self.rpc.startProcess(f"{GROUP}:{name}", False)
        info: dict[str, Any] = self.rpc.getProcessInfo(f"{GROUP}:{name}")
        return info

    def info(self, name: str) -> dict[str, Any]:
        info: dict[str, Any] = self.rpc.getProcessInfo(f"{GROUP}:{name}")
        return info

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


STARTING, RUNNING = 10, 20  # supervisord's process states


def _ready(unit: Unit, env: Mapping[str, str]) -> bool:
    if unit.ready_http:
        try:
            with urllib.request.urlopen(unit.ready_http, timeout=2) as response:
                return bool(200 <= response.status < 300)
        except OSError:
            return False
    if unit.ready_command:
        assert unit.log is not None
        with unit.log.open("a") as log:
            done = subprocess.run(executable(unit.ready_command), cwd=ROOT, env=env, stdout=log, stderr=log)
        return done.returncode == 0
    return True


def bring_up(plan: Plan, supervisor: Supervisor) -> dict[str, str]:
    """Run and start every unit in the declaration's order; the banner output of the tasks, by task."""
    declared = {unit.step for unit in plan.units}
    ready: set[str] = set()  # unit names
    waiting: dict[str, tuple[Unit, float, int]] = {}  # started processes: deadline, their first pid
    pending = list(plan.units)
    shown: dict[str, str] = {}

    def step_ready(step: str) -> bool:
        return step not in declared or all(u.name in ready for u in plan.units if u.step == step)

    while pending or waiting:
        startable = [u for u in pending if all(step_ready(a) for a in u.after)]
        if not startable and not waiting:
            raise StartError(f"deploy/processes.toml: {[u.name for u in pending]} wait for each other")
        for unit in startable:
            pending.remove(unit)
            argv = executable(unit.argv)
            if unit.kind == "task":
                done = subprocess.run(argv, cwd=ROOT, env=plan.env, stdout=subprocess.PIPE if unit.banner else None)
                if done.returncode != 0:
                    raise StartError(f"{unit.name} ({' '.join(unit.argv)}) failed with exit {done.returncode}")
                if unit.banner:
                    shown[unit.name] = done.stdout.decode()
                ready.add(unit.name)
                continue
            if unit.prepare and unit.prepared:
                unit.prepared.parent.mkdir(parents=True, exist_ok=True)
                with unit.prepared.open("w") as out:
                    subprocess.run(executable(unit.prepare), cwd=ROOT, env=plan.env, stdout=out, check=True)
            info = supervisor.start(unit.name)
            waiting[unit.name] = (unit, time.monotonic() + unit.ready_seconds, int(info["pid"]))
        for name, (unit, deadline, pid) in list(waiting.items()):
            info = supervisor.info(name)
            if info["state"] not in (STARTING, RUNNING) or (pid and info["pid"] not in (0, pid)):
                raise StartError(f"{name} stopped; see {plan.logs}/")
            if info["state"] == RUNNING and _ready(unit, plan.env):
                del waiting[name]
                ready.add(name)
            elif time.monotonic() > deadline:
                raise StartError(f"{name} did not start within {unit.ready_seconds:.0f} s; see {plan.logs}/")
        if waiting:
            time.sleep(0.5)
    return shown


def _masked(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", url)


def banner(plan: Plan, shown: Mapping[str, str], seconds: float) -> str:
    conf = plan.run_dir / "supervisord.conf"
    up = f"\nCoop Santé Triage is up ({seconds:.0f} s to load)."
    where = (
        f"  Logs                {plan.logs}/  (one per process)\n"
        f"  Processes           .venv/bin/supervisorctl -c {conf} status"
    )
    if not plan.running("rasa"):  # another declaration (tests/integration/test_supervise.py)
        return f"{up}\n{where}"
    env = plan.env
    rasa, console = env["RASA_PORT"], env["CONSOLE_PORT"]
    if plan.running("twilio"):
        port = env["TWILIO_LOCAL_PORT"]
        sms = (
            f"SMS simulator       http://127.0.0.1:{port}/  (local: no real SMS is sent)\n"
            f"  Phone simulator     .venv/bin/python -m tools.voice_client --twilio http://127.0.0.1:{port}"
        )
    else:
        public = env["PUBLIC_BASE_URL"]
        sms = (
            f"SMS (Twilio)        webhook {public}/webhooks/sms/webhook, status {public}/webhooks/sms/status\n"
            f"  Phone (Twilio)      voice webhook {public}/webhooks/voice/webhook"
        )
    accounts = shown.get("demo-accounts", "").rstrip("\n") or (
        "  (accounts: python -m ops.console_user add EMAIL --name NAME --role infirmiere --coop COOP)"
    )
    return f"""{up}
  Rasa server (REST)  http://localhost:{rasa}/webhooks/rest/webhook  ({plan.counts.get("rasa", 1)} process(es))
  Web chat demo page  http://127.0.0.1:{rasa}/webhooks/web/demo
  Clinician console   http://127.0.0.1:{console}/
{accounts}
  {sms}
  Action server       http://localhost:{env["ACTIONS_PORT"]}/webhook
  Redis               {_masked(env.get("REDIS_URL", ""))}
  PostgreSQL          {_masked(env.get("DATABASE_URL", ""))}
{where}

Try:  curl -s localhost:{rasa}/webhooks/rest/webhook -d '{{"sender":"moi","message":"quelles sont vos heures?"}}'
Ctrl-C stops everything."""


def _stop(signum: int, frame: types.FrameType | None) -> None:
    raise Stop


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="make run: the processes of deploy/processes.toml, supervised.")
    parser.add_argument("--declaration", type=Path, default=DECLARATION, help="another declaration (tests)")
    args = parser.parse_args(argv)
    run_dir = Path(os.environ.get("RUN_DIR", ".run"))
    run_dir = (run_dir if run_dir.is_absolute() else ROOT / run_dir).resolve()
    (run_dir / "logs").mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    supervisor: Supervisor | None = None
    try:
        plan = make_plan(load_declaration(args.declaration), os.environ, run_dir)
        conf = run_dir / "supervisord.conf"
        conf.write_text(supervisord_conf(plan))
        supervisor = Supervisor(plan, conf)
        shown = bring_up(plan, supervisor)
        print(banner(plan, shown, time.monotonic() - began), flush=True)
        code = supervisor.process.wait()
        print(f"supervisord stopped (exit {code}); see {plan.logs / 'supervisord.log'}", file=sys.stderr)
        return 1
    except Stop:
        print("\n==> stopping", flush=True)
        return 0
    except StartError as error:
        print(error, file=sys.stderr, flush=True)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut the stop short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if supervisor is not None:
            supervisor.stop()


if __name__ == "__main__":
    sys.exit(main())
