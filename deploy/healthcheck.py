"""Container health check: exit 0 when URL answers 2xx within the timeout, 1 otherwise.

    python /app/deploy/healthcheck.py http://127.0.0.1:5055/health
    python /app/deploy/healthcheck.py http://127.0.0.1:5005/status --token-from RASA_TOKEN

A script rather than `python -c "..."` in the compose file: no quotes to survive from one shell to
the next (podman-compose 1.0 wraps CMD-SHELL checks in single quotes). `--token-from NAME` adds
`?token=` and the value of that environment variable, which never appears in the command line.
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.parse
import urllib.request


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Exit 0 when URL answers 2xx.")
    parser.add_argument("url")
    parser.add_argument("--token-from", help="environment variable whose value is sent as ?token=")
    parser.add_argument("--timeout", type=float, default=4.0)
    args = parser.parse_args(argv)
    url = args.url
    if args.token_from:
        url += "?" + urllib.parse.urlencode({"token": os.environ.get(args.token_from, "")})
    try:
        with urllib.request.urlopen(url, timeout=args.timeout) as response:
            return 0 if 200 <= response.status < 300 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
