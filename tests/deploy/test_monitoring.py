"""Prometheus, alert rules and the Grafana dashboard: well formed, wired to the compose file, and
using only metrics that the code defines (or that are listed below as pending or external)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_support import (
    EXTERNAL_METRICS,
    REPO,
    SERVICE_SPECS,
    SERVICES,
    exported_metric_names,
    promql_metric_names,
    source_roots,
)

PROMETHEUS = REPO / "deploy" / "prometheus"
GRAFANA = REPO / "deploy" / "grafana"

# Metrics the dashboard and the alert rules already use but the services do not define yet:
# PENDING THE SERVICES' INSTRUMENTATION. Remove each entry in the change that adds the metric;
# test_pending_metrics_are_still_pending fails as soon as one of them exists in the code.
PENDING_INSTRUMENTATION: frozenset[str] = frozenset()

# Metrics that come from outside the code: Prometheus itself and prometheus-nats-exporter
# (-varz, -jsz=all; its default prefixes are gnatsd_ and jetstream_).

SEVERITIES = {"critical", "warning"}


@pytest.fixture(scope="module")
def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    data = json.loads((GRAFANA / "dashboards" / "gatehouse.json").read_text())
    assert isinstance(data, dict)
    return data


def dashboard_expressions(dashboard: dict[str, Any]) -> list[str]:
    return [
        target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        if "expr" in target
    ]


@pytest.fixture(scope="module")
def exported() -> set[str]:
    names = exported_metric_names(source_roots())
    assert "gatehouse_http_requests_total" in names, "the metric extractor found nothing"
    return names


def test_alert_rules_are_well_formed(rules: list[dict[str, Any]]) -> None:
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names)), "alert names must be unique"
    for rule in rules:
        assert rule["expr"].strip(), rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert rule["annotations"]["summary"].strip(), rule["alert"]
        assert rule["annotations"]["description"].strip(), rule["alert"]


@pytest.mark.parametrize(
    ("concern", "metric"),
    [
        ("outbox backlog growing", "gatehouse_outbox_backlog"),
        ("notifier consumer lag", "gatehouse_notifier_consumer_pending"),
        ("e-mails failing", "gatehouse_notifier_messages_total"),
        ("service not ready", "up"),
        ("burst of lockouts", "gatehouse_identity_accounts_blocked_total"),
    ],
)
def test_each_required_alert_exists(rules: list[dict[str, Any]], concern: str, metric: str) -> None:
    assert any(metric in promql_metric_names(rule["expr"]) for rule in rules), concern


def test_dashboard_shows_what_operations_needs(dashboard: dict[str, Any]) -> None:
    used = set().union(*map(promql_metric_names, dashboard_expressions(dashboard)))
    required = {
        "gatehouse_http_requests_total",  # request rate and errors per service and route
        "gatehouse_http_request_duration_seconds_bucket",  # latency
        "gatehouse_identity_sign_ins_total",
        "gatehouse_identity_accounts_blocked_total",
        "gatehouse_identity_second_factor_failures_total",
        "gatehouse_outbox_backlog",
        "gatehouse_notifier_consumer_pending",
        "gatehouse_notifier_messages_total",
        "gatehouse_db_pool_connections",
    }
    assert required <= used, f"missing panels for {sorted(required - used)}"


def test_every_metric_used_is_defined(
    rules: list[dict[str, Any]], dashboard: dict[str, Any], exported: set[str]
) -> None:
    expressions = [rule["expr"] for rule in rules] + dashboard_expressions(dashboard)
    for variable in dashboard["templating"]["list"]:
        expressions.append(variable["query"]["query"].removeprefix("label_values(").split(",")[0])
    known = exported | PENDING_INSTRUMENTATION | EXTERNAL_METRICS
    for expr in expressions:
        names = promql_metric_names(expr)
        assert names, f"no metric found in {expr!r}"
        unknown = names - known
        assert not unknown, f"{sorted(unknown)} in {expr!r} is not defined in libs/ or services/"


def test_pending_metrics_are_still_pending(exported: set[str]) -> None:
    landed = PENDING_INSTRUMENTATION & exported
    assert not landed, f"now defined in the code: remove {sorted(landed)} from the allow-list"


def test_promql_name_extraction() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, route) (rate(a_bucket{service=~"$service",'
        'status=~"5.."}[$__rate_interval]))) / on (job) group_left b_total offset 5m > 1e-3'
    )
    assert promql_metric_names(expr) == {"a_bucket", "b_total"}


def test_dashboard_uses_the_provisioned_datasource(dashboard: dict[str, Any]) -> None:
    provisioning = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    (datasource,) = provisioning["datasources"]
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == datasource["uid"], panel["title"]
            assert panel["targets"], panel["title"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"


def test_grafana_and_prometheus_mount_these_files(compose: dict[str, Any]) -> None:
    services = compose["services"]
    mounts = {
        volume.split(":")[0].removeprefix("./"): volume.split(":")[1]
        for name in ("prometheus", "grafana")
        for volume in services[name]["volumes"]
        if volume.startswith("./")
    }
    prometheus_config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    assert prometheus_config["rule_files"] == [mounts["deploy/prometheus/alerts.yml"]]
    provider = yaml.safe_load((GRAFANA / "provisioning/dashboards/gatehouse.yml").read_text())
    (dashboards,) = provider["providers"]
    assert dashboards["options"]["path"] == mounts["deploy/grafana/dashboards"]
    assert mounts["deploy/grafana/provisioning"] == "/etc/grafana/provisioning"


def test_prometheus_scrapes_every_service_and_nats(compose: dict[str, Any]) -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for service in SERVICES:
        # DNS discovery: one target per replica (the notifier runs two).
        (discovery,) = jobs[service]["dns_sd_configs"]
        assert discovery["names"] == [service]
        assert discovery["port"] == SERVICE_SPECS[service].http_port
        assert jobs[service].get("metrics_path", "/metrics") == "/metrics"
    (nats,) = jobs["nats"]["static_configs"]
    host = nats["targets"][0].split(":")[0]
    assert host in compose["services"], "the NATS job must scrape the exporter service"


# --- promtool: only where it is installed (Debian: apt-get install prometheus) -------------------

ALERT_TESTS = """
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'up{job="identity",instance="10.0.0.1:8001"}'
        values: '0x10'
      - series: 'up{job="registry",instance="10.0.0.2:8002"}'
        values: '1x10'
    alert_rule_test:
      - eval_time: 1m
        alertname: GatehouseServiceDown
        exp_alerts: []
      - eval_time: 5m
        alertname: GatehouseServiceDown
        exp_alerts:
          - exp_labels: {severity: critical, job: identity, instance: "10.0.0.1:8001"}
      - eval_time: 6m
        alertname: GatehouseServiceAbsent
        exp_alerts:
          - exp_labels: {severity: critical, job: notifier}

  - interval: 1m
    input_series:
      - series: 'gatehouse_outbox_backlog{service="identity",instance="a"}'
        values: '5+2x40'
      # registry's relay keeps draining its outbox: no alert, however busy
      - series: 'gatehouse_outbox_backlog{service="registry",instance="b"}'
        values: '0 30 0 20 0 40 0 10 0 50 0 20 0 30 0 10 0 20 0 40 0 10 0 20 0 30 0 10 0 20 0 40'
      - series: 'gatehouse_outbox_publish_errors_total{service="identity",instance="a"}'
        values: '0+3x40'
    alert_rule_test:
      - eval_time: 30m
        alertname: GatehouseOutboxBacklogGrowing
        exp_alerts:
          - exp_labels: {severity: warning, service: identity}
      - eval_time: 20m
        alertname: GatehouseOutboxPublishErrors
        exp_alerts:
          - exp_labels: {severity: warning, service: identity}

  - interval: 1m
    input_series:
      # both replicas report the same consumer
      - series: 'gatehouse_notifier_consumer_pending{instance="n1"}'
        values: '500x20'
      - series: 'gatehouse_notifier_consumer_pending{instance="n2"}'
        values: '500x20'
      - series: 'gatehouse_notifier_dead_letters_total{reason="undecodable",instance="n1"}'
        values: '0 0 1 1 1 1'
    alert_rule_test:
      - eval_time: 15m
        alertname: GatehouseNotifierConsumerLag
        exp_alerts:
          - exp_labels: {severity: warning, service: notifier}
      - eval_time: 4m
        alertname: GatehouseNotifierDeadLetters
        exp_alerts:
          - exp_labels: {severity: warning, service: notifier, reason: undecodable}

  - interval: 1m
    input_series:
      - series: 'gatehouse_notifier_messages_total{template="set_password",status="sent"}'
        values: '0+1x30'
      - series: 'gatehouse_notifier_messages_total{template="set_password",status="failed"}'
        values: '0+1x30'
      - series: 'gatehouse_notifier_messages_total{template="set_password",status="abandoned"}'
        values: '0 0 0 0 0 1 1 1 1 1 1'
    alert_rule_test:
      - eval_time: 25m
        alertname: GatehouseEmailsFailing
        exp_alerts:
          - exp_labels: {severity: warning, service: notifier}
      - eval_time: 8m
        alertname: GatehouseEmailsAbandoned
        exp_alerts:
          - exp_labels: {severity: critical, service: notifier, template: set_password}

  - interval: 1m
    input_series:
      - series: 'gatehouse_identity_accounts_blocked_total{instance="a"}'
        values: '0+3x20'
      - series: 'gatehouse_identity_sign_ins_total{outcome="failed",instance="a"}'
        values: '0+60x30'
      - series: 'gatehouse_identity_sign_ins_total{outcome="succeeded",instance="a"}'
        values: '0+10x30'
    alert_rule_test:
      - eval_time: 15m
        alertname: GatehouseLockoutBurst
        exp_alerts:
          - exp_labels: {severity: critical, service: identity}
      - eval_time: 25m
        alertname: GatehouseSignInFailureSpike
        exp_alerts:
          - exp_labels: {severity: warning, service: identity}
