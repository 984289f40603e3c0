"""docker-compose.yml, validated without a Docker engine: `docker-compose config` (Debian's
docker-compose) checks it against the Compose schema, and the resolved file is checked for
what the stack promises — two workers in one group, health checks, restart policies, the
monitoring files mounted from where they are in the repository."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.ops.support import (
    COMPOSE_FILE,
    OPS,
    PROMETHEUS_CONFIG,
    ROOT,
    load_yaml,
    require_binary,
    run_tool,
)

LONG_RUNNING = ("kafka", "redis", "worker-1", "worker-2", "prometheus", "alertmanager", "grafana")
JOBS = ("topics", "simulate")
WORKERS = ("worker-1", "worker-2")


@pytest.fixture(scope="module")
def resolved() -> dict[str, Any]:
    """The compose file as `docker-compose config` resolves it (anchors merged, paths
    absolute); the command fails on any schema error."""
    compose = require_binary("docker-compose")
    output = run_tool([compose, "--project-directory", str(ROOT), "-f", str(COMPOSE_FILE),
                       "--profile", "job", "config"])  # fmt: skip
    with tempfile.NamedTemporaryFile("w", suffix=".yml") as handle:
        handle.write(output)
        handle.flush()
        loaded: dict[str, Any] = load_yaml(Path(handle.name))
    return loaded


def test_compose_file_is_valid_without_a_docker_engine() -> None:
    compose = require_binary("docker-compose")
    done = subprocess.run(
        [compose, "-f", str(COMPOSE_FILE), "config", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_promised_service_is_there(resolved: dict[str, Any]) -> None:
    assert set(resolved["services"]) == {*LONG_RUNNING, *JOBS}


def test_long_running_services_have_health_checks_and_restart(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    for name in LONG_RUNNING:
        service = services[name]
        assert service.get("healthcheck", {}).get("test"), f"{name}: no health check"
        assert service.get("restart") in ("unless-stopped", "always"), f"{name}: restart"
        assert service.get("logging", {}).get("options", {}).get("max-size"), f"{name}: logs"


def test_jobs_run_once(resolved: dict[str, Any]) -> None:
    for name in JOBS:
        assert resolved["services"][name].get("restart", "no") == "no", name
    # The simulator is a job run on demand, not part of `up`.
    assert resolved["services"]["simulate"].get("profiles") == ["job"]


def test_two_workers_share_one_consumer_group(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    groups = {services[w]["environment"]["CHURNWATCH_APP_ID"] for w in WORKERS}
    assert groups == {"churnwatch"}
    for worker in WORKERS:
        service = services[worker]
        assert service["command"][0] == "worker"
        env = service["environment"]
        assert env["CHURNWATCH_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert env["CHURNWATCH_WEB_PORT"] == "6066"
        assert env["CHURNWATCH_WEB_HOST"] == "0.0.0.0"
        depends = service["depends_on"]
        assert depends["kafka"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["topics"]["condition"] == "service_completed_successfully"


def test_published_ports_bind_to_loopback(resolved: dict[str, Any]) -> None:
    for name, service in resolved["services"].items():
        for port in service.get("ports", []):
            host_ip = port.get("host_ip") if isinstance(port, dict) else str(port).split(":")[0]
            assert host_ip == "127.0.0.1", f"{name} publishes {port} beyond loopback"


def test_prometheus_scrapes_every_worker_and_loads_the_rules(resolved: dict[str, Any]) -> None:
    config = load_yaml(PROMETHEUS_CONFIG)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    targets = {t for sc in jobs["churnwatch"]["static_configs"] for t in sc["targets"]}
    assert targets == {f"{w}:6066" for w in WORKERS}
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == [
        "alertmanager:9093"
    ]
    prometheus = resolved["services"]["prometheus"]
    assert _mount(prometheus, "/etc/prometheus") == OPS / "prometheus"
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    retention = next(a for a in prometheus["command"] if "retention.time" in a)
    assert int(retention.rsplit("=", 1)[1].removesuffix("d")) > 8, "baselines need 8 days"


def test_alertmanager_and_grafana_get_their_provisioning(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    assert _mount(services["alertmanager"], "/etc/alertmanager") == OPS / "alertmanager"
    grafana = services["grafana"]
    assert _mount(grafana, "/etc/grafana/provisioning") == OPS / "grafana" / "provisioning"
    assert _mount(grafana, "/var/lib/grafana/dashboards") == OPS / "grafana" / "dashboards"
    providers = load_yaml(OPS / "grafana" / "provisioning" / "dashboards" / "churnwatch.yml")
    assert providers["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    sources = load_yaml(OPS / "grafana" / "provisioning" / "datasources" / "prometheus.yml")
    (source,) = sources["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"


def _mount(service: dict[str, Any], target: str) -> Path:
    """The host path mounted at `target`, which must exist in the repository."""
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            source, at = volume.get("source"), volume.get("target")
        else:
            source, at = str(volume).split(":")[:2]
        if at == target:
            path = Path(str(source))
            assert path.exists(), f"{source} (mounted at {target}) does not exist"
            return path
    raise AssertionError(f"nothing mounted at {target}")
