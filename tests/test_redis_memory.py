"""The deployment checklist (`manage.py check --deploy`) asks for a Redis that evicts what expires when full
(`maxmemory` and a `volatile-*` policy), on a Redis server of the test's own, started on a free port and stopped
by its pid; never the shared one's settings."""

import importlib.util
import shutil
from pathlib import Path

import pytest
import redis
from django.core import checks

from tests.workers import free_port

ROOT = Path(__file__).resolve().parent.parent


def stack():
    """deploy/stack.py, whose Redis these tests start (with its memory limits, or without)."""
    spec = importlib.util.spec_from_file_location("stack", ROOT / "deploy" / "stack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def redis_server(tmp_path, settings):
    """Start a Redis on a free port (`start(limits)`), the default cache on it; stopped by its pid at the end."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    started = []

    def start(limits=()):
        port = free_port()
        started.append(stack().start_redis(port, tmp_path, limits))
        settings.CACHES = {
            "default": {"BACKEND": "newsroom.redis_cache.RedisCache", "LOCATION": f"redis://127.0.0.1:{port}/3"}
        }
        return redis.Redis(port=port, socket_timeout=2)

    yield start
    for process in started:
        process.terminate()
        process.wait(10)


@pytest.fixture
def own_redis(redis_server):
    return redis_server()


def deploy_warnings() -> list[str]:
    return [
        f"{message.id}: {message.msg}"
        for message in checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.caches])
    ]


def test_a_redis_without_maxmemory_is_named_by_the_checklist(own_redis):
    warnings = deploy_warnings()

    assert len(warnings) == 1 and warnings[0].startswith("newsroom.W001") and "maxmemory" in warnings[0]


@pytest.mark.parametrize("policy", ["noeviction", "allkeys-lru", "allkeys-random"])
def test_a_redis_that_does_not_evict_only_what_expires_is_named_by_the_checklist(own_redis, policy):
    own_redis.config_set("maxmemory", "64mb")
    own_redis.config_set("maxmemory-policy", policy)

    warnings = deploy_warnings()

    assert len(warnings) == 1 and warnings[0].startswith("newsroom.W001") and policy in warnings[0]


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-ttl", "volatile-random"])
def test_a_redis_with_maxmemory_that_evicts_what_expires_passes(own_redis, policy):
    own_redis.config_set("maxmemory", "64mb")
    own_redis.config_set("maxmemory-policy", policy)

    assert deploy_warnings() == []


def test_a_redis_out_of_reach_is_named_by_the_checklist(settings):
    settings.CACHES = {
        "default": {"BACKEND": "newsroom.redis_cache.RedisCache", "LOCATION": f"redis://127.0.0.1:{free_port()}/3"}
    }

    warnings = deploy_warnings()

    assert len(warnings) == 1 and warnings[0].startswith("newsroom.W001") and "could not" in warnings[0]


def test_without_redis_there_is_nothing_to_check(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    assert deploy_warnings() == []


def test_make_stack_starts_a_redis_the_checklist_passes(redis_server):
    redis_server(stack().REDIS_MEMORY)

    assert deploy_warnings() == []
