"""Prometheus metrics of a Rasa process, written by `prometheus_client` (text exposition format).

Counters and the triage-time histogram live in the process (Prometheus scrapes each process);
handoff figures are read from the handoff desk (the queue in PostgreSQL, claim times in Redis,
bot/handoff/desk.py) at scrape time, so every process reports the same queue. Times are histograms,
so that quantiles can be computed: `histogram_quantile(0.95, sum by (le) (rate(..._bucket[5m])))`.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.handoff.desk import CLAIM_WAIT_BUCKETS, CLAIM_WAIT_KEY

if TYPE_CHECKING:
    from bot.handoff.desk import HandoffDesk

DELIVERY_STREAM = "coopsante:sms:livraison"  # channels/sms.py: the failed deliveries Twilio reported
STARTED = time.time()  # this process's start: a restart shows as a new value
# Triage takes milliseconds (tens with the classifier); the alert fires above half a second.
TRIAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _triage_histogram() -> Histogram:
    return Histogram("coopsante_triage_seconds", "Time to triage one message.", buckets=TRIAGE_BUCKETS, registry=None)


@dataclass(eq=False)  # a collector is a registry's key: hashed by identity
class Metrics(Collector):
    messages: Counter[str] = field(default_factory=Counter)  # by channel
    dispositions: Counter[str] = field(default_factory=Counter)
    triage: Histogram = field(default_factory=_triage_histogram)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def message(self, channel: str, disposition: str, seconds: float) -> None:
        with self.lock:
            self.messages[channel or "inconnu"] += 1
            self.dispositions[disposition] += 1
        self.triage.observe(seconds)

    def collect(self) -> Iterator[Metric]:
        with self.lock:
            messages = CounterMetricFamily(
                "coopsante_messages", "Member messages read by this process, by channel.", labels=["canal"]
            )
            for channel, count in sorted(self.messages.items()):
                messages.add_metric([channel], count)
            dispositions = CounterMetricFamily(
                "coopsante_dispositions", "Triage dispositions, by disposition.", labels=["disposition"]
            )
            for disposition, count in sorted(self.dispositions.items()):
                dispositions.add_metric([disposition], count)
        yield messages
        yield dispositions
        for family in self.triage.collect():  # without the client's extra `_created` series
            family.samples = [s for s in family.samples if not s.name.endswith("_created")]
            yield family

    def exposition(self, desk: HandoffDesk | None) -> str:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(self)
        if desk is not None:
            registry.register(_Handoff(desk))
        return generate_latest(registry).decode("utf-8")


@dataclass(eq=False)
class _Handoff(Collector):
    desk: HandoffDesk

    def collect(self) -> Iterator[Metric]:
        waiting = self.desk.queue()
        oldest = max((time.time() - t.created for t in waiting), default=0.0)
        claims = self.desk.redis.hgetall(CLAIM_WAIT_KEY) or {}
        yield GaugeMetricFamily(
            "coopsante_process_start_time_seconds",
            "When this process started (restarts: changes()).",
            value=round(STARTED),
        )
        yield GaugeMetricFamily(
            "coopsante_cliniciens_en_ligne", "Clinicians with the console open (on duty).", value=self.desk.on_duty()
        )
        yield CounterMetricFamily(
            "coopsante_sms_echecs_livraison",
            "SMS deliveries Twilio reported as failed (kept 100,000).",
            value=int(self.desk.redis.xlen(DELIVERY_STREAM)),
        )
        yield GaugeMetricFamily(
            "coopsante_relais_en_attente", "Handoff tickets waiting for a clinician.", value=len(waiting)
        )
        yield GaugeMetricFamily(
            "coopsante_relais_attente_max_secondes",
            "How long the oldest waiting ticket has waited.",
            value=round(oldest, 1),
        )
        count = int(claims.get("nombre", 0))
        buckets = [(f"{bound:g}", min(int(claims.get(f"le:{bound:g}", 0)), count)) for bound in CLAIM_WAIT_BUCKETS]
        yield HistogramMetricFamily(
            "coopsante_relais_prise_secondes",
            "Waiting time from ticket to claim.",
            buckets=[*buckets, ("+Inf", count)],
            sum_value=round(float(claims.get("somme", 0)), 1),
        )


METRICS = Metrics()  # this process's counters
