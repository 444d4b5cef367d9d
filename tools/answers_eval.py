"""make answers-eval DATA=<csv>: does each member question get the right answer, over REST?

DATA holds `question,topic` (optionally `lang`); topic is an answer of content/answers/ or
`hors_sujet` for a question the coop cannot answer. Each question is sent by a new sender to the
REST channel with the coop in the metadata, as a coop's web page would. It is right when the reply
holds the topic's answer for that coop in the question's language (or, for `hors_sujet`, no answer
and no referral). It is misrouted when an ordinary question was sent to a clinician, a booking, the
emergency room, a crisis line or 911 (the conversation's `triage_disposition` slot, read through
Rasa's HTTP API). Prints the figures and the per-topic misses; without --url it starts the stack
on spare ports.
"""

from __future__ import annotations

import argparse
import collections
import csv
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from bot.content import load_content
from bot.dialogue.slots import Slot
from bot.platform.language import detect
from bot.platform.settings import load_settings
from bot.platform.text import normalise
from bot.triage.dispositions import Disposition
from tools.local_stack import local_stack
from tools.triage_conversations import post, slot

PORTS = {"RASA_PORT": 5305, "ACTIONS_PORT": 5355, "REDIS_PORT": 6393, "TWILIO_LOCAL_PORT": 5311, "POSTGRES_PORT": 5343}
REFERRED = {d.value for d in Disposition if d is not Disposition.INFO}
OFF_TOPIC = "hors_sujet"


def read_questions(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"question", "topic"} <= set(reader.fieldnames):
            raise SystemExit(f"{path}: header must be question,topic[,lang]")
        return [row for row in reader if (row.get("question") or "").strip()]


def evaluate(url: str, rows: list[dict[str, str]], coop: str, verbose: bool) -> int:
    content = load_content(load_settings().content_dir)
    right = misrouted = 0
    sent_on: list[str] = []  # ordinary questions sent to a person or an emergency, not only offered a booking
    misses: dict[str, list[str]] = collections.defaultdict(list)
    by_language: collections.Counter[tuple[str, bool]] = collections.Counter()
    for row in rows:
        question, topic = row["question"].strip(), row["topic"].strip()
        language = (row.get("lang") or "").strip() or detect(question)
        sender = f"eval-{uuid.uuid4().hex}"
        replies: list[dict[str, Any]] = post(
            f"{url}/webhooks/rest/webhook", {"sender": sender, "message": question, "metadata": {"coop": coop}}
        )
        said = normalise(" ".join(str(r.get("text") or "") for r in replies))
        disposition = str(slot(url, sender, Slot.TRIAGE_DISPOSITION) or "info")
        answers = {
            t: normalise(content.answer(t, language, coop) or "")[:120] for t in content.answers if t != OFF_TOPIC
        }
        if topic == OFF_TOPIC:
            ok = not any(a and a in said for a in answers.values()) and disposition not in REFERRED
        else:
            ok = bool(answers.get(topic)) and answers[topic] in said
        referred = topic != OFF_TOPIC and disposition in REFERRED
        right += ok
        misrouted += referred
        if referred and disposition != Disposition.CONSULTATION.value:
            sent_on.append(f"[{disposition}] {question!r} ({topic})")
        by_language[(language, ok)] += 1
        if not ok:
            got = next((t for t, a in answers.items() if a and a in said), "aucune réponse")
            misses[topic].append(f"{question!r} -> {got} [{disposition}]")
        if verbose:
            print(f"{'ok  ' if ok else 'MISS'} {topic:<22} {disposition:<12} {question}", flush=True)
    total = len(rows)
    print(f"\nright answer      {right}/{total} = {right / total:.1%}")
    for language in sorted({lang for lang, _ in by_language}):
        n = by_language[(language, True)] + by_language[(language, False)]
        print(f"  {language}: {by_language[(language, True)]}/{n} = {by_language[(language, True)] / n:.1%}")
    print(f"ordinary questions referred (clinician, booking, ER, crisis, 911): {misrouted}")
    print(f"  of which to a clinician, the ER, a crisis line or 911: {len(sent_on)}")
    for line in sent_on:
        print(f"      {line}")
    if misses:
        print("\nMisses by topic:")
        for topic in sorted(misses, key=lambda t: -len(misses[t])):
            print(f"  {topic} ({len(misses[topic])})")
            for line in misses[topic]:
                print(f"      {line}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--url", default="", help="a running stack (make run): http://127.0.0.1:5005")
    parser.add_argument("--coop", default="val-morin")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    rows = read_questions(args.data)
    if args.url:
        return evaluate(args.url.rstrip("/"), rows, args.coop, args.verbose)
    with tempfile.TemporaryDirectory() as run_dir, local_stack(PORTS, Path(run_dir), uuid.uuid4().hex):
        return evaluate(f"http://127.0.0.1:{PORTS['RASA_PORT']}", rows, args.coop, args.verbose)


if __name__ == "__main__":
    sys.exit(main())
