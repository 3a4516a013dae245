"""`manage.py check --deploy`: what the deployment checklist asks of the services the site runs on."""

import redis
from django.conf import settings
from django.core import checks

REDIS_CACHES = {"newsroom.redis_cache.RedisCache", "django.core.cache.backends.redis.RedisCache"}


@checks.register(checks.Tags.caches, deploy=True)
def redis_evicts_what_expires(app_configs, **kwargs):
    """Redis must have a memory limit and make room by evicting keys that expire (`volatile-*`): pages
    and fragments expire, and every query string a page reads makes another. Without a limit they fill
    the machine; with `noeviction` every write fails when full; `allkeys-*` would evict what has no expiry and
    must outlive the pages: the generations that say a page is out of date, the clock, and a broker's queues."""
    found = []
    for alias, cache in settings.CACHES.items():
        if cache.get("BACKEND") not in REDIS_CACHES:
            continue
        locations = cache.get("LOCATION", "")
        for location in locations.split(",") if isinstance(locations, str) else locations:
            if problem := _eviction_problem(location.strip()):
                found.append(
                    checks.Warning(
                        f"The Redis of the {alias!r} cache {problem}.",
                        hint="Give it a maxmemory (a few hundred MB holds thousands of pages) and maxmemory-policy "
                        "volatile-lru (redis.conf, or CONFIG SET; a managed Redis: its parameter group).",
                        id="newsroom.W001",
                    )
                )
    return found


def _eviction_problem(location: str) -> str | None:
    client = redis.Redis.from_url(location, socket_timeout=2, socket_connect_timeout=2)
    try:
        config = client.config_get("maxmemory*")
    except redis.ResponseError as exc:  # CONFIG renamed or refused, as some managed services do
        return f"would not tell its maxmemory ({exc}): make sure it has one, with a volatile-* policy"
    except redis.RedisError as exc:
        return f"could not be asked its maxmemory ({exc.__class__.__name__})"
    finally:
        client.close()
    config = {_text(name): _text(value) for name, value in config.items()}
    policy = config.get("maxmemory-policy", "noeviction")
    if int(config.get("maxmemory") or 0) == 0:
        return "has no maxmemory: pages and fragments fill the machine's memory without bound"
    if not policy.startswith("volatile-"):
        return f"evicts by {policy}, not volatile-*: only keys that expire may make room"
    return None


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
