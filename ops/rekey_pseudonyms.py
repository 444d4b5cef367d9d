"""Move Redis keys named by a pseudonym to the keyed pseudonyms (bot/platform/pseudonym.py).

    python -m ops.rekey_pseudonyms            # from the old unkeyed SHA-256 to PSEUDONYM_KEY
    python -m ops.rekey_pseudonyms --dry-run  # say what would change, change nothing

Stop the bot first (no turn in flight), set the new PSEUDONYM_KEY in the environment, run this once
on the bot's Redis (REDIS_URL), then start the bot with the same PSEUDONYM_KEY. It reads the Redis
layout from before the records moved to PostgreSQL: on an upgrade, run it before the import of
those records (ops/import_redis_records.py), which then carries the keyed pseudonyms over. What it does, key
family by key family (every place that builds a key with `pseudonym()`):

- short-lived keys are dropped: failed-attempt counters (bot/membership/attempts.py), one-time codes and their
  hourly counts (bot/membership/otp.py), erasure markers (bot/records/privacy.py), the members a coop site vouched for
  per web session (bot/membership/web_identity.py, the member is asked again), the web chat's per-minute
  counts and what "1", "2"... mean in an SMS conversation;
- the handoff index by conversation (bot/handoff/desk.py) is rebuilt from the open tickets, which hold
  their conversation;
- lasting records are renamed, for every identifier the bot knows (member numbers and phones of the
  registry, conversations of the tracker store, of bookings and of tickets): consent records, SMS
  opt-outs, a member's bookings, booking reminders. A key whose identifier is known nowhere (an
  opt-out from a phone whose conversation has expired, say) cannot be renamed: it is counted and
  left in place, and the count per family is printed, so that staff can act on it.

The audit stream keeps the old hashes of the entries written before (it is append-only):
`bot.platform.pseudonym.unkeyed_pseudonym` gives them for a known identifier.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from bot.booking.store import Booking
from bot.handoff.desk import LEGACY_TICKET, Ticket, TicketStatus
from bot.membership.members import Member
from bot.membership.store import LEGACY_MEMBER_KEY
from bot.platform.pseudonym import pseudonym, unkeyed_pseudonym
from bot.platform.redis_clients import sync_client

DROPPED = (
    "coopsante:echecs:",
    "coopsante:otp:",
    "coopsante:effacer:",
    "coopsante:web:membre:",
    "coopsante:web:debit:",
    "coopsante:sms:choix:",
)
RENAMED = (
    "coopsante:consentement:",
    "coopsante:sms:desabonne:",
    "coopsante:rdv:membre:",
    "coopsante:rdv:rappel:",
)
TRACKERS = "coopsante:tracker:"
# The handoff index of the Redis layout before PostgreSQL held the tickets (they now have a column).
BY_CONVERSATION = "coopsante:relais:conversation:"


def _scan(client: Any, prefix: str) -> Iterable[str]:
    return (str(k) for k in client.scan_iter(match=prefix + "*", count=1000))


def known_identifiers(client: Any) -> set[str]:
    """Every member number, phone and conversation id the bot's Redis names somewhere."""
    known: set[str] = set()
    for key in _scan(client, LEGACY_MEMBER_KEY):
        record = client.hgetall(key)
        if record.get("numero_membre"):
            member = Member.from_record(record)
            known.update((member.number, member.phone))
    for key in _scan(client, TRACKERS):
        sender = key[len(TRACKERS) :]
        known.update((sender, sender.split("~", 1)[0]))  # a phone call's conversation is phone~CallSid
    for key in _scan(client, "coopsante:rdv:reservation:"):
        raw = client.get(key)
        if raw:
            booking = Booking.from_json(raw)
            known.update((booking.member_number, booking.conversation))
    for ticket in _tickets(client):
        known.update((ticket.conversation, ticket.member_number))
    known.discard("")
    return known


def _tickets(client: Any) -> list[Ticket]:
    tickets = []
    for key in _scan(client, LEGACY_TICKET):
        raw = client.hgetall(key)
        if raw and client.type(key) == "hash":
            tickets.append(Ticket.from_redis(raw))
    return tickets


def rekey(
    client: Any,
    new: Callable[[str], str] = pseudonym,
    old: Callable[[str], str] = unkeyed_pseudonym,
    dry_run: bool = False,
) -> Counter[str]:
    """Move every family to `new` (from `old`); the counts of what was done, by family and action."""
    done: Counter[str] = Counter()
    for prefix in DROPPED:
        for key in list(_scan(client, prefix)):
            done[f"{prefix} dropped"] += 1
            if not dry_run:
                client.delete(key)
    known = known_identifiers(client)
    for prefix in RENAMED:
        renamed = set()
        for value in known:
            source, target = prefix + old(value), prefix + new(value)
            if source == target or not client.exists(source):
                continue
            renamed.add(target)
            done[f"{prefix} renamed"] += 1
            if not dry_run:
                if client.exists(target):
                    client.delete(source)  # already written under the new name: that one is newer
                else:
                    client.rename(source, target)
        keyed = {prefix + new(value) for value in known}
        left = [k for k in _scan(client, prefix) if k not in keyed and k not in renamed]
        if left:
            done[f"{prefix} left (identifier unknown)"] += len(left)
    for key in list(_scan(client, BY_CONVERSATION)):
        done[f"{BY_CONVERSATION} dropped"] += 1
        if not dry_run:
            client.delete(key)
    for ticket in _tickets(client):
        if ticket.status in (TicketStatus.WAITING, TicketStatus.CLAIMED):
            done[f"{BY_CONVERSATION} rebuilt"] += 1
            if not dry_run:
                client.set(BY_CONVERSATION + new(ticket.conversation), ticket.id)
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    args = parser.parse_args(argv)
    client = sync_client()
    done = rekey(client, dry_run=args.dry_run)
    for what, count in sorted(done.items()):
        print(f"{count:8d}  {what}")
    if not done:
        print("nothing to move")
    return 0


if __name__ == "__main__":
    sys.exit(main())
