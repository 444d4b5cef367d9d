"""make triage-eval DATA=<csv> OUT=<csv>: score triage on a labelled CSV (TRIAGE.md).

Reads `message,expected`, writes `message,predicted,reason` in the same order, prints the
metrics and exits non-zero when a bar of TRIAGE.md is missed.
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


def read_cases(path: Path) -> list[tuple[str, Disposition]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"message", "expected"} <= set(reader.fieldnames):
            raise SystemExit(f"{path}: header must be message,expected")
        return [(row["message"], Disposition.parse(row["expected"])) for row in reader]


async def evaluate(data: Path, out: Path, model: Path) -> int:
    cases = read_cases(data)
    live = LiveTriage(model)
    predicted: list[Disposition] = []
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["message", "predicted", "reason"])
        for message, _ in cases:
            code, reason = await live.triage(message)
            predicted.append(Disposition.parse(code))
            writer.writerow([message, code, json.dumps(reason, ensure_ascii=False)])
    scores = score([e for _, e in cases], predicted)
    print(scores.report())
    misses = [(m, e.value, p.value) for (m, e), p in zip(cases, predicted, strict=False) if e.level != p.level]
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
