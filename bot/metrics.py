"""Prometheus metrics of a Rasa process, in the text exposition format (no extra dependency).

Counters live in the process (Prometheus scrapes each process); handoff figures are read from
the handoff desk (the queue in PostgreSQL, claim times in Redis) at scrape time, so every process
reports the same queue.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.handoff import HandoffDesk

DELIVERY_STREAM = "coopsante:sms:livraison"  # channels/sms.py: the failed deliveries Twilio reported
STARTED = time.time()  # this process's start: a restart shows as a new value


@dataclass
class Metrics:
    messages: Counter[str] = field(default_factory=Counter)  # by channel
    dispositions: Counter[str] = field(default_factory=Counter)
    triage_seconds_sum: float = 0.0
    triage_count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def message(self, channel: str, disposition: str, seconds: float) -> None:
        with self.lock:
            self.messages[channel or "inconnu"] += 1
            self.dispositions[disposition] += 1
            self.triage_seconds_sum += seconds
            self.triage_count += 1

    def exposition(self, desk: HandoffDesk | None) -> str:
        with self.lock:
            lines = [
                "# HELP coopsante_messages_total Member messages read by this process, by channel.",
                "# TYPE coopsante_messages_total counter",
                *(f'coopsante_messages_total{{canal="{c}"}} {n}' for c, n in sorted(self.messages.items())),
                "# HELP coopsante_dispositions_total Triage dispositions, by disposition.",
                "# TYPE coopsante_dispositions_total counter",
                *(
                    f'coopsante_dispositions_total{{disposition="{d}"}} {n}'
                    for d, n in sorted(self.dispositions.items())
                ),
                "# HELP coopsante_triage_seconds Time to triage one message.",
                "# TYPE coopsante_triage_seconds summary",
                f"coopsante_triage_seconds_sum {self.triage_seconds_sum:.6f}",
                f"coopsante_triage_seconds_count {self.triage_count}",
            ]
        if desk is not None:
            lines += _handoff(desk)
        return "\n".join(lines) + "\n"


def _handoff(desk: HandoffDesk) -> list[str]:
    waiting = desk.queue()
    oldest = max((time.time() - t.created for t in waiting), default=0.0)
    claim_seconds, claims = desk.claim_waits()
    return [
        "# HELP coopsante_process_start_time_seconds When this process started (restarts: changes()).",
        "# TYPE coopsante_process_start_time_seconds gauge",
        f"coopsante_process_start_time_seconds {STARTED:.0f}",
        "# HELP coopsante_cliniciens_en_ligne Clinicians with the console open (on duty).",
        "# TYPE coopsante_cliniciens_en_ligne gauge",
        f"coopsante_cliniciens_en_ligne {desk.on_duty()}",
        "# HELP coopsante_sms_echecs_livraison_total SMS deliveries Twilio reported as failed (kept 100,000).",
        "# TYPE coopsante_sms_echecs_livraison_total counter",
        f"coopsante_sms_echecs_livraison_total {int(desk.redis.xlen(DELIVERY_STREAM))}",
        "# HELP coopsante_relais_en_attente Handoff tickets waiting for a clinician.",
        "# TYPE coopsante_relais_en_attente gauge",
        f"coopsante_relais_en_attente {len(waiting)}",
        "# HELP coopsante_relais_attente_max_secondes How long the oldest waiting ticket has waited.",
        "# TYPE coopsante_relais_attente_max_secondes gauge",
        f"coopsante_relais_attente_max_secondes {oldest:.1f}",
        "# HELP coopsante_relais_prise_secondes Waiting time from ticket to claim.",
        "# TYPE coopsante_relais_prise_secondes summary",
        f"coopsante_relais_prise_secondes_sum {claim_seconds:.1f}",
        f"coopsante_relais_prise_secondes_count {claims}",
    ]


METRICS = Metrics()  # this process's counters
