"""Newsletter send: an edition of ten stories to every active subscriber, by two real Celery workers, to an
SMTP sink on loopback; beside it, in the same run, the limit: a bare smtplib loop sending one recipient's
copy of the same message over one connection to the same sink.

Called from `bench.run` (with the rest of the benchmark), or alone on a database of its own:
`python -m bench.newsletter_send [--quick] [--database newsroom_bench_send]`.
"""

import argparse
import json
import os
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"full": [20_000, 100_000], "quick": [2_000, 10_000], "smoke": [100, 300]}
STALLED_SECONDS = 120  # a send that moves on by no message for this long has failed
BARE_SECONDS = {"full": 10.0, "quick": 3.0, "smoke": 1.0}
WORKERS = 2  # two worker processes (`celery worker --concurrency 1` each), as the issue asks
STORIES = 10
RSS_EVERY = 0.2
TARGET_RATIO = 50.0  # % of the bare loop
TARGET_SNAPSHOT_SECONDS = 5.0
TARGET_RSS_GROWTH = 1.2  # peak RSS at the largest audience, over the smallest: "flat"


def say(text: str) -> None:
    print(text, flush=True)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Processes and their memory.


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class RssSampler(threading.Thread):
    """Every 0.2 s: the RSS of each worker and of every process under it (Celery's pool child does the work)."""

    def __init__(self, roots: list[int]):
        super().__init__(daemon=True)
        self.roots = roots
        self.peak_tree = {pid: 0.0 for pid in roots}  # a worker and its children, summed
        self.peak_process = 0.0  # the largest single process
        self.samples = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(RSS_EVERY):
            tree = _children()
            for root in self.roots:
                pids, todo = [], [root]
                while todo:
                    pid = todo.pop()
                    pids.append(pid)
                    todo.extend(tree.get(pid, []))
                sizes = [_rss_mb(pid) for pid in pids]
                self.peak_tree[root] = max(self.peak_tree[root], sum(sizes))
                self.peak_process = max(self.peak_process, *sizes)
            self.samples += 1

    def stop(self) -> None:
        self.stopping.set()
        self.join()


