"""Start the real service in a child process on a free loopback port (for tests and benchmarks)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import httpx
import uvicorn

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Loopback:
    """The URLs of a server listening on 127.0.0.1:`port`, and the API token to call it with."""

    port: int
    token: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def use_admin_token(self, data_dir: Path) -> None:
        """The token of the admin the server made on its first start (CREATOR_DATA_DIR/admin-token)."""
        self.token = (data_dir / "admin-token").read_text().strip()

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/creator"


@dataclass
class Server(Loopback):
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def upload_logo(self, work_dir: Path, colour: str = "0xFF00FF", size: str = "200x80") -> httpx.Response:
        """A plain-colour PNG logo made with ffmpeg, uploaded as the studio does (POST /assets/logos)."""
        logo = work_dir / "logo.png"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c={colour}:s={size}",
                        "-frames:v", "1", str(logo)], check=True)
        return httpx.post(f"{self.http}/assets/logos", content=logo.read_bytes(),
                          headers={"content-type": "image/png", **self.headers}, timeout=30)


class ThreadedServer(Loopback):
    """uvicorn serving an ASGI app object on a free loopback port, in a thread of this process:
    a real socket in front of an app a test built itself (stand-in providers, fake stages)."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                     ws_max_size=2**22))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> "ThreadedServer":
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the threaded server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """A graceful stop, as on SIGTERM: the app's lifespan shuts down."""
        self._server.should_exit = True
        self._thread.join(timeout=20)


# A test or a benchmark drives one user far harder than a person would; the per-user limits are
# lifted unless a test sets them, and webhooks may go to the tests' loopback receivers.
DRIVEN_HARD = {
    "CREATOR_RATE_VIDEOS_PER_HOUR": "100000",
    "CREATOR_RATE_RUNNING_SESSIONS": "1000",
    "CREATOR_RATE_ACTIONS_PER_SECOND": "100000",
    "CREATOR_WEBHOOK_ALLOW_PRIVATE": "1",
}


@contextmanager
def running_server(data_dir: Path, port: int | None = None, **env: str) -> Iterator[Server]:
    """uvicorn serving creator_service.app:app, as `make run` does, on a free port (or `port`, to
    come back where a killed server was)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log_path = data_dir.parent / f"server-{port}.log"
    environment = {**os.environ, **DRIVEN_HARD, "CREATOR_DATA_DIR": str(data_dir), **env}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "creator_service.app:app",
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT,
        )
    server = Server(process, port, data_dir, log_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{server.log()}")
            try:
                if httpx.get(f"{server.http}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not answer /health:\n{server.log()}")
            time.sleep(0.1)
        server.use_admin_token(data_dir)
        yield server
    finally:
        stopped = _stop_within(process, SHUTDOWN_SECONDS)
    # Only reached when the body ended normally: a server that will not stop is a bug of its
    # own (a deploy would wait on it too), not a detail of the test that used it.
    if not stopped:
        raise RuntimeError(f"the server was still running {SHUTDOWN_SECONDS:.0f} s after SIGTERM and was killed; "
                           f"its log ends:\n{server.log()[-2000:]}")


# A server stops in well under a second (its children are killed, its workers told to exit).
SHUTDOWN_SECONDS = 15.0


def _stop_within(process: subprocess.Popen[bytes], seconds: float) -> bool:
    """SIGTERM, then SIGKILL after `seconds`; whether it stopped on the SIGTERM."""
    process.terminate()
    try:
        process.wait(timeout=seconds)
        return True
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return False


@contextmanager
def running_redis(folder: Path) -> Iterator[str]:
    """A real redis-server on a free loopback port, keeping nothing on disk; its URL."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with open(folder / "redis.log", "wb") as log:
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
             "--save", "", "--appendonly", "no"],
            stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"redis-server exited early: {(folder / 'redis.log').read_text(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not answer PING")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class CeleryWorker:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_workers(count: int, broker: str, folder: Path, *, first: int = 1, **env: str) -> Iterator[list[CeleryWorker]]:
    """`count` real Celery workers (`celery -A creator_service.worker worker`), one process each,
    as a worker machine would run them; ready when each says so. They are named w`first`,
    w`first`+1 and on (a worker's name must be unique on the broker)."""
    folder.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "CREATOR_BROKER_URL": broker, **env}
    workers = []
    try:
        for number in range(first, first + count):
            log_path = folder / f"worker-{number}.log"
            with open(log_path, "wb") as log:
                process = subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "creator_service.worker", "worker", "--concurrency", "1",
                     "--pool", "prefork", "-n", f"w{number}@%h", "--loglevel", "INFO",
                     "--without-gossip", "--without-mingle"],
                    cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT,
                )
            workers.append(CeleryWorker(f"w{number}", process, log_path))
        deadline = time.monotonic() + 60
        while not all(" ready." in worker.log() for worker in workers):
            for worker in workers:
                if worker.process.poll() is not None:
                    raise RuntimeError(f"celery worker {worker.name} exited early:\n{worker.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError("the celery workers did not become ready")
            time.sleep(0.2)
        yield workers
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.terminate()
        for worker in workers:
            try:
                worker.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
