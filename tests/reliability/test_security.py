"""Security properties: one Kafka security configuration for every client, secrets kept out
of logs and reprs, phone numbers kept out of everything a person or system downstream sees,
and the web server on loopback unless told otherwise."""

from __future__ import annotations

import re
import ssl

import orjson
import pytest

from agents.kafka import aiokafka_config, confluent_config, faust_credentials
from config.policy import Policy
from config.settings import Settings
from sim.population import SimConfig, simulate
from streams.calendar import Calendar
from streams.offline import OfflineRunner, ReplayRecord

SECRET = "s3cret-Pa55word"
TOKEN = "api-t0ken-value"
# The shape of a mobile number (msisdn, counterpart), not part of a longer number.
PHONE = re.compile(rb"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def secured(protocol: str, mechanism: str | None = "SCRAM-SHA-512") -> Settings:
    return Settings.from_env({
        "CHURNWATCH_KAFKA_BOOTSTRAP": "kafka:9093",
        "CHURNWATCH_KAFKA_SECURITY_PROTOCOL": protocol,
        "CHURNWATCH_KAFKA_SASL_MECHANISM": mechanism or "",
        "CHURNWATCH_KAFKA_SASL_USERNAME": "churnwatch",
        "CHURNWATCH_KAFKA_SASL_PASSWORD": SECRET,
        "CHURNWATCH_KAFKA_SSL_CAFILE": "",
        "CHURNWATCH_API_TOKEN": TOKEN,
    })  # fmt: skip


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_ssl_reaches_faust_aiokafka_and_librdkafka_alike(mechanism: str) -> None:
    settings = secured("SASL_SSL", mechanism)
    faust_side = faust_credentials(settings.security)
    aio = aiokafka_config(settings)
    rdkafka = confluent_config(settings)
    assert aio["security_protocol"] == rdkafka["security.protocol"] == "SASL_SSL"
    assert aio["sasl_mechanism"] == rdkafka["sasl.mechanism"] == mechanism
    assert str(faust_side.mechanism.value) == mechanism
    assert aio["sasl_plain_username"] == rdkafka["sasl.username"] == faust_side.username
    assert aio["sasl_plain_password"] == rdkafka["sasl.password"] == faust_side.password == SECRET
    assert isinstance(aio["ssl_context"], ssl.SSLContext)
    assert isinstance(faust_side.ssl_context, ssl.SSLContext)


def test_ssl_with_a_ca_file_goes_to_every_client(tmp_path) -> None:
    import subprocess

    cert = tmp_path / "ca.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
         str(tmp_path / "k.pem"), "-out", str(cert), "-days", "1", "-subj", "/CN=ca"],
        check=True, capture_output=True,
    )  # fmt: skip
    settings = Settings.from_env({
        "CHURNWATCH_KAFKA_BOOTSTRAP": "kafka:9093",
        "CHURNWATCH_KAFKA_SECURITY_PROTOCOL": "SSL",
        "CHURNWATCH_KAFKA_SSL_CAFILE": str(cert),
    })  # fmt: skip
    assert confluent_config(settings)["ssl.ca.location"] == str(cert)
    assert aiokafka_config(settings)["security_protocol"] == "SSL"
    assert faust_credentials(settings.security).context is not None


def test_secrets_never_show_in_a_repr_or_a_log_line() -> None:
    settings = secured("SASL_SSL")
    assert SECRET not in repr(settings) and TOKEN not in repr(settings)
    assert SECRET not in str(settings.security)


def test_the_web_server_binds_to_loopback_unless_configured() -> None:
    assert Settings.from_env({}).web_host == "127.0.0.1"
    assert Settings.from_env({"CHURNWATCH_WEB_HOST": "0.0.0.0"}).web_host == "0.0.0.0"


def test_phone_numbers_never_reach_alerts_tasks_or_state() -> None:
    _, records = simulate(SimConfig(customers=150, days=70, seed=4))
    replay = [ReplayRecord(r.topic, r.key, orjson.dumps(r.value)) for r in records]
    assert any(PHONE.search(r.value) for r in replay)  # the input is full of them
    runner = OfflineRunner(Policy(), Calendar())
    result = runner.run(replay)
    assert result.alerts and result.tasks
    for alert in result.alerts:
        assert not PHONE.search(orjson.dumps(alert.to_wire(0)))
    for task in result.tasks:
        assert not PHONE.search(orjson.dumps(task.to_wire()))
    for engine in runner.engines.values():
        for state in engine.states.values():
            assert not PHONE.search(state.to_json()), state.customer_id


@pytest.mark.integration
def test_a_running_worker_logs_and_exports_no_secret(redis_server) -> None:
    from churnwatch.commands import ensure_topics
    from churnwatch.worker_process import WorkerProcess
    from embedded.services import EmbeddedBroker

    env = {"CHURNWATCH_API_TOKEN": TOKEN, "CHURNWATCH_KAFKA_SASL_PASSWORD": SECRET}
    with EmbeddedBroker() as broker:
        ensure_topics(Settings(kafka_bootstrap=broker.bootstrap))
        with WorkerProcess(broker.bootstrap, redis_server.url, env=env) as worker:
            exported = worker.metrics_text()
        logged = worker.log_path.read_text() if worker.log_path else ""
    for text in (exported, logged):
        assert SECRET not in text and TOKEN not in text