@contextmanager
def sink(workdir: Path):
    port = free_port()
    log = (workdir / "sink.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "bench.smtp_sink", str(port)], cwd=ROOT, stdout=log)  # noqa: S603
    deadline = time.monotonic() + 10
    while True:
        try:
            smtplib.SMTP("127.0.0.1", port, timeout=1).quit()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("The SMTP sink did not start") from None
            time.sleep(0.05)
    try:
        yield port, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
        log.close()


def _says_ready(*paths: Path) -> bool:
    """Whether a worker has said it is ready, in its log file or its output (which depends on the logging settings)."""
    return any(path.exists() and " ready." in path.read_text() for path in paths)


@contextmanager
def workers(env: dict, workdir: Path, queue: str):
    """Two `celery -A newsroom worker --concurrency 1` processes on the run's own queue; ready when they say so."""
    celery = str(Path(sys.executable).parent / "celery")
    processes, logs = [], []
    for n in range(WORKERS):
        log = workdir / f"worker{n}.log"
        logs.append(log)
        command = [celery, "-A", "newsroom", "worker", "--concurrency", "1", "-Q", queue, "-n", f"bench{n}-{queue}@%h"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO", "-f", str(log)]
        output = (workdir / f"worker{n}.out").open("w")
        processes.append(
            subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603
        )
        output.close()
    try:  # stopped however this ends, a worker that never said it was ready too
        deadline = time.monotonic() + 60
        while not all(_says_ready(log, log.with_suffix(".out")) for log in logs):
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                raise SystemExit(f"The Celery workers did not start; see {workdir}/worker*.*")
            time.sleep(0.1)
        yield [p.pid for p in processes]
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)


# Data.


def add_active_subscriptions(newsletter, count: int) -> None:
    """`count` more readers, each an active subscriber of `newsletter`, with COPY."""
    from django.db import connection
    from django.utils import timezone

    from bench import seed
    from newsletter.models import Subscriber, Subscription

    first = seed._next_id(Subscriber)
    ids = range(first, first + count)
    now = timezone.now()
    seed._copy(Subscriber, ({"id": pk, "email": f"send{pk}@example.org", "created_at": now} for pk in ids))
    seed._copy(
        Subscription,
        (
            {
                "subscriber_id": pk,
                "newsletter_id": newsletter.pk,
                "status": "active",
                "created_at": now,
                "subscribed_at": now,
                "confirmed_at": now,
                "source": "/",
                "consent_text": seed.CONSENT,
                "consent_version": "2026-01",
                "signup_user_agent": "",
                "confirm_user_agent": "",
                "confirmation_requested_at": now,
                "confirmation_sent_at": now,
                "token_nonce": 0,
            }
            for pk in ids
        ),
        empty=["unsubscribed_at", "signup_ip", "confirm_ip", "confirmation_attempted_at"],
    )
    seed._reset_sequences(Subscriber, Subscription)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {Subscriber._meta.db_table}")
        cursor.execute(f"VACUUM ANALYZE {Subscription._meta.db_table}")


def compose(newsletter, issue_date: date):
    """A draft edition of the ten newest published stories, as an editor would leave it to send."""
    from articles.models import Article
    from newsletter.models import Edition, EditionItem

    stories = list(Article.objects.published().order_by("-published_at")[:STORIES])
    assert len(stories) == STORIES, "the benchmark needs ten published articles"
    edition = Edition.objects.create(
        newsletter=newsletter,
        issue_date=issue_date,
        subject=stories[0].headline[:150],
        preheader=stories[0].standfirst[:150],
        intro="<p>Good morning. Here is what happened while you slept, in ten stories.</p>",
    )
    EditionItem.objects.bulk_create(
        EditionItem(edition=edition, article=article, order=n) for n, article in enumerate(stories)
    )
    return edition


# Measuring.


def bare_loop(port: int, message: bytes, sender: str, recipient: str, seconds: float) -> dict:
    """The limit: smtplib alone, one connection, the same bytes again and again for a fixed time."""
    client = smtplib.SMTP("127.0.0.1", port, timeout=10)
    client.ehlo()
    sent, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        client.sendmail(sender, [recipient], message)
        sent += 1
    elapsed = time.perf_counter() - started
    client.quit()
    return {"messages": sent, "seconds": round(elapsed, 3), "messages_per_second": round(sent / elapsed, 1)}


def _parallel_bare(port: int, message_file: Path, sender: str, recipient: str, seconds: float, clients: int):
    """The sink's own headroom: several bare loops in processes of their own at once."""
    code = (
        "import sys, json; from pathlib import Path; from bench.newsletter_send import bare_loop; "
        "print(json.dumps(bare_loop(int(sys.argv[1]), Path(sys.argv[2]).read_bytes(), sys.argv[3], sys.argv[4], "
        "float(sys.argv[5]))))"
    )
    args = [str(port), str(message_file), sender, recipient, str(seconds)]
    processes = [
        subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, stdout=subprocess.PIPE)  # noqa: S603
        for _ in range(clients)
    ]
    results = [json.loads(p.communicate()[0]) for p in processes]
    return round(sum(r["messages_per_second"] for r in results), 1)


def _limit(port: int, sink_pid: int, message: bytes, sender: str, recipient: str, seconds: float) -> dict:
    sink_cpu = _cpu_seconds(sink_pid)
    limit = bare_loop(port, message, sender, recipient, seconds)
    limit["sink_cpu_share"] = round((_cpu_seconds(sink_pid) - sink_cpu) / limit["seconds"], 2)
    say(f"  limit: bare smtplib loop {limit['messages_per_second']:,} msg/s")
    return limit


def one_message(edition) -> tuple[bytes, str, str]:
    """One recipient's copy exactly as the workers build it, as the bytes smtplib is given."""
    from django.conf import settings

    from newsletter import sending
    from newsletter.models import Delivery
    from newsletter.rendering import frozen

    delivery = Delivery.objects.filter(edition=edition).select_related("subscription__subscriber").first()
    message = sending._message(edition, frozen(edition), delivery)
    return message.message().as_bytes(linesep="\r\n"), settings.DEFAULT_FROM_EMAIL, message.to[0]


