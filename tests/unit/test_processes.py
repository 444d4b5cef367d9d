"""One declaration of the processes (deploy/processes.toml) for `make run` and for production.

Issue 17: `scripts/run.sh` re-implemented a process supervisor beside a compose file nobody checked
against it. `make run` now starts the declaration under supervisord (tools/supervise.py); these tests
hold deploy/docker-compose.yml (and make test-deploy's deploy/compose.test.yml) to the same processes
with the same commands, modulo hosts, ports, paths and secrets, both ways.
"""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.supervise import PLACEHOLDER, ROOT, load_declaration, make_plan, steps, supervisord_conf

COMPOSE_FILES = [ROOT / "deploy" / "docker-compose.yml", ROOT / "deploy" / "compose.test.yml"]


def compose_services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = {}
    for path in COMPOSE_FILES:
        services.update(yaml.safe_load(path.read_text(encoding="utf-8"))["services"])
    return services


def compose_command(service: dict[str, Any]) -> list[str]:
    """The command a service runs, unwrapped: `sh -c "checks && exec CMD"` is CMD, and the images'
    `python -c "<deploy/logging.yml applied>; from M import main; main()" ARGS` is `python -m M ARGS`."""
    command = service["command"]
    argv = shlex.split(command) if isinstance(command, str) else [str(arg) for arg in command]
    if argv[:2] == ["sh", "-c"]:
        argv = shlex.split(argv[2].rsplit("exec ", 1)[1])
    if argv[:2] == ["python", "-c"]:
        runs = re.search(r"from ([\w.]+) import main; main\(\)$", argv[2])
        if runs:
            assert "dictConfig" in argv[2] and "deploy/logging.yml" in argv[2], "production logging first"
            argv = ["python", "-m", runs.group(1).removesuffix(".__main__"), *argv[3:]]
    return argv


def same_modulo_values(declared: list[str], actual: list[str]) -> bool:
    """Token by token; a {placeholder} stands for any value (a host, a port, a path, a secret)."""
    if len(declared) != len(actual):
        return False
    for want, have in zip(declared, actual, strict=True):
        parts = PLACEHOLDER.split(want)  # literal, name, literal, name...
        pattern = "".join(".+" if i % 2 else re.escape(part) for i, part in enumerate(parts))
        if not re.fullmatch(pattern, have):
            return False
    return True


DECLARED = [(kind, name, spec) for kind, name, spec in steps(load_declaration()) if "service" in spec]


@pytest.mark.parametrize(("kind", "name", "spec"), DECLARED, ids=[name for _, name, _ in DECLARED])
def test_every_declared_process_has_a_compose_service_with_the_same_command(
    kind: str, name: str, spec: dict[str, Any]
) -> None:
    service = compose_services().get(spec["service"])
    assert service is not None, f"{name}: no service {spec['service']!r} in the compose files"
    if "image_entrypoint" in spec:
        # The image's entry point runs the same server (Debian's PostgreSQL, nginx with the one template).
        assert "command" not in service, f"{name}: the compose file would replace the image's entry point"
        script = Path(spec["image_entrypoint"])
        assert (ROOT / script).exists()
        assert service["build"]["dockerfile"] == "Dockerfile.services"
        assert script.name in (ROOT / "deploy" / "Dockerfile.services").read_text(encoding="utf-8")
        return
    declared = spec["command"] + spec.get("compose", [])
    actual = compose_command(service)
    assert same_modulo_values(declared, actual), f"{name}:\n declared {declared}\n compose  {actual}"


def test_every_compose_service_is_a_declared_process() -> None:
    declared = {spec["service"] for _, _, spec in DECLARED}
    assert set(compose_services()) - declared == set()


def test_what_make_run_alone_runs_says_why() -> None:
    for _, name, spec in steps(load_declaration()):
        assert "service" in spec or spec.get("make_run_only"), f"{name}: a compose service, or why not"


def test_every_step_comes_after_declared_steps_and_runs_when_declared_ones_do() -> None:
    declaration = load_declaration()
    names = {name for _, name, _ in steps(declaration)}
    for _, name, spec in steps(declaration):
        assert set(spec.get("after", [])) <= names, name
        assert set(spec.get("when", [])) <= names, name
        assert "front" not in spec or "count" in declaration["process"][spec["front"]], name


def test_every_module_and_script_the_declaration_runs_exists() -> None:
    """A module that moves (tools/ to ops/, say) is renamed in the declaration too."""
    import importlib.util

    for _, name, spec in steps(load_declaration()):
        commands = [
            spec["command"],
            spec.get("ready", {}).get("command", []),
            spec.get("prepare", {}).get("command", []),
        ]
        for argv in commands:
            if argv[:2] == ["python", "-m"]:
                assert importlib.util.find_spec(argv[2]) is not None, f"{name}: no module {argv[2]}"
            elif argv[:1] == ["python"] and argv[1].endswith(".py"):
                assert (ROOT / argv[1]).exists(), f"{name}: no script {argv[1]}"


def test_the_comparison_sees_a_changed_option() -> None:
    declared = ["redis-server", "--port", "{port}", "--appendfsync", "everysec"]
    assert same_modulo_values(declared, ["redis-server", "--port", "6379", "--appendfsync", "everysec"])
    assert not same_modulo_values(declared, ["redis-server", "--port", "6379", "--appendfsync", "always"])
    assert not same_modulo_values(declared, ["redis-server", "--port", "6379"])
    assert same_modulo_values(["--listen", "127.0.0.1:{port}"], ["--listen", "127.0.0.1:8080"])
    assert not same_modulo_values(["--listen", "127.0.0.1:{port}"], ["--listen", "0.0.0.0:8080"])


