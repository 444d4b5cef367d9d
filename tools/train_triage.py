"""Train the triage classifier on safety/corpus/*.csv if its cache under models/ is missing or stale.

`make train` runs it, so that the Rasa server starts without training. The cache is named after a
hash of the corpus: a changed corpus is never served by a stale model.
"""

from __future__ import annotations

import time

from bot.platform.settings import PROJECT_ROOT, load_settings
from bot.triage.classifier import cached, corpus_fingerprint


def main() -> None:
    corpus = load_settings().safety_dir / "corpus"
    models = PROJECT_ROOT / "models"
    path = models / f"triage-classifier-{corpus_fingerprint(corpus)}.pkl"
    if path.exists():
        print(f"==> triage classifier up to date ({path.name})")
        return
    started = time.perf_counter()
    cached(corpus, models)
    print(f"==> triage classifier trained in {time.perf_counter() - started:.0f} s ({path.name})")


if __name__ == "__main__":
    main()
