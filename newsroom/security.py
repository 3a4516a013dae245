"""What a page may load and do, said to the browser on every response, and what the browser reports back.

- The Content-Security-Policy (django-csp): readers' pages run no script but our own files and allow no inline
  style but our inlined stylesheets, by hash (newsroom/inline.py), so even a sanitiser slip runs nothing. Being the
  same for every reader, it is kept with the page in the cache. The back office allows inline code only with the
  response's nonce (the body editor's import map, newsroom/admin.py), and inline style, which Django's admin and
  its widgets set. Feeds and sitemaps allow inline style and data: images, for the browser's XML viewer.
- Permissions-Policy: no page uses the camera, the microphone, the reader's location and the like, nor lets a
  frame use them.
- Violations are reported to /csp-report/ and logged (at most a few a minute per address).
"""

import functools
import logging

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import ratelimit
from .inline import style_hashes
from .untrusted_json import json_loads

logger = logging.getLogger("newsroom.csp")

MAX_REPORT_BYTES = 32 * 1024
#: What a provider's player may use in its frame (embeds/), where the site's policy refuses it to everyone else.
PLAYER_FEATURES = ("autoplay", "encrypted-media")
REPORTS_LOGGED_PER_MINUTE = 20


@functools.cache
def _back_office_prefix() -> str:
    return reverse("admin:index")


def is_back_office(request) -> bool:
    return request.path_info.startswith(_back_office_prefix())


class SecurityHeadersMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if report_only or parts.config is not None:
            return parts
        if is_back_office(request):
            parts.config = settings.BACK_OFFICE_CONTENT_SECURITY_POLICY["DIRECTIVES"]
        elif _is_xml(response):
            # A feed or sitemap opened in a browser is shown by the browser's own XML viewer, which styles its tree
            # inline and draws its folding arrows as data: images. Our XML still runs nothing.
            parts.replace = {**(parts.replace or {}), "style-src": [SELF, UNSAFE_INLINE]}
            parts.update = {**(parts.update or {}), "img-src": ["data:"]}
        else:
            update = dict(parts.update or {})
            update["style-src"] = [*(update.get("style-src") or []), *style_hashes()]
            parts.update = update
        return parts

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if policy := response.get("Content-Security-Policy"):  # in one order, whichever process made it
            response["Content-Security-Policy"] = "; ".join(sorted(policy.split("; "), key=_directive_order))
        if settings.PERMISSIONS_POLICY and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = _permissions_header(settings.PERMISSIONS_POLICY)
        return response


def _permissions_header(policy: dict[str, list[str]]) -> str:
    return ", ".join(f"{feature}=({' '.join(allowed)})" for feature, allowed in policy.items())


def allow_frames(response, origins: set[str]) -> None:
    """A page showing embeds: the browser may load frames from these origins (and ours, which serves a
    provider's markup in a sandboxed frame), and their players may autoplay and play protected media once a
    reader has asked for them. A page with none keeps the site's policy: no frame at all."""
    if not origins:
        return
    response._csp_update = {**(getattr(response, "_csp_update", None) or {}), "frame-src": [SELF, *sorted(origins)]}
    policy = {feature: list(allowed) for feature, allowed in settings.PERMISSIONS_POLICY.items()}
    for feature in PLAYER_FEATURES:
        if feature in policy:
            policy[feature] += [f'"{origin}"' for origin in sorted(origins)]
    response["Permissions-Policy"] = _permissions_header(policy)


def _is_xml(response) -> bool:
    kind = response.get("Content-Type", "").split(";")[0].strip().lower()
    return kind.endswith(("/xml", "+xml"))


def _directive_order(directive: str) -> tuple[bool, bool, str]:
    return (not directive.startswith("default-src"), directive.startswith("report-uri"), directive)


def _violations(payload) -> list[dict]:
    """The reports in a `report-uri` body ({"csp-report": {...}}) or a Reporting API one ([{"body": {...}}])."""
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        return [payload["csp-report"]]
    if isinstance(payload, list):
        return [
            item["body"]
            for item in payload
            if isinstance(item, dict) and item.get("type") == "csp-violation" and isinstance(item.get("body"), dict)
        ]
    return []


def _field(report: dict, *names: str) -> str:
    for name in names:
        if value := report.get(name):
            return str(value)[:300]
    return ""


@csrf_exempt  # browsers send reports without a token; nothing here changes anything but the log
@require_POST
def csp_report(request):
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_REPORT_BYTES:
        return HttpResponse("A report is at most 32 kB.", status=413, content_type="text/plain")
    try:
        violations = _violations(json_loads(request.body or b"null"))
    except ValueError:
        return HttpResponse("A report is JSON, nested a few levels deep.", status=400, content_type="text/plain")
    ip = ratelimit.client_ip(request)
    for report in violations[:10]:
        if not ratelimit.hit(f"csp-report:{ip}", limit=REPORTS_LOGGED_PER_MINUTE, window_seconds=60):
            break
        logger.warning(
            "CSP violation on %r: %r blocked by %r",
            _field(report, "document-uri", "documentURL"),
            _field(report, "blocked-uri", "blockedURL"),
            _field(report, "effective-directive", "violated-directive", "effectiveDirective"),
            extra={
                "csp_document": _field(report, "document-uri", "documentURL"),
                "csp_blocked": _field(report, "blocked-uri", "blockedURL"),
                "csp_directive": _field(report, "effective-directive", "violated-directive", "effectiveDirective"),
                "csp_sample": _field(report, "script-sample", "sample"),
                "csp_source": _field(report, "source-file", "sourceFile"),
            },
        )
    return HttpResponse(status=204)
