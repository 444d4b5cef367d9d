"""`make sms-report`: what every answer costs by SMS, and what a real bot turn costs.

1. Every text the bot can send (domain responses, coop and self-care answers for each coop, the
   consent notice, the SMS channel's own texts), written for SMS as the channel writes it: encoding before and after the
   rewrite, characters and segments.
2. Bot turns as members get them: the stack (`scripts/run.sh`) is started on spare ports, every user
   message of the conversation tests (tests/conversations) is texted to it through the signed SMS
   webhook, and the SMS it sends back are counted per turn. Skip with --no-turns.

Goals (issue 5): no answer over 3 segments; the median bot turn at most 2. The exit status is 1 when
a goal is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.content import CALL_VALUES, load_content
from bot.membership.consent import load_notice
from bot.platform.sms_text import MAX_SEGMENTS, figures, segment_count
from bot.sms.conversation import BotMessage, load_sms_texts, write_turn
from tools.local_stack import local_stack
from tools.sms_client import SmsClient

ROOT = Path(__file__).resolve().parent.parent
PORTS = {"RASA_PORT": 5205, "ACTIONS_PORT": 5255, "REDIS_PORT": 6392, "TWILIO_LOCAL_PORT": 5211, "POSTGRES_PORT": 5242}
# Values that fill a response's {placeholders}: long ones, so the figures are the worst case.
SAMPLE_VALUES = {"coop_telephone": "819 555-0100", "prenom": "Marie-Geneviève"}
COOP_NUMBER = "+18195550100"
MEDIAN_TURN_GOAL = 2


@dataclass(frozen=True)
class Row:
    source: str
    name: str
    raw_encoding: str
    encoding: str
    chars: int
    segments: int


def answers() -> Iterator[tuple[str, str, BotMessage]]:
    """(source, name, message) for every text the bot can send."""
    content = load_content(ROOT / "content")
    sms_texts = load_sms_texts(ROOT / "content", list(content.coops.values()))
    samples = _Samples(SAMPLE_VALUES)
    for coop in content.coops.values():
        for language in ("fr", "en"):
            for topic in content.answers:
                text = content.answer(topic, language, coop.id) or ""
                yield f"answers ({coop.id}, {language})", topic, BotMessage(text, language=language)
            for key in content.texts:
                text = content.say(key, language, coop.id, **{k: samples[k] for k in CALL_VALUES})
                yield f"texts.yml ({coop.id}, {language})", key, BotMessage(text, language=language)
        for key in sms_texts.templates:
            yield f"sms.yml ({coop.id})", key, BotMessage(sms_texts.say(key, coop))
    notice = load_notice(ROOT / "content")
    for language in ("fr", "en"):
        yield "consent.yml", f"notice ({language})", BotMessage(notice.text(language), language=language)
        yield "consent.yml", f"declined ({language})", BotMessage(notice.declined_text(language), language=language)


class _Samples(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "x" * 12


def answer_rows() -> list[Row]:
    rows = []
    for source, name, message in answers():
        bodies = write_turn([message]).bodies
        written = "\n".join(bodies)
        rows.append(
            Row(
                source,
                name,
                figures(message.text).encoding,
                figures(written).encoding,
                len(written),
                sum(segment_count(b) for b in bodies),
            )
        )
    return rows


def story_messages() -> list[list[str]]:
    """The member's messages of each conversation script (tests/conversations), in order; scripts that need
    a member's own details ({naissance}, {code}...) are left out: a new phone has none."""
    conversations = []
    for path in sorted((ROOT / "tests" / "conversations").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for script in data.get("conversations") or []:
            messages = [str(step["say"]) for step in script.get("steps") or []]
            if messages and not any("{" in m for m in messages) and not script.get("setup"):
                conversations.append(messages)
    return conversations


def turn_segments() -> list[tuple[int, str]]:
    """(segments, member's message) of every bot turn when the conversation tests are texted to the stack."""
    token = uuid.uuid4().hex
    with tempfile.TemporaryDirectory() as run_dir, local_stack(PORTS, Path(run_dir), token):
        client = SmsClient(
            f"http://127.0.0.1:{PORTS['RASA_PORT']}/webhooks/sms/webhook",
            f"http://127.0.0.1:{PORTS['TWILIO_LOCAL_PORT']}",
            token,
        )
        turns = []
        for n, conversation in enumerate(story_messages()):
            phone = f"+1873555{n:04d}"  # a new, unknown number for each conversation
            for message in conversation:
                bodies = client.exchange(message, phone, COOP_NUMBER)
                turns.append((sum(segment_count(b) for b in bodies), message))
        return turns


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--no-turns", action="store_true", help="only the answers, without starting the stack")
    args = parser.parse_args(argv)

    rows = answer_rows()
    print("| source | answer | before | sent as | chars | segments |")
    print("|---|---|---|---|---:|---:|")
    for row in rows:
        flag = " **over**" if row.segments > MAX_SEGMENTS else ""
        print(
            f"| {row.source} | {row.name} | {row.raw_encoding} | {row.encoding} | {row.chars} | {row.segments}{flag} |"
        )
    segments = [r.segments for r in rows]
    saved = sum(1 for r in rows if r.raw_encoding == "UCS-2" and r.encoding == "GSM-7")
    over = [r for r in rows if r.segments > MAX_SEGMENTS]
    print(
        f"\n{len(rows)} answers: median {statistics.median(segments)} segments, max {max(segments)}, "
        f"{sum(1 for s in segments if s <= 2)} within 2, {len(over)} over {MAX_SEGMENTS}; "
        f"{saved} kept in GSM-7 by the rewrite (UCS-2 as written)."
    )
    failed = bool(over)
    if not args.no_turns:
        longest = sorted(turn_segments(), reverse=True)
        turns = [segments for segments, _ in longest]
        median = statistics.median(turns)
        quantiles = statistics.quantiles(turns, n=10)
        print(
            f"{len(turns)} bot turns (tests/conversations texted to the stack): median {median} segments, "
            f"p90 {quantiles[-1]:.0f}, max {max(turns)}."
        )
        for count, message in longest[:5]:
            print(f"  {count} segments after {message!r}")
        failed |= median > MEDIAN_TURN_GOAL
    print("Goals (no answer over 3 segments, median turn at most 2):", "MISSED" if failed else "met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
