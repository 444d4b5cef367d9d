"""make bench-triage: time to triage one message once everything is loaded.

Measures, per message, what the Rasa process does before the answer: the NLU parse plus the triage
policy (the clinical table and the classifier, on the whole message and each of its sentences),
through the trained model exactly as a live conversation runs it (tools/live_triage.py); and the
triage alone. Messages: TRIAGE.md's sample and the corpus, long messages included. Reports the median
and 95th percentile over repeated rounds, and the spread between rounds as the machine's noise.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import statistics
import time
from pathlib import Path

from bot.platform.settings import PROJECT_ROOT, load_settings
from bot.triage import load_triage
from tools.live_triage import DEFAULT_MODEL, LiveTriage

CORPUS = PROJECT_ROOT / "safety" / "corpus"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def messages(count: int, seed: int = 7) -> list[str]:
    """A fixed sample of the corpus: short and long, every disposition."""
    rows: list[str] = []
    for path in sorted(CORPUS.glob("*.csv")):
        with path.open(encoding="utf-8") as f:
            rows += [row["message"] for row in csv.DictReader(f)]
    random.Random(seed).shuffle(rows)
    longest = sorted(rows, key=len, reverse=True)[: count // 10]  # the longest tenth, always in
    return longest + rows[: count - len(longest)]


async def bench(sample: list[str], rounds: int, model: Path) -> None:
    started = time.perf_counter()
    live = LiveTriage(model)
    load_s = time.perf_counter() - started
    triage = load_triage(load_settings().safety_dir, PROJECT_ROOT / "models")
    for message in sample[:20]:  # warm-up
        await live.triage(message)

    full_ms: list[float] = []
    triage_ms: list[float] = []
    round_medians: list[float] = []
    for _ in range(rounds):
        this_round = []
        for message in sample:
            t0 = time.perf_counter()
            await live.triage(message)
            this_round.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            triage.decide(message)
            triage_ms.append((time.perf_counter() - t0) * 1000)
        full_ms.extend(this_round)
        round_medians.append(statistics.median(this_round))

    lengths = [len(m) for m in sample]
    print(f"model load: {load_s:.1f} s; {len(sample)} messages x {rounds} rounds")
    print(f"message length: median {statistics.median(lengths):.0f} chars, longest {max(lengths)}")
    print(
        f"triage of a message (NLU parse + triage policy, live path): median {statistics.median(full_ms):.1f} ms, "
        f"p95 {percentile(full_ms, 0.95):.1f} ms"
    )
    print(
        f"triage alone (table + classifier): median {statistics.median(triage_ms):.1f} ms, "
        f"p95 {percentile(triage_ms, 0.95):.1f} ms"
    )
    print(f"noise: median per round from {min(round_medians):.1f} to {max(round_medians):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    args = parser.parse_args()
    asyncio.run(bench(messages(args.messages), args.rounds, args.model))


if __name__ == "__main__":
    main()
