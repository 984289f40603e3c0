"""Integration tests for the embedded broker and redis-server (real processes, loopback only).

Shared session servers cover the happy path; tests that pause, kill or stop a server start
their own, so a failure here cannot take the session's broker down for everyone else.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from confluent_kafka import Consumer, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from embedded.process import pid_alive
from embedded.services import (
    EmbeddedBroker,
    EmbeddedRedis,
    RedisServerNotFound,
    Services,
    embedded_services,
    free_port,
    wait_until,
)
from embedded.topics import create_topics

ROOT = Path(__file__).resolve().parents[2]


def _unique(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:8]}"


def _produce(bootstrap: str, topic: str, key: bytes, value: bytes) -> int:
    """Produce one record and return the partition it landed on."""
    delivered: list[Message] = []
    producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random"})
    producer.produce(
        topic, key=key, value=value, on_delivery=lambda err, msg: delivered.append(msg)
    )
    assert producer.flush(10) == 0, "record not delivered within 10 s"
    assert delivered and delivered[0].error() is None, delivered
    partition = delivered[0].partition()
    assert partition is not None
    return partition


def _read_one(bootstrap: str, topic: str, partition: int, timeout: float = 10) -> Message:
    # Assigned, not subscribed: a group join on Tansu costs half the session timeout.
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": _unique("g"), "enable.auto.commit": False}
    )
    try:
        consumer.assign([TopicPartition(topic, partition, 0)])
        found: list[Message] = []

        def got_record() -> bool:
            msg = consumer.poll(0.2)
            if msg is not None and msg.error() is None:
                found.append(msg)
            return bool(found)

        wait_until(got_record, timeout, f"a record on {topic}[{partition}]")
        return found[0]
    finally:
        consumer.close()


def _broker_answers(bootstrap: str, timeout: float = 1.0) -> bool:
    try:
        AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=timeout)
    except KafkaException:
        return False
    return True


# -- plain helpers (no servers) ----------------------------------------------------------------


def test_wait_until_names_what_it_waited_for() -> None:
    with pytest.raises(TimeoutError, match="the moon"):
        wait_until(lambda: False, 0.05, "the moon", interval=0.01)


def test_wait_until_returns_as_soon_as_true() -> None:
    calls: list[int] = []

    def third_time() -> bool:
        calls.append(1)
        return len(calls) >= 3

    wait_until(third_time, 5, "three calls", interval=0.001)
    assert len(calls) == 3


def test_free_port_is_bindable_loopback_port() -> None:
    import socket

    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_missing_redis_server_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(RedisServerNotFound, match="apt-get install redis-server"):
        EmbeddedRedis()


# -- shared session servers --------------------------------------------------------------------


@pytest.mark.integration
def test_broker_round_trip(broker: EmbeddedBroker) -> None:
    assert broker.bootstrap == f"127.0.0.1:{broker.port}"
    topic = _unique("it.roundtrip")
    create_topics(broker.bootstrap, [(topic, 8, {"retention.ms": "3600000"})])
    partition = _produce(broker.bootstrap, topic, b"C000123", b'{"hello": 1}')
    msg = _read_one(broker.bootstrap, topic, partition)
    assert msg.key() == b"C000123"
    assert msg.value() == b'{"hello": 1}'


@pytest.mark.integration
def test_create_topics_is_idempotent_and_checks_partitions(broker: EmbeddedBroker) -> None:
    topic = _unique("it.idem")
    create_topics(broker.bootstrap, [(topic, 8, {})])
    create_topics(broker.bootstrap, [(topic, 8, {})])
    metadata = AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(timeout=5)
    assert len(metadata.topics[topic].partitions) == 8
    with pytest.raises(RuntimeError, match="already exists with 8 partitions"):
        create_topics(broker.bootstrap, [(topic, 4, {})], timeout=10)


@pytest.mark.integration
def test_redis_set_get(redis_server: EmbeddedRedis) -> None:
    assert redis_server.url == f"redis://127.0.0.1:{redis_server.port}/0"
    client = redis.Redis.from_url(redis_server.url)
    try:
        key = _unique("churnwatch:test")
        client.set(key, "v")
        assert client.get(key) == b"v"
        # Persistence off: a restarted test Redis must start empty, and nothing hits the disk.
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("appendonly") == {"appendonly": "no"}
    finally:
        client.close()


@pytest.mark.integration
def test_services_fixture_points_at_both(
    services: Services, broker: EmbeddedBroker, redis_server: EmbeddedRedis
) -> None:
    assert services == Services(bootstrap=broker.bootstrap, redis_url=redis_server.url)


# -- private servers for fault injection -------------------------------------------------------


@pytest.mark.integration
def test_broker_pause_and_resume_keeps_data() -> None:
    with EmbeddedBroker() as own:
        topic = _unique("it.pause")
        create_topics(own.bootstrap, [(topic, 1, {})])
        _produce(own.bootstrap, topic, b"k", b"before")
        pid = own.pid

        own.pause()
        assert own.paused
        assert not _broker_answers(own.bootstrap, timeout=1.0)

        own.resume()
        assert not own.paused
        assert own.pid == pid
        assert _broker_answers(own.bootstrap)
        assert _read_one(own.bootstrap, topic, 0).value() == b"before"


@pytest.mark.integration
def test_broker_kill_and_restart_same_port_loses_memory_storage() -> None:
    with EmbeddedBroker() as own:
        port, old_pid = own.port, own.pid
        assert old_pid is not None
        topic = _unique("it.restart")
        create_topics(own.bootstrap, [(topic, 1, {})])

        own.kill()
        assert own.pid is None and not pid_alive(old_pid)
        own.restart()
        assert own.port == port and own.pid not in (None, old_pid)
        metadata = AdminClient({"bootstrap.servers": own.bootstrap}).list_topics(timeout=5)
        assert topic not in metadata.topics


@pytest.mark.integration
def test_redis_kill_and_restart_on_same_port() -> None:
    with EmbeddedRedis() as own:
        url, old_pid = own.url, own.pid
        assert old_pid is not None
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.set("k", "v")

            own.kill()
            assert not pid_alive(old_pid)
            with pytest.raises(redis.ConnectionError):
                client.ping()

            own.restart()
            assert own.url == url and own.pid not in (None, old_pid)
            assert client.ping()
            assert client.get("k") is None  # no persistence: a restart starts empty
        finally:
            client.close()


@pytest.mark.integration
def test_stop_leaves_no_process_even_when_paused() -> None:
    with embedded_services() as svc:
        assert svc.bootstrap.startswith("127.0.0.1:")
        assert svc.redis_url.startswith("redis://127.0.0.1:")
    # embedded_services hides the objects; use our own to see pids and a paused stop.
    own_broker, own_redis = EmbeddedBroker().start(), EmbeddedRedis().start()
    pids = [own_broker.pid, own_redis.pid]
    workdirs = [own_broker.workdir, own_redis.workdir]
    own_broker.pause()
    own_broker.stop()
    own_redis.stop()
    for pid in pids:
        assert pid is not None and not pid_alive(pid)
    assert own_broker.pid is None and own_redis.pid is None
    assert all(d is not None and not d.exists() for d in workdirs)


_ORPHAN_SCRIPT = """
import sys
from embedded.services import EmbeddedBroker, EmbeddedRedis
broker, server = EmbeddedBroker().start(), EmbeddedRedis().start()
if sys.argv[1] == "pause":
    broker.pause()
