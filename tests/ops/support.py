"""Helpers for the ops tests: where the ops files are, the Debian tools they run, YAML, and a
Prometheus server as a managed child process."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.error import HTTPError

import pytest

from embedded.process import ManagedProcess, answers_ok

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "ops"
RULES_DIR = OPS / "prometheus" / "rules"
RULE_FILES = sorted(RULES_DIR.glob("*.rules.yml"))
RULE_TESTS = sorted((OPS / "prometheus" / "tests").glob("*.test.yml"))
PROMETHEUS_CONFIG = OPS / "prometheus" / "prometheus.yml"
ALERTMANAGER_CONFIG = OPS / "alertmanager" / "alertmanager.yml"
DASHBOARD = OPS / "grafana" / "dashboards" / "churnwatch.json"
GRAFANA_PROVISIONING = OPS / "grafana" / "provisioning"
COMPOSE_FILE = ROOT / "docker-compose.yml"
RUNBOOKS = ROOT / "docs" / "runbooks.md"
OPERATIONS = ROOT / "docs" / "operations.md"

# Debian package that ships each tool (the Makefile's `services` target installs them).
DEBIAN_PACKAGE = {
    "promtool": "prometheus",
    "prometheus": "prometheus",
    "amtool": "prometheus-alertmanager",
    "docker-compose": "docker-compose",
}


def require_binary(name: str) -> str:
    """The tool's path, or skip naming the Debian package that provides it."""
    found = shutil.which(name)
    if found is None:
        package = DEBIAN_PACKAGE.get(name, name)
        pytest.skip(
            f"{name} is not installed: `make services` installs it (apt-get install {package})"
        )
    return found


def run_tool(
    argv: Sequence[str], cwd: Path = ROOT, timeout: float = 120, stderr: bool = True
) -> str:
    """Run a tool and return its output (stdout, then stderr unless told not to); fail the
    test with the whole output when it exits non-zero."""
    done = subprocess.run(
        list(argv), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"`{' '.join(argv)}` exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout + done.stderr if stderr else done.stdout


# -- YAML ---------------------------------------------------------------------------------------

_YAML_TO_JSON = "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"


def load_yaml(path: Path) -> Any:
    """Parse a YAML file: with PyYAML when the venv has it, else with the system Python's
    (Debian's python3-yaml, a dependency of the docker-compose package)."""
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        pass
    else:
        return yaml.safe_load(path.read_text())
    for python in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if not Path(python).exists():
            continue
        done = subprocess.run(
            [python, "-c", _YAML_TO_JSON],
            input=path.read_text(),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0:
            return json.loads(done.stdout)
    pytest.skip(
        "no YAML parser: install PyYAML in the venv or Debian's python3-yaml",
        allow_module_level=True,
    )


# -- the ops files ------------------------------------------------------------------------------


def alert_rules() -> list[dict[str, Any]]:
    """Every alerting rule of ops/prometheus/rules, with the file it came from."""
    found = []
    for path in RULE_FILES:
        for group in load_yaml(path)["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    found.append({**rule, "file": path.name, "group": group["name"]})
    return found


def markdown_anchors(text: str) -> set[str]:
    """GitHub's anchors for the headings of a Markdown document."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        match = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if in_code or not match:
            continue
        anchor = github_anchor(match.group(2))
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        anchors.add(anchor if count == 0 else f"{anchor}-{count}")
    return anchors


def github_anchor(heading: str) -> str:
    text = re.sub(r"`([^`]*)`", r"\1", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(c for c in text if c.isalnum() or c in " -_")
    return text.replace(" ", "-")


# -- the dashboard ------------------------------------------------------------------------------


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def dashboard_panels(board: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel that is not a row, including panels nested in collapsed rows."""
    for panel in board.get("panels", []):
        if panel.get("type") == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


# Grafana's built-in and dashboard variables, as the live test substitutes them: windows wide
# enough to span the whole test run, every worker selected.
GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "5s",
    "$__range": "1h",
    "$instance": ".*",
}


def substitute_variables(expr: str) -> str:
    for name in sorted(GRAFANA_VARIABLES, key=len, reverse=True):
        expr = expr.replace(name, GRAFANA_VARIABLES[name])
    return expr


METRIC_NAME = re.compile(r"\bchurnwatch_[a-z0-9_]+")


def metric_names(expr: str) -> set[str]:
    """The churnwatch metric names a PromQL expression reads."""
    return set(METRIC_NAME.findall(expr))


def exposed_names(metrics_text: str) -> set[str]:
    """Every sample name a /metrics page declares (histogram and counter suffixes included),
    whether or not it has samples yet."""
    names: set[str] = set()
    for line in metrics_text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(maxsplit=3)
            names.add(name)
            if kind == "histogram":
                names.update(f"{name}{s}" for s in ("_bucket", "_count", "_sum", "_created"))
            elif kind == "counter":
                base = name.removesuffix("_total")
                names.update({f"{base}_total", f"{base}_created"})
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


# -- Prometheus ---------------------------------------------------------------------------------


class PrometheusServer(ManagedProcess):
    """Debian's `prometheus` on 127.0.0.1 with a generated config, its TSDB in the scratch
    directory, no remote write; stopped (SIGTERM, then SIGKILL) with the test."""

    name = "prometheus server"

    def __init__(self, config: str, rule_files: Mapping[str, str], binary: str) -> None:
        super().__init__(startup_timeout=30.0, stop_timeout=10.0)
        self.config = config
        self.rule_files = dict(rule_files)
        self.binary = binary

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _command(self) -> Sequence[str]:
        workdir = self.workdir
        assert workdir is not None
        (workdir / "prometheus.yml").write_text(self.config)
        for name, text in self.rule_files.items():
            (workdir / name).write_text(text)
        return [
            self.binary,
            f"--config.file={workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--storage.tsdb.retention.time=1d",
            "--log.level=warn",
        ]

    def _is_ready(self) -> bool:
        return answers_ok(f"{self.url}/-/ready")

    def api(self, path: str, **params: str) -> dict[str, Any]:
        """GET /api/v1/<path>; returns the whole answer, errors included (HTTP 4xx too)."""
        query = urllib.parse.urlencode(params)
        request = f"{self.url}/api/v1/{path}?{query}"
        try:
            with urllib.request.urlopen(request, timeout=10.0) as response:
                answer: dict[str, Any] = json.loads(response.read())
        except HTTPError as exc:
            answer = json.loads(exc.read())
        return answer

    def value(self, expr: str) -> float | None:
        """An instant query's single value (None when the result is empty)."""
        answer = self.api("query", query=expr)
        if answer["status"] != "success":
            raise ValueError(f"query {expr!r} failed: {answer.get('error')}")
        result = answer["data"]["result"]
        return float(result[0]["value"][1]) if result else None
