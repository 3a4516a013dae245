"""gunicorn's settings for the web processes (`gunicorn newsroom.wsgi -c deploy/gunicorn.conf.py`, deploy/Procfile).

One access line a request, with its request id (the response's X-Request-ID, newsroom/request_id.py); with
LOG_FORMAT=json that line and gunicorn's own are JSON objects, as the site's are (newsroom/logs.py). On SIGTERM a
worker stops taking requests and has WEB_GRACEFUL_TIMEOUT seconds to finish those it has.

The scheme comes from X-Forwarded-Proto alone, the one header the TLS terminator sets (and Varnish keeps pages by);
gunicorn would otherwise also believe X-Forwarded-Ssl and X-Forwarded-Protocol, and a SCRIPT_NAME header, from the
proxy's address, whoever put them there. Each instance has a control socket (gunicornc) of its own, named by the
address it listens on, unless --control-socket names one: gunicorn's default is one path per machine.
"""

import os
import re

graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT") or 30)

secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
forwarder_headers = ""

control_socket = ""  # each instance's own (on_starting), unless --control-socket names one


def instance_control_socket(binds: list[str]) -> str:
    """In gunicorn's folder for control sockets, a name of this instance's own: the addresses it listens on."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    folder = runtime if runtime and os.path.isdir(runtime) else os.path.join(os.path.expanduser("~"), ".gunicorn")
    name = re.sub(r"[^A-Za-z0-9.]+", "-", "-".join(binds)).strip("-")
    return os.path.join(folder, f"gunicorn-{name}.ctl")


def on_starting(server):
    if not server.cfg.control_socket:
        server.cfg.set("control_socket", instance_control_socket(server.cfg.bind))


accesslog = "-"
if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    # The message of each access line; its fields (method, path, status, request id…) come from AccessFields.
    access_log_format = '"%(r)s" %(s)s %(b)s %(M)sms'
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "newsroom.logs.JsonFormatter"}},
        "filters": {
            "access": {"()": "newsroom.logs.AccessFields"},
            "request_id": {"()": "newsroom.request_id.RequestIdFilter"},
        },
        "handlers": {
            "error": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["access"],
                "stream": "ext://sys.stdout",
            },
        },
        "root": {"level": "INFO", "handlers": ["error"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        },
    }
else:
    access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms %({x-request-id}o)s'