print(broker.pid, server.pid, broker.workdir, server.workdir, flush=True)
sys.stdin.read()  # until the test kills us
"""


_PR_SET_CHILD_SUBREAPER = 36


def _set_child_subreaper(on: bool) -> bool:
    """Adopt our orphaned grandchildren so we can reap them (PID 1 here may reap late)."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) == 0)


@pytest.mark.integration
@pytest.mark.parametrize("mode", ["run", "pause"])
def test_servers_die_with_a_sigkilled_parent(mode: str) -> None:
    adopted = _set_child_subreaper(True)
    parent = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN_SCRIPT, mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        # A paused server acts on its parent-death SIGTERM only once the kernel continues its
        # orphaned process group, and the group counts as orphaned only when its new parent
        # (us, the subreaper) is in another session — as init is in real life.
        start_new_session=True,
    )
    pids: list[int] = []
    workdirs: list[Path] = []
    try:
        assert parent.stdout is not None
        line = parent.stdout.readline().decode()
        fields = line.split()
        assert len(fields) == 4, f"parent printed {line!r}"
        pids = [int(p) for p in fields[:2]]
        workdirs = [Path(d) for d in fields[2:]]
        assert all(pid_alive(p) for p in pids)

        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        wait_until(
            lambda: not any(pid_alive(p) for p in pids), 20, "servers to die with their parent"
        )
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for stream in (parent.stdin, parent.stdout):
            if stream is not None:
                stream.close()
        for pid in pids:
            if pid_alive(pid):  # the test failed: do not leave the servers behind
                os.kill(pid, signal.SIGKILL)
            if adopted:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
        if adopted:
            _set_child_subreaper(False)
    # Nobody was left to delete the scratch directories; the next start sweeps them.
    assert all(d.exists() for d in workdirs)
    with EmbeddedRedis() as sweeper, EmbeddedBroker() as _:
        assert not any(d.exists() for d in workdirs)
        assert sweeper.workdir is not None and sweeper.workdir.exists()
