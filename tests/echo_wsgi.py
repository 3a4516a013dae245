"""A WSGI application that answers with what gunicorn made of the request (its scheme, its script name), for the
tests of deploy/gunicorn.conf.py that need no Django."""

import json


def application(environ, start_response):
    body = json.dumps({"scheme": environ["wsgi.url_scheme"], "script_name": environ.get("SCRIPT_NAME", "")}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