def send_once(newsletter, issue_date: date, *, env: dict, workdir: Path, port: int, sink_pid: int) -> dict:
    """Send one edition to the whole audience with fresh workers; time it, sample their memory, check it all went."""
    from bench.smtp_sink import count
    from newsletter import editions, sending
    from newsletter.models import Delivery, Edition

    edition = compose(newsletter, issue_date)
    queue = env["CELERY_QUEUE"]
    with workers(env, workdir, queue) as pids:
        sampler = RssSampler(pids)
        sampler.start()
        before, _ = count(port)
        sink_cpu = _cpu_seconds(sink_pid)
        snapshot: dict = {}
        original = sending.edition_start

        def timed_start(edition):
            started = time.perf_counter()
            original(edition)
            snapshot["seconds"] = time.perf_counter() - started

        sending.edition_start = timed_start
        try:
            started = time.perf_counter()
            editions.edition_send_now(edition=edition, user=None)
            queued = time.perf_counter() - started
        finally:
            sending.edition_start = original
        progress, moved_at = None, time.monotonic()
        while True:
            status, sent_so_far = Edition.objects.filter(pk=edition.pk).values_list("status", "sent_count").get()
            if status == Edition.Status.SENT:
                break
            if status != Edition.Status.SENDING:
                raise SystemExit(f"The edition stopped: {status}")
            if sent_so_far != progress:
                progress, moved_at = sent_so_far, time.monotonic()
            elif time.monotonic() - moved_at > STALLED_SECONDS:
                raise SystemExit(f"The send stalled at {sent_so_far} of {edition.recipient_count} messages")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        sink_busy = (_cpu_seconds(sink_pid) - sink_cpu) / seconds
        sampler.stop()
    after, _ = count(port)
    edition.refresh_from_db()
    sent = Delivery.objects.filter(edition=edition, status=Delivery.Status.SENT).count()
    assert sent == edition.recipient_count == edition.sent_count, (sent, edition.recipient_count, edition.sent_count)
    assert after - before == sent, f"the sink took {after - before} messages for {sent} recorded as sent"
    return {
        "edition": edition.pk,
        "recipients": edition.recipient_count,
        "snapshot_seconds": round(snapshot["seconds"], 3),
        "send_now_seconds": round(queued, 3),
        "seconds": round(seconds, 3),
        "messages_per_second": round(sent / seconds, 1),
        "sending_messages_per_second": round(sent / (seconds - queued), 1),
        "peak_worker_rss_mb": round(max(sampler.peak_tree.values()), 1),
        "peak_process_rss_mb": round(sampler.peak_process, 1),
        "rss_samples": sampler.samples,
        "sink_cpu_share": round(sink_busy, 2),
    }


