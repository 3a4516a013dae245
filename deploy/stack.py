"""`make stack`: the production layout on one machine, with DEBUG off.

Two gunicorn instances, two Celery workers and the scheduler on PostgreSQL and Redis, media on an S3-compatible
server (moto's, on loopback), and Varnish in front of both instances, purged by the workers. Every run starts
afresh: its own database (dropped and made again), its own Redis (started here with a memory limit, as the
deployment checklist asks, unless STACK_REDIS names one: then its databases are emptied) and a new bucket, with
the demo content. Ctrl-C stops everything it started. deploy/README.md lays the same processes out on several
machines.
"""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "stack"
BIN = Path(sys.executable).parent

PROXY_PORT = int(os.environ.get("STACK_PROXY_PORT", 8080))
WEB_PORTS = [int(port) for port in os.environ.get("STACK_WEB_PORTS", "8001,8002").split(",")]
S3_PORT = int(os.environ.get("STACK_S3_PORT", 9100))
DATABASE_URL = os.environ.get("STACK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/newsroom_stack")
REDIS_PORT = int(os.environ.get("STACK_REDIS_PORT", 6390))
OWN_REDIS = not os.environ.get("STACK_REDIS")
REDIS = os.environ.get("STACK_REDIS") or f"redis://127.0.0.1:{REDIS_PORT}"
# A limit, and room made by evicting what expires (pages, fragments, sessions), never the generations, the clock
# or the broker's queues: what `manage.py check --deploy` asks of a production Redis (newsroom/checks.py).
REDIS_MEMORY = ("--maxmemory", "256mb", "--maxmemory-policy", "volatile-lru")
CACHE_DB, BROKER_DB = 3, 4
BUCKET = "newsroom-media"


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def fail(message: str) -> None:
    sys.exit(f"make stack: {message}")


def has_varnish() -> bool:
    return shutil.which("varnishd") is not None and bool(list(Path("/usr/lib").glob("*/varnish/vmods/libvmod_xkey.so")))


def check_tools() -> None:
    if not has_varnish() and os.geteuid() == 0 and shutil.which("apt-get"):
        say("Installing Varnish and its xkey module (Debian's varnish, varnish-modules)")
        quiet = {"stdout": subprocess.DEVNULL, "env": {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}}
        subprocess.run(["apt-get", "update", "-qq"], check=False, **quiet)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "varnish", "varnish-modules"],
            check=False,
            **quiet,
        )
    if not has_varnish():
        fail("Varnish with its xkey module is needed: apt-get install varnish varnish-modules")
    if OWN_REDIS and shutil.which("redis-server") is None:
        fail("redis-server is needed (apt-get install redis-server), or a Redis of your own in STACK_REDIS")
    if not (BIN / "moto_server").exists():
        fail("moto's S3 server is missing from the virtual environment: make .venv/.installed-dev")


def fresh_database() -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    server = parts._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=5) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        fail(f"PostgreSQL does not answer at {server} ({exc}). Start it, or set STACK_DATABASE_URL.")


def fresh_redis() -> None:
    import redis

    try:
        for db in (CACHE_DB, BROKER_DB):
            redis.Redis.from_url(f"{REDIS}/{db}", socket_timeout=5).flushdb()
    except redis.RedisError as exc:
        fail(f"Redis does not answer at {REDIS} ({exc}). Start it, or set STACK_REDIS.")


def start_redis(port: int, folder: Path, limits: tuple[str, ...] = REDIS_MEMORY) -> subprocess.Popen:
    """A Redis of the stack's own on loopback, keeping nothing on disk, its memory limited (REDIS_MEMORY)."""
    import redis

    log = (folder / "redis.log").open("w")
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", *limits],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches it through main(), after the processes that use it have stopped
    )
    client = redis.Redis(port=port, socket_timeout=1)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return process
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                fail(f"Redis did not start on port {port} (its log is {folder / 'redis.log'})")
            time.sleep(0.1)


