"""/webhooks/metrics/ (bot/metrics.py): counters, and times as histograms so that quantiles can be computed."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from bot.handoff.desk import HandoffDesk, record_claim_wait
from bot.metrics import TRIAGE_BUCKETS, Metrics


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_triage_time_is_a_histogram_with_millisecond_buckets() -> None:
    metrics = Metrics()
    for seconds in (0.0008, 0.004, 0.004, 0.03, 0.7):
        metrics.message("sms", "info", seconds)
    metrics.message("", "urgence", 0.002)
    text = metrics.exposition(None)
    assert "# TYPE coopsante_triage_seconds histogram" in text and "_created" not in text
    found = samples(text)
    bucket = {
        le: found[("coopsante_triage_seconds_bucket", (("le", le),))] for le in ("0.001", "0.005", "0.05", "+Inf")
    }
    assert bucket == {"0.001": 1, "0.005": 4, "0.05": 5, "+Inf": 6}
    assert found[("coopsante_triage_seconds_count", ())] == 6
    assert abs(found[("coopsante_triage_seconds_sum", ())] - 0.7408) < 1e-9
    assert found[("coopsante_messages_total", (("canal", "sms"),))] == 5
    assert found[("coopsante_messages_total", (("canal", "inconnu"),))] == 1
    assert found[("coopsante_dispositions_total", (("disposition", "urgence"),))] == 1
    assert TRIAGE_BUCKETS[0] == 0.001 and 0.5 in TRIAGE_BUCKETS  # the alert's threshold is a bucket bound


def test_claim_waits_are_a_histogram_shared_through_redis(database: Any, redis_client: Any) -> None:
    for seconds in (20, 45, 400, 5000, 9000):
        record_claim_wait(redis_client, seconds)
    text = Metrics().exposition(HandoffDesk(database, redis_client))
    assert "# TYPE coopsante_relais_prise_secondes histogram" in text
    found = samples(text)

    def le(bound: str) -> float:
        return found[("coopsante_relais_prise_secondes_bucket", (("le", bound),))]

    assert (le("30"), le("60"), le("600"), le("7200"), le("+Inf")) == (1, 2, 3, 4, 5)
    assert found[("coopsante_relais_prise_secondes_count", ())] == 5
    assert found[("coopsante_relais_prise_secondes_sum", ())] == 14465
    assert found[("coopsante_relais_en_attente", ())] == 0
    assert found[("coopsante_sms_echecs_livraison_total", ())] == 0
    assert ("coopsante_process_start_time_seconds", ()) in found
