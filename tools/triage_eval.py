"""make triage-eval DATA=<csv or jsonl> OUT=<csv>: score triage on labelled messages (TRIAGE.md).

A CSV holds `message,expected`; a JSONL file holds conversations, one per line:
`{"turns": ["...", "..."], "expected": "911"}`, scored on the disposition after the last message.
Writes `message,predicted,reason` in the same order, prints the metrics and exits non-zero when a bar
of TRIAGE.md is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from pathlib import Path

from bot.triage.dispositions import Disposition
from bot.triage.metrics import score
from tools.live_triage import DEFAULT_MODEL, LiveTriage


def read_cases(path: Path) -> list[tuple[list[str], Disposition]]:
    """(messages, expected): one message per CSV row, or every turn of a JSONL conversation."""
    if path.suffix == ".jsonl":
        cases = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                cases.append(([str(t) for t in item["turns"]], Disposition.parse(str(item["expected"]))))
        return cases
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"message", "expected"} <= set(reader.fieldnames):
            raise SystemExit(f"{path}: header must be message,expected")
        return [([row["message"]], Disposition.parse(row["expected"])) for row in reader]


async def evaluate(data: Path, out: Path, model: Path) -> int:
    cases = read_cases(data)
    live = LiveTriage(model)
    predicted: list[Disposition] = []
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["message", "predicted", "reason"])
        for messages, _ in cases:
            code, reason = await live.conversation(messages)
            predicted.append(Disposition.parse(code))
            writer.writerow([" / ".join(messages), code, json.dumps(reason, ensure_ascii=False)])
    scores = score([e for _, e in cases], predicted)
    print(scores.report())
    misses = [
        (" / ".join(m), e.value, p.value) for (m, e), p in zip(cases, predicted, strict=False) if e.level != p.level
    ]
    if misses:
        print("\nDifferent level (expected -> predicted):")
        for message, expected, got in misses:
            flag = "UNDER" if Disposition(got).level < Disposition(expected).level else "over "
            print(f"  {flag} {expected:>12} -> {got:<12} {message}")
    failures = scores.failures()
    if failures:
        print("\nFAILED: " + "; ".join(failures))
        return 1
    print("\nAll bars of TRIAGE.md met.")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    args = parser.parse_args()
    sys.exit(asyncio.run(evaluate(args.data, args.out, args.model)))


if __name__ == "__main__":
    main()
