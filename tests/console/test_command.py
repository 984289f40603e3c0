"""`churnwatch console` on its own, from Redis alone: the page, and the API's access rule."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from urllib.error import HTTPError, URLError

import pytest

from embedded.process import wait_until
from embedded.services import EmbeddedRedis

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _status(url: str, token: str | None = None) -> int:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return int(response.status)
    except HTTPError as error:
        return int(error.code)


def test_the_console_serves_its_page_and_guards_its_data(redis_server: EmbeddedRedis) -> None:
    port = _free_port()
    env = {
        **os.environ, "CHURNWATCH_REDIS_URL": redis_server.url,
        "CHURNWATCH_API_TOKEN": "c0nsole", "CHURNWATCH_REDIS_PREFIX": "console-cmd-test:",
    }  # fmt: skip
    command = [sys.executable, "-m", "churnwatch", "console", "--port", str(port)]
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE) as console:
        base = f"http://127.0.0.1:{port}"
        try:

            def up() -> bool:
                try:
                    return _status(f"{base}/console") == 200
                except (URLError, OSError):
                    return False

            wait_until(up, timeout=30, what="churnwatch console to answer")
            with urllib.request.urlopen(f"{base}/console", timeout=2) as response:
                page = response.read().decode()
                assert "Content-Security-Policy" in response.headers
            assert "<title>churnwatch</title>" in page
            assert _status(f"{base}/customers/at-risk") == 401
            assert _status(f"{base}/customers/at-risk", "wrong") == 401
            assert _status(f"{base}/customers/at-risk", "c0nsole") == 200
            assert _status(f"{base}/desk/retention_desk", "c0nsole") == 200
        finally:
            console.terminate()
            console.wait(timeout=10)
