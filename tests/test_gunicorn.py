"""gunicorn as deploy/Procfile runs it (deploy/gunicorn.conf.py): access lines with the request id, JSON logs, the
graceful shutdown's time from the environment, the scheme only from X-Forwarded-Proto, and a control socket of
each instance's own."""

import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.workers import database_url, free_port

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "deploy" / "gunicorn.conf.py"


def config(monkeypatch, **env) -> dict:
    for name in ("LOG_FORMAT", "WEB_GRACEFUL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_the_graceful_shutdown_waits_30_seconds_unless_the_environment_says_otherwise(monkeypatch):
    assert config(monkeypatch)["graceful_timeout"] == 30
    assert config(monkeypatch, WEB_GRACEFUL_TIMEOUT="90")["graceful_timeout"] == 90


def test_text_access_lines_end_with_the_request_id(monkeypatch):
    settings = config(monkeypatch)

    assert settings["access_log_format"].endswith("%({x-request-id}o)s")
    assert "logconfig_dict" not in settings


def test_the_procfile_runs_gunicorn_with_this_configuration():
    web = next(line for line in (ROOT / "deploy" / "Procfile").read_text().splitlines() if line.startswith("web:"))

    assert "-c deploy/gunicorn.conf.py" in web


def listening(process: subprocess.Popen, port: int, log: Path, timeout: float = 30) -> None:
    """Until gunicorn takes connections on this port; killed, with its log told, if it stops or takes too long."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                raise AssertionError(f"gunicorn did not start:\n{log.read_text()}") from None
            time.sleep(0.1)


@pytest.fixture
def gunicorn(tmp_path, transactional_db):
    """gunicorn on the test database, with LOG_FORMAT=json."""
    port = free_port()
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "DB_CONN_MAX_AGE": "0",
        "LOG_FORMAT": "json",
        "PAGE_CACHE": "0",
    }
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "newsroom.wsgi", "-c", str(CONFIG)),
            *("--bind", f"127.0.0.1:{port}", "--no-control-socket"),
        ],
        cwd=ROOT,
        env=env,
        stdout=out.open("w"),
        stderr=err.open("w"),
    )
    listening(process, port, err)

    def stop():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
        return json_lines(out.read_text()), json_lines(err.read_text())

    yield f"http://127.0.0.1:{port}", stop
    if process.poll() is None:
        process.kill()
        process.wait()


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def fetch(url: str, **headers) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def test_with_log_format_json_every_line_of_gunicorn_and_django_is_json_with_the_request_id(gunicorn):
    base, stop = gunicorn

    status, headers = fetch(f"{base}/healthz", **{"X-Request-ID": "lb-200"})
    refused, _ = fetch(f"{base}/", Host="evil.example", **{"X-Request-ID": "lb-400"})
    access, errors = stop()

    assert (status, headers["X-Request-ID"], refused) == (200, "lb-200", 400)
    assert [(line["method"], line["path"], line["status_code"], line["request_id"]) for line in access] == [
        ("GET", "/healthz", 200, "lb-200"),
        ("GET", "/", 400, "lb-400"),
    ]
    assert all(line["logger"] == "gunicorn.access" and "duration_ms" in line for line in access)
    refusal = next(line for line in errors if line["logger"] == "django.security.DisallowedHost")
    assert (refusal["level"], refusal["request_id"], refusal["path"]) == ("WARNING", "lb-400", "/")
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in errors)


def echo_instance(tmp_path, port: int, *args: str) -> subprocess.Popen:
    """gunicorn with this configuration, serving tests/echo_wsgi.py on this port, its runtime folder `tmp_path`."""
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path), "HOME": str(tmp_path)}
    env.pop("LOG_FORMAT", None)
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "tests.echo_wsgi", "-c", str(CONFIG)),
            *("--bind", f"127.0.0.1:{port}", "--workers", "1", *args),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / f"gunicorn-{port}.log").open("w"),
    )
    listening(process, port, tmp_path / f"gunicorn-{port}.log")
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_gunicorn_takes_the_scheme_from_x_forwarded_proto_alone(tmp_path):
    port = free_port()
    process = echo_instance(tmp_path, port, "--no-control-socket")
    try:
        seen = {}
        claims = {
            "proto": {"X-Forwarded-Proto": "https"},
            "ssl": {"X-Forwarded-Ssl": "on"},
            "protocol": {"X-Forwarded-Protocol": "ssl"},
            "script": {"SCRIPT_NAME": "/elsewhere"},
        }
        for name, headers in claims.items():
            request = urllib.request.Request(f"http://127.0.0.1:{port}/elsewhere/x", headers=headers)
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
                seen[name] = json.loads(response.read())
    finally:
        stop(process)

    assert seen == {
        "proto": {"scheme": "https", "script_name": ""},
        "ssl": {"scheme": "http", "script_name": ""},
        "protocol": {"scheme": "http", "script_name": ""},
        "script": {"scheme": "http", "script_name": ""},
    }


def test_two_instances_on_one_machine_each_have_a_control_socket_of_their_own(tmp_path):
    ports = [free_port(), free_port()]
    processes = [echo_instance(tmp_path, port) for port in ports]
    try:
        deadline = time.monotonic() + 20
        while len(sockets := sorted(tmp_path.rglob("*.ctl"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        answers = []
        for path in sockets:
            with socket.socket(socket.AF_UNIX) as control:
                control.settimeout(5)
                control.connect(str(path))  # refused if the instance that made it is gone
                answers.append(path.name)
    finally:
        for process in processes:
            stop(process)

    assert answers == sorted(f"gunicorn-127.0.0.1-{port}.ctl" for port in ports)