def wait_for(url: str, what: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            fail(f"{what} stopped at once (its log is in {VAR})")
        try:
            urllib.request.urlopen(url, timeout=1)  # noqa: S310 (our own server on loopback)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    fail(f"{what} did not answer at {url} within {timeout:.0f} s")


def start_s3() -> subprocess.Popen:
    log = (VAR / "s3.log").open("w")
    process = subprocess.Popen(
        [BIN / "moto_server", "-H", "127.0.0.1", "-p", str(S3_PORT)], stdout=log, stderr=subprocess.STDOUT
    )
    wait_for(f"http://127.0.0.1:{S3_PORT}/moto-api/", "the S3 server", process)
    return process


def ready(url: str, honcho: subprocess.Popen, timeout: float = 90) -> None:
    """Until Varnish has found an instance healthy and that instance finds everything it needs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and honcho.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own proxy on loopback)
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    if honcho.poll() is not None:
        fail("a process stopped at start; its lines above say why")
    print(f"make stack: {url} is not ready after {timeout:.0f} s; the lines above may say why", flush=True)


def secret_key() -> str:
    """Kept between runs, so a restart does not sign everyone out of a session they no longer have anyway."""
    path = VAR / "secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def environment() -> dict[str, str]:
    s3 = f"http://127.0.0.1:{S3_PORT}"
    proxy = f"http://127.0.0.1:{PROXY_PORT}"
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DEBUG": "0",
        "SECRET_KEY": secret_key(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": proxy,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": f"{REDIS}/{CACHE_DB}",
        "CELERY_BROKER_URL": f"{REDIS}/{BROKER_DB}",
        "S3_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": s3,
        "S3_ACCESS_KEY_ID": "stack",
        "S3_SECRET_ACCESS_KEY": "stack-secret",
        "S3_DEFAULT_ACL": "public-read",  # moto keeps objects private otherwise; a CDN or bucket policy in real life
        "CACHE_PROXIES": proxy,
        "NUM_PROXIES": "1",  # Varnish adds the reader's address to X-Forwarded-For
        # Plain HTTP on loopback: no HTTPS redirect, no HSTS, cookies without the Secure flag. Everything else is
        # as in production (`manage.py check --deploy` names these three).
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "SECURE_COOKIES": "0",
        # The demo logins sign in with a password alone unless STAFF_2FA_REQUIRED=1 (as in production, its default).
        "STAFF_2FA_REQUIRED": os.environ.get("STAFF_2FA_REQUIRED", "0"),
        "STATIC_ROOT": str(VAR / "static"),
        "STACK_PROXY_PORT": str(PROXY_PORT),
        "STACK_WEB1_PORT": str(WEB_PORTS[0]),
        "STACK_WEB2_PORT": str(WEB_PORTS[1]),
        "STACK_VAR": str(VAR),
        "STACK_ROOT": str(ROOT),
        "C_FORCE_ROOT": os.environ.get("C_FORCE_ROOT", "1"),  # workers as root: this machine's demo only
    }


def manage(env: dict, *args: str, **extra: str) -> None:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**env, **extra})
    if result.returncode:
        fail(f"manage.py {' '.join(args)} failed")


def make_bucket(env: dict) -> None:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=env["S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id=env["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=env["S3_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=BUCKET)


def varnish_backends() -> None:
    folder = VAR / "varnish"
    folder.mkdir(exist_ok=True)
    backends = (ROOT / "deploy" / "varnish" / "backends.vcl.example").read_text()
    for example, port in zip(('"8001"', '"8002"'), WEB_PORTS, strict=True):
        backends = backends.replace(example, f'"{port}"')
    (folder / "backends.vcl").write_text(backends)


def stop(signum, frame):
    raise KeyboardInterrupt


def main() -> None:
    # Ctrl-C, or a SIGTERM from whoever started this, stops everything (even where SIGINT came in ignored).
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    check_tools()
    VAR.mkdir(parents=True, exist_ok=True)
    say(f"A fresh database ({DATABASE_URL}) and Redis databases {CACHE_DB} and {BROKER_DB} ({REDIS})")
    fresh_database()
    own_redis = start_redis(REDIS_PORT, VAR) if OWN_REDIS else None
    try:
        fresh_redis()
        run()
    finally:
        if own_redis is not None:
            own_redis.terminate()
            own_redis.wait(10)


def run() -> None:
    say(f"S3-compatible storage on http://127.0.0.1:{S3_PORT} (moto), bucket {BUCKET}")
    s3 = start_s3()
    try:
        env = environment()
        make_bucket(env)
        say("Migrations, static files, demo content")
        manage(env, "migrate", "--noinput", "-v", "0")
        # Stops here if STACK_REDIS's Redis has no memory limit or would evict what has no expiry.
        manage(env, "check", "--deploy", "--tag", "caches", "--fail-level", "WARNING")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        # DEBUG on for this one command: it then adds the demo staff logins (seed_demo makes none in production).
        manage(env, "seed_demo", DEBUG="1")
        varnish_backends()
        proxy = f"http://127.0.0.1:{PROXY_PORT}"
        honcho = subprocess.Popen(
            [BIN / "honcho", "start", "-f", "deploy/Procfile.stack", "-d", "."], cwd=ROOT, env=env
        )
        try:
            ready(f"{proxy}/readyz", honcho)
            print(
                f"""
  Through Varnish:  {proxy}/            (what readers get; X-Cache: HIT/MISS says how)
  Instance A:       http://127.0.0.1:{WEB_PORTS[0]}/
  Instance B:       http://127.0.0.1:{WEB_PORTS[1]}/
  Back office:      {proxy}/admin/  (or on either instance)
  Logins:           admin / editor / journalist / reporter / audience, password: newsroom-demo
                    (two-factor sign-in: optional here; STAFF_2FA_REQUIRED=1 make stack requires it, as production does)
  Pictures:         http://127.0.0.1:{S3_PORT}/{BUCKET}/…  (made by the workers)
  Readiness:        {proxy}/readyz
  Email is printed by the workers. Ctrl-C stops everything.
""",
                flush=True,
            )
            honcho.wait()
        except KeyboardInterrupt:
            honcho.terminate()  # honcho stops each process gracefully (SIGTERM), then kills what lingers
            honcho.wait(60)
    finally:
        s3.terminate()
        s3.wait(10)


if __name__ == "__main__":
    main()
