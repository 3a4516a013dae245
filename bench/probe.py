"""One measurement in a process of its own, so its peak memory (RSS) is its own: `python -m bench.probe WHAT`.

export-view   stream every subscription through the admin's export view, as a staff member's browser would
import-view   post a CSV file (argument 2) to the admin's import view

Prints one line of JSON; the parent reads the time and peak RSS of this process from the kernel.
"""

import json
import sys
import time

import django


def main(what: str, *args: str) -> dict:
    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from newsletter.models import Newsletter

    staff, _ = get_user_model().objects.get_or_create(
        username="bench-staff", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(staff)
    # Signed in with a second factor, as the back office asks of superusers (STAFF_2FA_REQUIRED).
    device, _ = TOTPDevice.objects.get_or_create(user=staff, name="Bench", defaults={"confirmed": True})
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    started = time.perf_counter()
    if what == "export-view":
        response = client.get("/admin/newsletter/subscription/export/")
        assert response.status_code == 200, response.status_code
        size = lines = 0
        for chunk in response.streaming_content:
            size += len(chunk)
            lines += chunk.count(b"\n")
        return {"seconds": time.perf_counter() - started, "rows": lines - 1, "bytes": size}
    if what == "import-view":
        newsletter, _ = Newsletter.objects.get_or_create(slug="bench-import", defaults={"name": "Bench import"})
        with open(args[0], "rb") as upload:
            response = client.post(
                "/admin/newsletter/subscription/import/",
                {"file": upload, "newsletter": newsletter.pk, "consent_note": "Double opt-in on the old provider."},
            )
        seconds = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        assert b"<strong>0</strong> rows with problems" in response.content, "the import refused the file or rows"
        return {"seconds": seconds, "created": newsletter.subscriptions.count()}
    raise SystemExit(f"unknown probe {what!r}")


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:])))
