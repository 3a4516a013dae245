"""gunicorn's settings for the web processes (`gunicorn newsroom.wsgi -c deploy/gunicorn.conf.py`, deploy/Procfile).

One access line a request, with its request id (the response's X-Request-ID, newsroom/request_id.py); with
LOG_FORMAT=json that line and gunicorn's own are JSON objects, as the site's are (newsroom/logs.py). On SIGTERM a
worker stops taking requests and has WEB_GRACEFUL_TIMEOUT seconds to finish those it has.
"""

import os

graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT") or 30)

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