def measure(*, env: dict, workdir: Path, scale: str) -> dict:
    """The whole measurement at each audience size; Django is set up on the benchmark's database."""
    from django.conf import settings

    from bench import seed
    from newsletter.models import Newsletter
    from newsroom.celery import app

    queue = f"bench-send-{uuid.uuid4().hex[:12]}"  # no other worker on the broker takes this run's tasks
    # A real broker: BENCH_BROKER_URL, else the Redis the benchmark caches in (files only when there is none).
    broker = os.environ.get("BENCH_BROKER_URL") or env.get("REDIS_URL") or settings.CELERY_BROKER_URL
    # Connections an earlier step opened (to the files broker) would still be used: close them first.
    if app._pool is not None:
        app.pool.force_close_all()
    app._pool, app.amqp._producer_pool = None, None
    app.conf.update(broker_url=broker, task_default_queue=queue)
    worker_env = {**env, "CELERY_BROKER_URL": broker, "CELERY_QUEUE": queue}
    if seed.Article.objects.published().count() < STORIES:
        seed.add_articles(STORIES)
    newsletter, _ = Newsletter.objects.get_or_create(slug="bench-send", defaults={"name": "The Bench Send"})
    results: dict = {"workers": f"{WORKERS} processes, celery worker --concurrency 1", "sizes": {}}
    results["broker"] = broker.split("://")[0]
    results["batch_size"] = settings.NEWSLETTER_BATCH_SIZE
    with sink(workdir) as (port, sink_pid):
        worker_env["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
        seconds = BARE_SECONDS[scale]
        limits, message, sender, recipient = [], b"", "", ""
        for n, size in enumerate(SIZES[scale]):
            step = time.monotonic()
            add_active_subscriptions(newsletter, size - newsletter.subscriptions.filter(status="active").count())
            say(f"Seeded {size:,} active subscribers of {newsletter.name} ({time.monotonic() - step:.0f} s)")
            if n:  # the limit right before the largest send, and again right after it (the machine may be shared)
                limits.append(_limit(port, sink_pid, message, sender, recipient, seconds))
            figures = send_once(
                newsletter,
                date(2026, 1, 1) + timedelta(days=n),
                env=worker_env,
                workdir=workdir,
                port=port,
                sink_pid=sink_pid,
            )
            results["sizes"][size] = figures
            say(
                f"  sent {figures['recipients']:,} in {figures['seconds']:.1f} s = {figures['messages_per_second']:,} "
                f"msg/s, snapshot {figures['snapshot_seconds']:.2f} s, "
                f"peak worker RSS {figures['peak_worker_rss_mb']} MB"
            )
            if not n:
                from newsletter.models import Edition

                message, sender, recipient = one_message(Edition.objects.get(pk=figures["edition"]))
        limits.append(_limit(port, sink_pid, message, sender, recipient, seconds))
        results["message_bytes"] = len(message)
        results["bare_loop_before_and_after"] = limits
        results["bare_loop"] = max(limits, key=lambda limit: limit["messages_per_second"])  # the stricter limit
        message_file = workdir / "message.eml"
        message_file.write_bytes(message)
        results["sink_two_bare_loops_messages_per_second"] = _parallel_bare(
            port, message_file, sender, recipient, seconds, 2
        )
    largest, smallest = results["sizes"][SIZES[scale][-1]], results["sizes"][SIZES[scale][0]]
    limit = results["bare_loop"]["messages_per_second"]
    results["percent_of_bare_loop"] = round(100 * largest["messages_per_second"] / limit, 1)
    results["rss_growth"] = round(largest["peak_worker_rss_mb"] / smallest["peak_worker_rss_mb"], 3)
    results["targets"] = {
        "rate": results["percent_of_bare_loop"] >= TARGET_RATIO,
        "memory_flat": results["rss_growth"] <= TARGET_RSS_GROWTH,
        "snapshot": largest["snapshot_seconds"] < TARGET_SNAPSHOT_SECONDS,
        # The sink idles most of the time the bare loop sends: it is not what limits the loop.
        "sink_not_the_limit": results["bare_loop"]["sink_cpu_share"] < 0.6,
    }
    return results


def print_section(r: dict) -> None:
    sizes = r["sizes"]
    say(f"newsletter send ({r['workers']}, {r['broker']} broker, batches of {r['batch_size']}):")
    say(f"{'  recipients':<28}" + "".join(f"{int(size):>12,}" for size in sizes))
    rows = [
        ("messages/s", "messages_per_second"),
        ("  while sending", "sending_messages_per_second"),
        ("seconds, send-now to sent", "seconds"),
        ("snapshot s (edition_start)", "snapshot_seconds"),
        ("peak worker RSS MB", "peak_worker_rss_mb"),
        ("  largest process MB", "peak_process_rss_mb"),
        ("sink CPU share", "sink_cpu_share"),
    ]
    for label, key in rows:
        say(f"  {label:<26}" + "".join(f"{figures[key]:>12,}" for figures in sizes.values()))
    bare = r["bare_loop"]
    around = " and ".join(f"{b['messages_per_second']:,}" for b in r["bare_loop_before_and_after"])
    say(
        f"  limit: bare smtplib loop, one connection, the same {r['message_bytes']:,}-byte message: "
        f"{bare['messages_per_second']:,} msg/s ({bare['messages']:,} in {bare['seconds']} s; before and after the "
        f"largest send: {around}), "
        f"the sink busy "
        f"{bare['sink_cpu_share']:.0%} of one core meanwhile; two such loops at once (2 cores, shared with the "
        f"sink): {r['sink_two_bare_loops_messages_per_second']:,} msg/s"
    )
    largest = list(sizes.values())[-1]
    targets = r["targets"]
    mark = {True: "met", False: "MISSED"}
    say(
        f"  target >= {TARGET_RATIO:g}% of the limit: {r['percent_of_bare_loop']}% {mark[targets['rate']]}; "
        f"memory flat (x{r['rss_growth']} from {int(next(iter(sizes))):,} to {int(list(sizes)[-1]):,}): "
        f"{mark[targets['memory_flat']]}; snapshot {largest['snapshot_seconds']} s < {TARGET_SNAPSHOT_SECONDS:g} s: "
        f"{mark[targets['snapshot']]}; sink idle > 40% of the bare loop: {mark[targets['sink_not_the_limit']]}"
    )


def main() -> None:
    from bench import run

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database", help="the benchmark's own database (dropped and created)")
    args = parser.parse_args()
    scale = "quick" if args.quick else "full"
    name = args.database or f"newsroom_bench_send{'_quick' if args.quick else ''}"
    admin_url, database_url = run.database_urls(name)
    run.create_database(admin_url, name)
    say(f"Benchmark database: {name} (dropped and created for this run)")
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-bench-send-"))
    env = run.bench_environment(database_url, workdir, run.redis_url())
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    results = measure(env=env, workdir=workdir, scale=scale)
    say("")
    print_section(results)
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    (run.RESULTS / "newsletter-send.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
