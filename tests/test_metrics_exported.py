"""Every metric the Grafana dashboard and the alert rules use is exported by a running service
(issue 7): scraped from the real processes, not read from the source."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
import yaml

from gatehouse_devstack.stack import Stack
from tests.deploy.deploy_support import EXTERNAL_METRICS, promql_metric_names

pytestmark = pytest.mark.stack

DEPLOY = Path(__file__).parent.parent / "deploy"
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
}


def _expressions() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "gatehouse.json").read_text())
    alerts = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    panels = [
        target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        if "expr" in target
    ]
    rules = [rule["expr"] for group in alerts["groups"] for rule in group["rules"]]
    return panels + rules


def _scraped_names(url: str) -> set[str]:
    """Sample names a scrape can carry, from its `# TYPE` lines (present even before use)."""
    names = set()
    for name, kind in re.findall(
        r"^# TYPE (\S+) (\S+)$", httpx.get(url, timeout=10).text, re.MULTILINE
    ):
        names.add(name)
        names.update(name + suffix for suffix in SUFFIXES.get(kind, ()))
        if kind == "counter":
            names.add(name.removesuffix("_total") + "_total")
    return names


def test_dashboard_and_alerts_use_only_metrics_the_running_services_export(stack: Stack) -> None:
    exported: set[str] = set()
    for base in (stack.identity_url, stack.registry_url, stack.notifier_url):
        exported |= _scraped_names(f"{base}/metrics")
    used = {name for expr in _expressions() for name in promql_metric_names(expr)}
    missing = used - exported - EXTERNAL_METRICS
    assert not missing, (
        f"used by dashboard/alerts but not exported by any service: {sorted(missing)}"
    )
