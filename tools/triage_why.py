"""python -m tools.triage_why "message": which table patterns match a message (for table authors)."""

from __future__ import annotations

import sys

from bot.platform.settings import load_settings
from bot.triage import load_triage


def main() -> None:
    triage = load_triage(load_settings().safety_dir)
    reader = triage.reader
    for message in sys.argv[1:]:
        text = reader.prepare(message)
        print(f"text: {text}")
        for finding in reader.table.findings:
            for alternative in finding.patterns.alternatives:
                spans = [p.search(text) for p in alternative]
                if all(spans):
                    shown = " + ".join(repr(s.group(0)) for s in spans if s)
                    print(f"  {finding.id}: {shown}")
        print(f"  decision: {triage.decide(message).disposition.value}")


if __name__ == "__main__":
    main()
