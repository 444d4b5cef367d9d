"""make bench-triage: time to triage one message once the model is loaded.

Measures, per message, the model's NLU parse plus the safety triage (the triage step), and
separately the full live path (parse + policy ensemble, see tools/live_triage.py). Reports the
median and 95th percentile over repeated rounds of varied messages, and the spread between
rounds as the machine's noise.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import statistics
import time
from pathlib import Path

from bot.settings import load_settings
from bot.triage import ClassifierSignal, load_triage
from tools.live_triage import DEFAULT_MODEL, LiveTriage

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "triage_dev.csv"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def bench(messages: list[str], rounds: int, model: Path) -> None:
    started = time.perf_counter()
    live = LiveTriage(model)
    load_s = time.perf_counter() - started
    triage = load_triage(load_settings().safety_dir)
    for message in messages[:20]:  # warm-up: TensorFlow traces its graph on first calls
        await live.triage(message)

    step_ms: list[float] = []
    full_ms: list[float] = []
    round_medians: list[float] = []
    for _ in range(rounds):
        this_round = []
        for message in messages:
            t0 = time.perf_counter()
            parse_data = await live.parse(message)
            triage.decide(message, ClassifierSignal.from_parse_data(parse_data))
            this_round.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            await live.triage(message)
            full_ms.append((time.perf_counter() - t0) * 1000)
        step_ms.extend(this_round)
        round_medians.append(statistics.median(this_round))

    print(f"model load: {load_s:.1f} s; {len(messages)} messages x {rounds} rounds")
    print(
        f"triage step (NLU parse + safety triage): median {statistics.median(step_ms):.1f} ms, "
        f"p95 {percentile(step_ms, 0.95):.1f} ms"
    )
    print(
        f"full live path (parse + policy ensemble): median {statistics.median(full_ms):.1f} ms, "
        f"p95 {percentile(full_ms, 0.95):.1f} ms"
    )
    print(f"noise: median per round from {min(round_medians):.1f} to {max(round_medians):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=SAMPLE)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    args = parser.parse_args()
    with args.data.open(encoding="utf-8") as f:
        messages = [row["message"] for row in csv.DictReader(f)]
    asyncio.run(bench(messages, args.rounds, args.model))


if __name__ == "__main__":
    main()
