"""Call the bot's phone line through the local Twilio server's voice simulator (tools/twilio_local.py).

    python -m tools.voice_client --twilio http://127.0.0.1:5011 [--from +18195550101] [--to +18195550100]

Type what the caller says; `#123` presses keys, an empty line is silence, `!no-answer` (or
`!completed`, `!busy`) says how a transfer went. Each answer prints what the line says and does.
"""

from __future__ import annotations

import argparse
import json
import urllib.request
from dataclasses import dataclass
from typing import Any

from tools.twilio_local import DEFAULT_COOP_PHONE, DEFAULT_MEMBER_PHONE, DEFAULT_PORT


@dataclass(frozen=True)
class VoiceClient:
    twilio_url: str  # the local Twilio-compatible server

    def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.twilio_url + path, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return dict(json.load(response))

    def call(self, caller: str, called: str) -> dict[str, Any]:
        """Ring the coop; the simulator's view of the first answer (said, then, twiml, seconds)."""
        return self._post("/_local/calls", {"from": caller, "to": called})

    def say(self, sid: str, speech: str, confidence: float = 0.9) -> dict[str, Any]:
        return self._post(f"/_local/calls/{sid}/answer", {"speech": speech, "confidence": confidence})

    def press(self, sid: str, digits: str) -> dict[str, Any]:
        return self._post(f"/_local/calls/{sid}/answer", {"digits": digits})

    def silence(self, sid: str) -> dict[str, Any]:
        return self._post(f"/_local/calls/{sid}/answer", {})

    def dial(self, sid: str, status: str) -> dict[str, Any]:
        """How the transfer the line asked for went: completed, no-answer, busy, failed."""
        return self._post(f"/_local/calls/{sid}/dial", {"status": status})


def show(view: dict[str, Any]) -> None:
    if view.get("error"):
        print(f"  ! HTTP {view.get('status')}: {view['error']}")
        return
    for line in view["said"]:
        print(f"  < {line}")
    then = view["then"]
    print(f"  [{then}{' ' + view['dialled'] if then == 'dial' else ''}, {view['seconds'] * 1000:.0f} ms]")


def main() -> None:
    parser = argparse.ArgumentParser(description="Call the bot's phone line through the local voice simulator.")
    parser.add_argument("--twilio", default=f"http://127.0.0.1:{DEFAULT_PORT}")
    parser.add_argument("--from", dest="caller", default=DEFAULT_MEMBER_PHONE)
    parser.add_argument("--to", dest="called", default=DEFAULT_COOP_PHONE)
    args = parser.parse_args()
    client = VoiceClient(args.twilio.rstrip("/"))
    view = client.call(args.caller, args.called)
    show(view)
    while view.get("then") in ("gather", "dial"):
        try:
            typed = input("> ").strip()
        except EOFError:
            break
        sid = str(view["call_sid"])
        if view["then"] == "dial":
            view = client.dial(sid, typed.lstrip("!") or "no-answer")
        elif typed.startswith("#"):
            view = client.press(sid, typed[1:])
        else:
            view = client.say(sid, typed) if typed else client.silence(sid)
        show(view)


if __name__ == "__main__":
    main()
