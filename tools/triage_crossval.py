"""make triage-crossval: how triage does on writers it was not trained on.

The corpus (safety/corpus/*.csv) was written by several people; each file is one writer (the
round1_* files together are one). For each writer, the classifier is trained on all the others and
the whole triage (clinical table + that classifier) is scored on the writer left out, by TRIAGE.md's
bars. This is the honest estimate of unseen text for the classifier; the clinical table, though,
was written while reading these messages, so its part is optimistic. As on the live path, a message
the answer finder reads as one of its questions is triaged as such (`ordinary`).
"""

from __future__ import annotations

import argparse
import collections
import csv
import sys
from pathlib import Path

from bot.answers import load_answer_finder
from bot.content import load_content
from bot.platform.settings import PROJECT_ROOT, load_settings
from bot.triage import Triage, load_triage
from bot.triage.classifier import DispositionClassifier, Example
from bot.triage.dispositions import Disposition
from bot.triage.metrics import score

LEVELS = tuple(d.value for d in Disposition)  # most urgent first


def writer_of(path: Path) -> str:
    return path.stem.split("_")[0] if path.stem.startswith("round1") else path.stem


def read_groups(corpus: Path) -> dict[str, list[tuple[str, Disposition]]]:
    groups: dict[str, list[tuple[str, Disposition]]] = collections.defaultdict(list)
    for path in sorted(corpus.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as f:
            groups[writer_of(path)] += [(r["message"], Disposition.parse(r["expected"])) for r in csv.DictReader(f)]
    return dict(groups)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--misses", action="store_true", help="list the under-triaged messages")
    args = parser.parse_args(argv)
    settings = load_settings()
    safety = settings.safety_dir
    rules = load_triage(safety, with_classifier=False)
    finder = load_answer_finder(load_content(settings.content_dir), PROJECT_ROOT / "data" / "faq")
    groups = read_groups(safety / "corpus")
    expected_all: list[Disposition] = []
    predicted_all: list[Disposition] = []
    for writer in sorted(groups):
        training = [Example(m, e) for other, rows in groups.items() if other != writer for m, e in rows]
        triage = Triage(rules.table, DispositionClassifier.train(training), rules.policy)
        expected = [e for _, e in groups[writer]]
        decisions = [triage.decide(m, ordinary=finder.reads_as_ordinary(m)) for m, _ in groups[writer]]
        predicted = [d.disposition for d in decisions]
        s = score(expected, predicted)
        print(
            f"{writer:<10} n={s.count:<4} 911 {s.recall_911:6.1%}  crise {s.recall_crise:6.1%}  "
            f"under {s.under_triage:5.1%}  accuracy {s.accuracy:5.1%}  over {s.over_triage:5.1%}",
            flush=True,
        )
        if args.misses:
            for (message, e), d in zip(groups[writer], decisions, strict=True):
                if d.disposition.level < e.level:
                    print(f"    UNDER {e.value:>12} -> {d.disposition.value:<12} {message[:160]}")
        expected_all += expected
        predicted_all += predicted
    total = score(expected_all, predicted_all)
    print("\nAll writers, each scored by a classifier that never saw them:")
    print(total.report())
    confusion = collections.Counter((e.value, p.value) for e, p in zip(expected_all, predicted_all, strict=True))
    print("\nexpected \\ predicted " + " ".join(f"{p[:7]:>8}" for p in LEVELS))
    for row in LEVELS:
        print(f"{row:<20} " + " ".join(f"{confusion[(row, col)]:>8}" for col in LEVELS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