def plan(tmp_path: Path, **environ: str) -> Any:
    return make_plan(load_declaration(), {"PATH": "/usr/bin", **environ}, tmp_path)


def test_make_run_by_default_runs_its_own_stores_in_order(tmp_path: Path) -> None:
    made = plan(tmp_path, RASA_PROCESSES="1")
    names = [unit.name for unit in made.units]
    assert names[0] == "settings"
    assert {"postgres", "redis", "twilio", "actions", "rasa", "console", "console-worker"} <= set(names)
    assert "nginx" not in names  # only in front of several Rasa servers
    after = {unit.name: unit.after for unit in made.units}
    for store in ("redis", "migrate"):
        assert store in after["actions"] and store in after["rasa"]
    assert after["migrate"] == ["postgres"]
    assert made.env["REDIS_URL"] == "redis://127.0.0.1:6380/0"
    assert made.env["DATABASE_URL"] == "postgresql://coopsante@127.0.0.1:5440/coopsante"
    assert made.env["TWILIO_API_BASE_URL"] == "http://127.0.0.1:5011"
    rasa = next(unit for unit in made.units if unit.name == "rasa")
    assert rasa.ready_http == "http://localhost:5005/status"  # answers once the model is loaded
    assert "--port" in rasa.argv and rasa.argv[rasa.argv.index("--port") + 1] == "5005"


def test_outside_stores_and_twilio_replace_the_embedded_ones_and_their_demo_data(tmp_path: Path) -> None:
    made = plan(
        tmp_path,
        RASA_PROCESSES="1",
        REDIS_URL="redis://db:6379/0",
        DATABASE_URL="postgresql://x@db/y",
        TWILIO_ACCOUNT_SID="AC1",
    )
    names = {unit.name for unit in made.units}
    assert not names & {"redis", "postgres", "twilio", "demo-members", "demo-accounts", "demo-service"}
    assert "migrate" in names  # an outside database is migrated too
    assert made.env["REDIS_URL"] == "redis://db:6379/0"


def test_several_rasa_servers_take_the_next_ports_behind_nginx(tmp_path: Path) -> None:
    made = plan(tmp_path, RASA_PROCESSES="2", RASA_PORT="6005", NGINX_LIMIT_LOOPBACK="1")
    units = {unit.name: unit for unit in made.units}
    assert [units[f"rasa-{n}"].port for n in (1, 2)] == [6006, 6007]
    assert units["rasa-2"].log == tmp_path / "logs" / "rasa-2.log"
    nginx = units["nginx"]
    assert nginx.prepare is not None and "deploy/render_nginx.py" in nginx.prepare  # the one template
    assert nginx.prepare[-5:] == ["--rasa", "127.0.0.1:6006", "--rasa", "127.0.0.1:6007", "--limit-loopback"]
    assert nginx.ready_http == "http://localhost:6005/status"


def test_supervisord_restarts_each_process_and_logs_it_apart(tmp_path: Path) -> None:
    made = plan(tmp_path, RASA_PROCESSES="2")
    conf = configparser.RawConfigParser()
    conf.read_string(supervisord_conf(made))
    programs = [section for section in conf.sections() if section.startswith("program:")]
    assert len(programs) == len([unit for unit in made.units if unit.kind == "process"])
    logs = set()
    for section in programs:
        assert conf.get(section, "autorestart") == "true"
        assert conf.get(section, "autostart") == "false"  # started in order, once ready
        logs.add(conf.get(section, "stdout_logfile"))
    assert len(logs) == len(programs)
    assert all(Path(log).parent == tmp_path / "logs" for log in logs)
    assert conf.get("program:postgres", "stopsignal") == "INT"
    assert conf.get("program:redis", "command").split()[0].endswith("redis-server")


def image_commands() -> dict[str, list[str]]:
    """The CMD of each target of deploy/Dockerfile (the exec form), by target."""
    import json

    commands: dict[str, list[str]] = {}
    target = ""
    for line in (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8").splitlines():
        stage = re.match(r"FROM \S+ AS (\w+)", line)
        if stage:
            target = stage.group(1)
        elif line.startswith("CMD ["):
            commands[target] = json.loads(line.removeprefix("CMD "))
    return commands


def rasa_serve_command() -> list[str]:
    """What deploy/rasa-entrypoint.sh runs for `serve` (the Rasa image's CMD), $RASA_TOKEN as written."""
    script = (ROOT / "deploy" / "rasa-entrypoint.sh").read_text(encoding="utf-8")
    found = re.search(r"set -- (rasa run .*?)\n *;;", script.replace("\\\n", " "), re.S)
    assert found, "rasa-entrypoint.sh: serve sets the command"
    return shlex.split(found.group(1), posix=False)


def test_an_image_run_alone_runs_what_the_compose_file_runs() -> None:
    """The compose file writes out the actions', Rasa's and the console's commands; their images run the same."""
    services = compose_services()
    for target, command in image_commands().items():
        expected = [str(arg) for arg in services[target]["command"]]
        if command == ["serve"]:
            command = rasa_serve_command()
            expected = [re.sub(r"\$\{RASA_TOKEN[^}]*\}", '"$RASA_TOKEN"', arg) for arg in expected]
        assert command == expected, target
