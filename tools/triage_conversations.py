"""make triage-conversations DATA=<jsonl>: multi-turn triage over REST, as another system would read it.

Each conversation (`{"turns": [...], "expected": "911"}`) is sent message by message to a running
stack's REST channel (a new sender each), and the disposition is read after the last message from
the conversation's slot `triage_disposition` through Rasa's HTTP API. Prints TRIAGE.md's scores.
Start the stack first (`make run`).
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from bot.dialogue.slots import Slot
from bot.triage.dispositions import Disposition
from bot.triage.metrics import score


def post(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.load(answer)


def slot(base: str, sender: str, name: str, token: str = "") -> Any:
    query = urllib.parse.urlencode({"include_events": "NONE", **({"token": token} if token else {})})
    url = f"{base}/conversations/{urllib.parse.quote(sender)}/tracker?{query}"
    with urllib.request.urlopen(url, timeout=30) as answer:
        return json.load(answer)["slots"].get(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--url", default="http://127.0.0.1:5005", help="the Rasa server (REST channel and HTTP API)")
    parser.add_argument("--coop", default="", help="the coop, as a web page would pass it in metadata")
    parser.add_argument("--token", default="", help="Rasa's HTTP API token, when set")
    args = parser.parse_args(argv)
    expected: list[Disposition] = []
    predicted: list[Disposition] = []
    for line in args.data.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        sender = f"eval-{uuid.uuid4().hex}"
        for turn in item["turns"]:
            body: dict[str, Any] = {"sender": sender, "message": str(turn)}
            if args.coop:
                body["metadata"] = {"coop": args.coop}
            post(f"{args.url}/webhooks/rest/webhook", body)
        got = Disposition.parse(str(slot(args.url, sender, Slot.TRIAGE_DISPOSITION, args.token) or "info"))
        want = Disposition.parse(str(item["expected"]))
        expected.append(want)
        predicted.append(got)
        if got.level != want.level:
            flag = "UNDER" if got.level < want.level else "over "
            print(f"  {flag} {want.value:>12} -> {got.value:<12} {' / '.join(item['turns'])[:150]}")
    result = score(expected, predicted)
    print(result.report())
    return 1 if result.failures() else 0


if __name__ == "__main__":
    sys.exit(main())
