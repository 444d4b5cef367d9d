"""The operations side: the Prometheus alert rules pass `promtool check rules`, and the Grafana
dashboard and the rules only use metrics that bot/metrics.py exposes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest

from bot.handoff.desk import HandoffDesk
from bot.metrics import Metrics
from tests.conftest import ROOT

ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
GRAFANA = ROOT / "deploy" / "grafana" / "coopsante-exploitation.json"
METRIC = re.compile(r"\bcoopsante_[a-z_]+")


def exposed(database: Any, redis_client: Any) -> set[str]:
    metrics = Metrics()
    metrics.message("sms", "info", 0.01)
    text = metrics.exposition(HandoffDesk(database, redis_client))
    names = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}
    return names | {re.sub(r"_(sum|count|bucket)$", "", n) for n in names}


def test_the_alert_rules_pass_promtool() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is absent: apt-get install prometheus (make test's bootstrap installs it)")
    checked = subprocess.run([promtool, "check", "rules", str(ALERTS)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 6 rules found" in checked.stdout


def test_grafana_and_the_alerts_use_exposed_metrics(database: Any, redis_client: Any) -> None:
    dashboard = json.loads(GRAFANA.read_text(encoding="utf-8"))
    expressions = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert len(expressions) >= 10
    used = {m for e in expressions for m in METRIC.findall(e)} | set(METRIC.findall(ALERTS.read_text()))
    names = exposed(database, redis_client)
    assert {re.sub(r"_(sum|count|bucket)$", "", m) for m in used} <= names
    for needed in (
        "coopsante_relais_en_attente",
        "coopsante_cliniciens_en_ligne",
        "coopsante_sms_echecs_livraison_total",
    ):
        assert needed in names
