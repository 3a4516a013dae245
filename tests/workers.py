"""Real worker processes on a real broker, sending to a real SMTP server in another process.

The tests that use these start `celery -A newsroom worker` (with its scheduler, -B) as a child process on
the test database, and kill it, when they mean to, by the pid they started.
"""

import email
import email.policy
import mailbox
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

BROKERS = {
    "embedded": "filesystem://",
    "redis": os.environ.get("TEST_BROKER_REDIS_URL", "redis://127.0.0.1:6379/12"),
    "rabbitmq": os.environ.get("TEST_BROKER_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_in_thread(handler, settings):
    """An aiosmtpd server on loopback in this process, with Django's SMTP backend pointed at it."""
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield handler
    finally:
        controller.stop()


class TurnsAwayFirst:
    """An aiosmtpd handler that answers the first message "try again later" and takes the ones after it."""

    def __init__(self):
        self.tries, self.delivered = 0, []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.tries += 1
        if self.tries == 1:
            return "451 4.3.0 Try again later"
        self.delivered.append(envelope.content.decode())
        return "250 OK"


def broker_answers(name: str) -> bool:
    port = {"redis": 6379, "rabbitmq": 5672}.get(name)
    if port is None:
        return True
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def broker_param(name: str):
    """A broker to run on; a missing service skips locally, but CI (CI=true) has them all and must use them."""
    marks = []
    if not os.environ.get("CI") and not broker_answers(name):
        marks = [pytest.mark.skip(reason=f"{name} is not running here")]
    return pytest.param(name, marks=marks, id=name)


def database_url() -> str:
    """The test database, as the worker process must reach it."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Sink:
    """aiosmtpd in its own process, keeping what it accepts in a Maildir."""

    def __init__(self, folder: Path, port: int | None = None, **env):
        self.port = port or free_port()
        self.folder = folder
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.smtp_sink", str(self.port), str(folder)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, **{k: str(v) for k, v in env.items()}},
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def messages(self) -> list[email.message.EmailMessage]:
        box = mailbox.Maildir(self.folder, factory=None, create=False)
        return [email.message_from_bytes(box.get_bytes(key), policy=email.policy.default) for key in box.keys()]

    def count(self) -> int:
        return len(mailbox.Maildir(self.folder, factory=None, create=False))

    def stop(self):
        self.process.stdin.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Workers:
    """Start (and kill) worker processes for one broker, one queue of their own, one SMTP server."""

    def __init__(self, broker: str, tmp_path: Path, smtp_port: int, **settings_env):
        self.broker = broker
        self.tmp_path = tmp_path
        self.queue = f"test-{uuid.uuid4().hex[:10]}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            "DEBUG": "1",
            "DATABASE_URL": database_url(),
            "DB_CONN_MAX_AGE": "0",
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "EMAIL_TIMEOUT": "10",
            "CELERY_BROKER_URL": BROKERS[broker],
            "CELERY_BROKER_DIR": str(tmp_path / "broker"),
            "CELERY_QUEUE": self.queue,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "SITE_URL": settings.SITE_URL,
            "NEWSLETTER_TICK_SECONDS": "1",
            "NEWSLETTER_LEASE_SECONDS": "3",
            "NEWSLETTER_BATCH_SIZE": "5",
            "NEWSLETTER_CONFIRMATION_RETRY_SECONDS": "1",
            "LOG_LEVEL": "WARNING",
            "C_FORCE_ROOT": "1",  # CI runs as root
            **{k: str(v) for k, v in settings_env.items()},
        }
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def start(self, concurrency: int = 2, loglevel: str = "WARNING") -> subprocess.Popen:
        number = len(self.processes)
        log = self.tmp_path / f"worker-{number}.log"
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "newsroom",
                "worker",
                "-B",
                "--concurrency",
                str(concurrency),
                "--hostname",
                f"{self.queue}-{number}@%h",
                "--schedule",
                str(self.tmp_path / f"beat-{number}"),
                "--without-mingle",
                "--without-gossip",
                "--loglevel",
                loglevel,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the pool's children die with it
        )
        self.processes.append(process)
        self.logs.append(log)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the worker we started and every process of its group (the pool's children)."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()

    def manage(self, *args: str) -> str:
        """Run a management command as an operator would, against the same database and broker."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def log_text(self) -> str:
        return "\n".join(log.read_text(errors="replace") for log in self.logs if log.exists())


def wait_for(condition, *, timeout: float, what: str, workers: Workers | None = None, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    logs = workers.log_text()[-4000:] if workers else ""
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}\n{logs}")


@contextmanager
def publishing_to(workers: Workers):
    """Let this test process queue tasks on the workers' broker (the suite otherwise runs tasks eagerly)."""
    from newsroom.celery import app

    saved = {
        key: app.conf[key]
        for key in ("task_always_eager", "broker_url", "broker_transport_options", "task_default_queue")
    }
    app.conf.update(
        task_always_eager=False,
        broker_url=workers.env["CELERY_BROKER_URL"],
        broker_transport_options=_transport_options(workers),
        task_default_queue=workers.queue,
    )
    _drop_connections(app)
    try:
        yield
    finally:
        app.conf.update(saved)
        _drop_connections(app)


def _transport_options(workers: Workers) -> dict:
    if workers.broker != "embedded":
        return {}
    folder = Path(workers.env["CELERY_BROKER_DIR"])
    for name in ("queue", "processed", "control"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


def _drop_connections(app) -> None:
    app.close()
    app.amqp._producer_pool = None
    app._pool = None