"""


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool is not installed")
    return found


def run_promtool(*arguments: str) -> None:
    result = subprocess.run(
        [promtool(), *arguments], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_configuration(tmp_path: Path) -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    config["rule_files"] = [str(PROMETHEUS / "alerts.yml")]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    run_promtool("check", "config", str(tmp_path / "prometheus.yml"))


def test_promtool_accepts_the_dashboard_queries(tmp_path: Path, dashboard: dict[str, Any]) -> None:
    # Each panel query as a recording rule: promtool parses it as PromQL.
    rules = [
        {"record": f"dashboard:query_{number}", "expr": expr.replace("$__rate_interval", "5m")}
        for number, expr in enumerate(dashboard_expressions(dashboard))
    ]
    (tmp_path / "dashboard.yml").write_text(
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]})
    )
    run_promtool("check", "rules", str(tmp_path / "dashboard.yml"))


def test_alerts_fire_when_they_should(tmp_path: Path, rules: list[dict[str, Any]]) -> None:
    # promtool compares annotations too; the scenarios check labels, so annotations are dropped.
    stripped = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    for group in stripped["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    (tmp_path / "alerts.yml").write_text(yaml.safe_dump(stripped))
    scenarios = yaml.safe_load(ALERT_TESTS)
    tested = {case["alertname"] for test in scenarios["tests"] for case in test["alert_rule_test"]}
    assert tested == {rule["alert"] for rule in rules}, "every alert needs a scenario"
    (tmp_path / "alerts_test.yml").write_text(
        yaml.safe_dump({"rule_files": ["alerts.yml"], **scenarios})
    )
    run_promtool("test", "rules", str(tmp_path / "alerts_test.yml"))
