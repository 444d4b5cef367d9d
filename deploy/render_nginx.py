"""Render deploy/nginx.conf.template: nginx's configuration for production and for `make run`.

    python3 deploy/render_nginx.py production --bot-server-name triage.example \\
        --console-server-name console.example --rasa rasa:5005 --console console:5020 > nginx.conf
    python3 deploy/render_nginx.py local --listen 127.0.0.1:5005 --rasa 127.0.0.1:5006 \\
        --rasa 127.0.0.1:5007 --state-dir .run/nginx --error-log .run/logs/nginx.log > .run/nginx/nginx.conf

One template, so that both have the same locations, the same request rates and the same Socket.IO
stickiness; what differs is in the values below and in the template's `#{{if ...}}` sections.
Standard library only: it runs in the nginx image (Debian's python3) and for make run (deploy/processes.toml).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
SECTION = re.compile(r"^#\{\{if (\w+)\}\}$")
SECTION_END = "#{{end}}"


def render(template: str, values: Mapping[str, str], sections: set[str]) -> str:
    """Keep the sections named in `sections`, drop the others, fill every {{name}} outside comments.

    A placeholder without a value is an error, so is a section left open.
    """
    kept: list[str] = []
    inside: str | None = None
    for line in template.splitlines():
        opening = SECTION.match(line.strip())
        if opening:
            if inside is not None:
                raise ValueError(f"section {opening.group(1)} opened inside section {inside}")
            inside = opening.group(1)
            continue
        if line.strip() == SECTION_END:
            if inside is None:
                raise ValueError("#{{end}} without a section")
            inside = None
            continue
        if inside is None or inside in sections:
            kept.append(line)
    if inside is not None:
        raise ValueError(f"section {inside} is never closed")

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"no value for {{{{{name}}}}}")
        return values[name]

    # Comments are copied as they are (they may name placeholders and sections).
    lines = (line if line.lstrip().startswith("#") else PLACEHOLDER.sub(value, line) for line in kept)
    return "\n".join(lines) + "\n"


def upstream_servers(addresses: list[str]) -> str:
    """One `server` line per Rasa process; a process that fails is left alone for ten seconds."""
    return "\n".join(f"        server {address} max_fails=1 fail_timeout=10s;" for address in addresses)


def production_values(
    bot_server_name: str, console_server_name: str, rasa: list[str], console: str, listen: str, state_dir: str
) -> dict[str, str]:
    return {
        "worker_processes": "auto",
        "state_dir": state_dir,
        "error_log": "/dev/stderr",
        "access_log": "/dev/stdout coopsante",
        "rate_limit_exempt": "",
        "rasa_servers": upstream_servers(rasa),
        "console_server": console,
        "listen": listen,
        "bot_server_name": bot_server_name,
        "console_server_name": console_server_name,
        "other_paths": "return 404;",
    }


def local_values(listen: str, rasa: list[str], state_dir: str, error_log: str, limit_loopback: bool) -> dict[str, str]:
    return {
        "worker_processes": "1",
        "state_dir": state_dir,
        "error_log": error_log,
        "access_log": "off",
        "rate_limit_exempt": f"        127.0.0.1 {0 if limit_loopback else 1};",
        "rasa_servers": upstream_servers(rasa),
        "listen": listen,
        "bot_server_name": "localhost",
        "other_paths": "proxy_pass http://rasa;",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render nginx's configuration from deploy/nginx.conf.template.")
    modes = parser.add_subparsers(dest="mode", required=True)
    production = modes.add_parser("production", help="the nginx image of deploy/docker-compose.yml")
    production.add_argument("--bot-server-name", required=True)
    production.add_argument("--console-server-name", required=True)
    production.add_argument("--rasa", action="append", default=[], help="host:port of a Rasa server (repeatable)")
    production.add_argument("--console", default="console:5020")
    production.add_argument("--listen", default="8080")
    production.add_argument("--state-dir", default="/var/lib/nginx/coopsante")
    local = modes.add_parser("local", help="make run's nginx (deploy/processes.toml)")
    local.add_argument("--listen", required=True)
    local.add_argument("--rasa", action="append", default=[], help="host:port of a Rasa server (repeatable)")
    local.add_argument("--state-dir", required=True)
    local.add_argument("--error-log", required=True)
    local.add_argument("--limit-loopback", action="store_true", help="rate-limit 127.0.0.1 too")
    args = parser.parse_args(argv)
    if args.mode == "production":
        values = production_values(
            args.bot_server_name,
            args.console_server_name,
            args.rasa or ["rasa:5005"],
            args.console,
            args.listen,
            args.state_dir,
        )
    else:
        if not args.rasa:
            parser.error("at least one --rasa")
        values = local_values(args.listen, args.rasa, args.state_dir, args.error_log, args.limit_loopback)
    sys.stdout.write(render(TEMPLATE.read_text(encoding="utf-8"), values, {args.mode}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
