"""Child server processes that cannot outlive the Python process that started them.

The demo, the benchmark and the integration tests each start a throwaway broker and Redis. A
stray server left behind keeps its port and (for Tansu) grows its memory without bound, so every
child is stopped by three independent mechanisms:

* context managers and explicit ``stop()`` for the normal path;
* an ``atexit`` hook for interpreter exit, including an uncaught ``KeyboardInterrupt``;
* on Linux, ``PR_SET_PDEATHSIG`` so the kernel sends the child SIGTERM when the parent dies
  without running any Python code (SIGKILL, SIGTERM with the default handler, a segfault).

``ManagedProcess`` is the shared machinery; ``embedded.services`` adds the two servers.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import ctypes
import ctypes.util
import os
import queue
import random
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.error import URLError

__all__ = [
    "ManagedProcess",
    "ProcessExitedError",
    "answers_ok",
    "free_port",
    "pid_alive",
    "wait_until",
]

_PR_SET_PDEATHSIG = 1
# The parent-death signal. SIGTERM lets the servers shut down cleanly (even when paused: see
# `pause()`).
_DEATH_SIGNAL = signal.SIGTERM
# Ports below this are never handed out by the kernel for outgoing connections on a default
# Linux, so a client reconnecting to a killed server cannot take the server's port for itself
# (TCP self-connect) before `restart()` binds it again.
_FIRST_PORT = 15000


class ProcessExitedError(RuntimeError):
    """A managed server exited while we were waiting for it to become ready."""


def wait_until(
    predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.05
) -> None:
    """Poll `predicate` until it returns true; raise `TimeoutError` naming `what` otherwise.

    Exceptions from `predicate` propagate: a probe that knows the wait is hopeless (the server
    died) should say so at once rather than burn the whole timeout.
    """
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(min(interval, remaining))


def _ephemeral_low() -> int:
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text()
        return int(text.split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _can_bind(port: int) -> bool:
    # No SO_REUSEADDR here: a port with connections still in TIME_WAIT counts as taken, which is
    # the conservative answer.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def answers_ok(url: str, timeout: float = 1.0) -> bool:
    """Whether a GET of `url` answers 200 (a server's health or readiness probe)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except (URLError, OSError):
        return False


def free_port() -> int:
    """A loopback TCP port that is free right now, preferably outside the ephemeral range.

    Another process can still take it before our server binds it; `ManagedProcess.start()`
    retries with a fresh port when a server dies during start-up for that reason.
    """
    low = _ephemeral_low()
    if low - _FIRST_PORT >= 1000:
        rng = random.Random()
        for _ in range(200):
            port = rng.randrange(_FIRST_PORT, low)
            if _can_bind(port):
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        chosen: int = sock.getsockname()[1]
        return chosen


def pid_alive(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie awaiting its reaper counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Orphans are re-parented to PID 1, which in containers often never reaps them.
    return _proc_state(pid) not in ("Z", "X", None)


def _proc_state(pid: int) -> str | None:
    """The one-letter state from /proc/PID/stat, or None when unknown or gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses; the state follows the last ')'.
    rest = stat.rpartition(")")[2].split()
    return rest[0] if rest else None


def _parent_death_hook() -> Callable[[], None] | None:
    """A `preexec_fn` arming PR_SET_PDEATHSIG in the child, or None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    prctl = libc.prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    parent = os.getpid()
    signum = int(_DEATH_SIGNAL)

    def arm() -> None:
        # Runs in the forked child before exec: keep it to the two system calls.
        if prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
            os._exit(127)
        # If the parent died between fork() and prctl(), no signal will ever come.
        if os.getppid() != parent:
            os._exit(1)

    return arm


# PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not the process. A
# server started from a short-lived thread (asyncio.to_thread, an executor) would be killed when
# that thread ends, so every child is forked by one daemon thread that lives as long as the
# process does.
_Child = subprocess.Popen[bytes]
_SpawnJob = tuple[Callable[[], _Child], concurrent.futures.Future[_Child]]
_spawn_queue: queue.SimpleQueue[_SpawnJob] = queue.SimpleQueue()
_spawner: threading.Thread | None = None
_spawner_lock = threading.Lock()


def _spawner_loop() -> None:
    while True:
        job, future = _spawn_queue.get()
        if not future.set_running_or_notify_cancel():
            continue
        try:
            future.set_result(job())
        except BaseException as exc:  # handed to the caller, never swallowed
            future.set_exception(exc)


def _spawn(job: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    global _spawner
    with _spawner_lock:
        if _spawner is None or not _spawner.is_alive():
            _spawner = threading.Thread(
                target=_spawner_loop, name="churnwatch-embedded-spawner", daemon=True
            )
            _spawner.start()
    future: concurrent.futures.Future[subprocess.Popen[bytes]] = concurrent.futures.Future()
    _spawn_queue.put((job, future))
    return future.result()


_OWNER_FILE = "owner.pid"


def _make_workdir(stem: str) -> Path:
    """A fresh scratch directory, after sweeping those of owners that died without cleaning up.

    Only a parent killed outright leaves one behind; its children died with it, so the
    directory holds nothing but an old log.
    """
    prefix = f"churnwatch-{stem}-"
    for old in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        try:
            owner = int((old / _OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue  # not ours to judge (or being created right now)
        if owner != os.getpid() and not pid_alive(owner):
            shutil.rmtree(old, ignore_errors=True)
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    (workdir / _OWNER_FILE).write_text(str(os.getpid()))
    return workdir


_live: set[ManagedProcess] = set()
_live_lock = threading.Lock()


def _stop_all() -> None:
    with _live_lock:
        survivors = list(_live)
    for proc in survivors:
        with contextlib.suppress(Exception):
            proc.stop()


atexit.register(_stop_all)


class ManagedProcess:
    """One server child process on a fixed loopback port, with its own scratch directory.

    Subclasses supply the command line and a readiness probe. The port is chosen once and kept
    across `kill()`/`restart()`, so clients can reconnect to the same address.
    """

    #: Short human name used in errors and log headers.
    name: str = "server"

    def __init__(
        self,
        port: int | None = None,
        *,
        startup_timeout: float = 30.0,
        stop_timeout: float = 10.0,
        keep_logs: bool = False,
    ) -> None:
        self._fixed_port = port is not None
        self._port = port if port is not None else free_port()
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.keep_logs = keep_logs
        self._proc: subprocess.Popen[bytes] | None = None
        self._workdir: Path | None = None
        self._paused = False
        self._started_once = False
        self._lock = threading.RLock()

    # -- for subclasses -------------------------------------------------------------------------

    def _command(self) -> Sequence[str]:
        raise NotImplementedError

    def _environment(self) -> Mapping[str, str] | None:
        """The child's environment; None inherits ours."""
        return None

    def _is_ready(self) -> bool:
        raise NotImplementedError

    def _ready_done(self) -> None:
        """Release probe resources once the server answered (or the wait was abandoned)."""

    # -- state ----------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def pid(self) -> int | None:
        """PID of the running child, or None when it is not running."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def running(self) -> bool:
        return self.pid is not None

    @property
    def paused(self) -> bool:
        return self._paused and self.running

    @property
    def workdir(self) -> Path | None:
        return self._workdir

    @property
    def log_path(self) -> Path | None:
        """The child's combined stdout/stderr, kept across restarts (None before `start()`)."""
        return self._workdir / f"{self._log_stem()}.log" if self._workdir is not None else None

    def _log_stem(self) -> str:
        return self.name.split()[0].lower()

    def log_tail(self, lines: int = 40) -> str:
        """The last `lines` lines of the log, for error messages and failing tests."""
        path = self.log_path
        if path is None or not path.exists():
            return "(no log)"
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64 * 1024))
            data = fh.read().decode("utf-8", "replace")
        return "\n".join(data.splitlines()[-lines:])

    # -- life cycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        """Start the server and block until it answers; a no-op when already running."""
        with self._lock:
            if self.running:
                return self
            if self._workdir is None:
                self._workdir = _make_workdir(self._log_stem())
            with _live_lock:
                _live.add(self)
            attempts = 1 if (self._fixed_port or self._started_once) else 3
            for attempt in range(1, attempts + 1):
                try:
                    self._launch()
                    break
                except ProcessExitedError:
                    # Most likely someone took the port between free_port() and our bind.
                    if attempt == attempts:
                        raise
                    self._port = free_port()
            self._started_once = True
            return self

    def _launch(self) -> None:
        """Start the child on `self.port` and wait for readiness; on failure leave nothing."""
        assert self._workdir is not None and self.log_path is not None
        argv = list(self._command())
        env = self._environment()
        env_dict = dict(env) if env is not None else None
        cwd = self._workdir
        with self.log_path.open("ab") as log:
            log.write(f"--- {time.strftime('%H:%M:%S')} starting: {shlex.join(argv)}\n".encode())
            log.flush()
            preexec = _parent_death_hook()

            def popen() -> subprocess.Popen[bytes]:
                return subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=cwd,
                    env=env_dict,
                    preexec_fn=preexec,
                    # Own process group: a terminal Ctrl-C reaches only Python, which then
                    # stops the servers after its clients, not before them.
                    process_group=0,
                )

            self._proc = _spawn(popen)
        self._paused = False
        try:
            wait_until(self._probe, self.startup_timeout, f"{self.name} on 127.0.0.1:{self.port}")
        except BaseException:
            self._terminate()
            raise
        finally:
            self._ready_done()

    def _probe(self) -> bool:
        proc = self._proc
        if proc is None:
            raise ProcessExitedError(f"{self.name} is not running")
        code = proc.poll()
        if code is not None:
            raise ProcessExitedError(
                f"{self.name} exited with code {code} before it was ready "
                f"(log {self.log_path}):\n{self.log_tail()}"
            )
        return self._is_ready()

    def _terminate(self) -> None:
        """SIGTERM, wait up to `stop_timeout`, then SIGKILL; always reaps the child."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            # A stopped process only acts on SIGTERM once continued.
            proc.send_signal(signal.SIGCONT)
            try:
                proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._proc = None
        self._paused = False

    def stop(self) -> None:
        """Stop the server and delete its scratch directory (unless `keep_logs`). Idempotent."""
        with self._lock:
            self._terminate()
            with _live_lock:
                _live.discard(self)
            if self._workdir is not None and not self.keep_logs:
                shutil.rmtree(self._workdir, ignore_errors=True)
                self._workdir = None

    def kill(self) -> None:
        """SIGKILL the server, as a crash would; `restart()` brings it back on the same port."""
        with self._lock:
            proc = self._proc
            if proc is None:
                return
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            self._proc = None
            self._paused = False

    def restart(self) -> None:
        """Stop the server if it runs, then start it again on the same port."""
        with self._lock:
            self._terminate()
            if self._workdir is None:
                self.start()
                return
            with _live_lock:
                _live.add(self)
            self._launch()

    def pause(self) -> None:
        """Freeze the server with SIGSTOP: connections stay open but nothing is answered.

        A frozen child only acts on the parent-death SIGTERM once continued; the kernel does
        that for us, because the child leads its own process group, which is orphaned when
        this process dies, and an orphaned group with stopped members gets SIGHUP + SIGCONT.
        """
        with self._lock:
            proc = self._require_running()
            proc.send_signal(signal.SIGSTOP)
            self._paused = True
            if sys.platform.startswith("linux"):
                wait_until(
                    lambda: _proc_state(proc.pid) in ("T", None), 5.0, f"{self.name} to stop"
                )

    def resume(self) -> None:
        """Continue a paused server and wait until it answers again."""
        with self._lock:
            proc = self._require_running()
            proc.send_signal(signal.SIGCONT)
            self._paused = False
            try:
                wait_until(self._probe, self.startup_timeout, f"{self.name} to answer again")
            finally:
                self._ready_done()

    def _require_running(self) -> subprocess.Popen[bytes]:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            raise RuntimeError(f"{self.name} is not running")
        return proc

    # -- context manager ------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "paused" if self.paused else "running" if self.running else "stopped"
        return f"<{type(self).__name__} 127.0.0.1:{self.port} pid={self.pid} {state}>"
