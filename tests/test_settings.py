"""The settings module is configured by the environment; these run it in a fresh process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k" * 20 + "-production-secret-key-with-plenty-of-entropy-123456"


def manage(*args, **env):
    ours = {
        "DEBUG",
        "SECRET_KEY",
        "NEWSLETTER_SUPPRESSION_KEY",
        "ALLOWED_HOSTS",
        "MEDIA_ROOT",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    clean["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean | env, capture_output=True, text=True, timeout=60
    )


def test_debug_is_off_by_default_and_a_secret_key_is_required():
    result = manage("check")

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_a_weak_secret_key_is_refused_in_production():
    result = manage("check", SECRET_KEY="django-insecure-short", ALLOWED_HOSTS="news.example.org")

    assert result.returncode != 0
    assert "too weak" in result.stderr


def test_allowed_hosts_are_required_in_production():
    result = manage("check", SECRET_KEY=STRONG_KEY)

    assert result.returncode != 0
    assert "ALLOWED_HOSTS is not set" in result.stderr


def test_production_settings_pass_the_deployment_checklist():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=STRONG_KEY,
        NEWSLETTER_SUPPRESSION_KEY="s" * 60,
        ALLOWED_HOSTS="news.example.org",
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_deployment_checklist_asks_for_a_suppression_key_of_its_own():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="news.example.org"
    )

    assert result.returncode != 0
    assert "newsletter.W001" in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://postgres@127.0.0.1:5432/newsroom", "django.db.backends.postgresql newsroom 127.0.0.1"),
        ("sqlite:////tmp/other.sqlite3", "django.db.backends.sqlite3 /tmp/other.sqlite3 "),
    ],
)
def test_database_url_chooses_the_database(url, expected):
    code = "from django.conf import settings as s; d = s.DATABASES['default']; print(d['ENGINE'], d['NAME'], d['HOST'])"
    result = manage("shell", "--no-imports", "-c", code, DEBUG="1", DATABASE_URL=url)

    assert result.stdout.strip() == expected.strip(), result.stderr


def test_email_url_configures_smtp():
    code = (
        "from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS)"
    )
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        DEBUG="1",
        EMAIL_URL="smtp://news%40example.org:p%40ss@mail.example.org:587?tls=1",
    )

    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "mail.example.org",
        "587",
        "news@example.org",
        "p@ss",
        "True",
    ], result.stderr


def test_admins_are_read_as_names_and_addresses():
    admins = 'Night desk <desk@example.org>, "Doe, Jane" <jane@example.org>,ops@example.org'
    code = "from django.conf import settings as s; print(s.ADMINS)"
    result = manage("shell", "--no-imports", "-c", code, DEBUG="1", ADMINS=admins)

    assert result.stdout.strip() == (
        "[('Night desk', 'desk@example.org'), ('Doe, Jane', 'jane@example.org'), ('', 'ops@example.org')]"
    ), result.stderr


def test_admins_that_are_not_addresses_are_refused():
    result = manage("check", DEBUG="1", ADMINS="night desk")

    assert result.returncode != 0
    assert "ADMINS must list email addresses" in result.stderr


def test_sentry_is_set_up_from_the_environment_and_collects_no_personal_data():
    code = (
        "import sentry_sdk; o = sentry_sdk.get_client().options; "
        "print(o['dsn'], o['environment'], o['traces_sample_rate'], o['data_collection']['user_info'], "
        "o['include_local_variables'])"
    )
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        DEBUG="1",
        SENTRY_DSN="http://public@127.0.0.1:9/1",  # the discard port on loopback: nothing leaves the machine
        SENTRY_ENVIRONMENT="staging",
        SENTRY_TRACES_SAMPLE_RATE="0.25",
    )

    assert result.stdout.split() == ["http://public@127.0.0.1:9/1", "staging", "0.25", "False", "False"], result.stderr


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("mailgun:", "anymail.backends.mailgun.EmailBackend"),
        ("postmark:", "anymail.backends.postmark.EmailBackend"),
        ("amazon_ses:", "anymail.backends.amazon_ses.EmailBackend"),
        ("amazon-ses:", "anymail.backends.amazon_ses.EmailBackend"),
        ("brevo:", "anymail.backends.brevo.EmailBackend"),
        ("resend:", "newsletter.providers.ResendBackend"),
        ("SparkPost:", "anymail.backends.sparkpost.EmailBackend"),
        ("sendgrid:", "anymail.backends.sendgrid.EmailBackend"),
        ("mailjet:", "anymail.backends.mailjet.EmailBackend"),
        ("locmem:", "django.core.mail.backends.locmem.EmailBackend"),
    ],
)
def test_email_url_names_an_email_provider_by_its_scheme(url, backend):
    from newsroom.settings import email_settings_from_url

    config = email_settings_from_url(url)

    assert config["EMAIL_BACKEND"] == backend
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"], config["EMAIL_USE_TLS"]) == ("localhost", 25, False)


@pytest.mark.parametrize("url", ["mailchimp:", "smtp", "", "https://api.mailgun.net/v3"])
def test_an_unknown_email_url_scheme_is_refused_naming_the_known_ones(url):
    from django.core.exceptions import ImproperlyConfigured

    from newsroom.settings import email_settings_from_url

    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL scheme must be one of .*mailgun.*resend"):
        email_settings_from_url(url)


def test_anymail_variables_become_the_anymail_settings():
    from newsroom.settings import anymail_settings

    config = anymail_settings(
        {
            "ANYMAIL_MAILGUN_API_KEY": "key-123",
            "ANYMAIL_MAILGUN_API_URL": "https://api.eu.mailgun.net/v3",
            "ANYMAIL_WEBHOOK_SECRET": "user:pass",
            "ANYMAIL_POSTMARK_USE_BULK_API": "False",
            "ANYMAIL_IGNORE_RECIPIENT_STATUS": "true",
            "ANYMAIL_REQUESTS_TIMEOUT": "12.5",
            "MAILGUN_API_KEY": "not ours",
        }
    )

    assert config == {
        "MAILGUN_API_KEY": "key-123",
        "MAILGUN_API_URL": "https://api.eu.mailgun.net/v3",
        "WEBHOOK_SECRET": "user:pass",
        "POSTMARK_USE_BULK_API": False,
        "IGNORE_RECIPIENT_STATUS": True,
        "REQUESTS_TIMEOUT": 12.5,
    }


def test_email_url_and_anymail_variables_configure_a_provider():
    code = "from django.conf import settings as s; print(s.EMAIL_BACKEND, s.ANYMAIL)"
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        DEBUG="1",
        EMAIL_URL="resend:",
        ANYMAIL_RESEND_API_KEY="re_123",
        ANYMAIL_RESEND_SIGNING_SECRET="whsec_abc",
    )

    backend, anymail = result.stdout.strip().split(" ", 1)
    assert backend == "newsletter.providers.ResendBackend", result.stderr
    assert "'RESEND_API_KEY': 're_123'" in anymail and "'RESEND_SIGNING_SECRET': 'whsec_abc'" in anymail


@pytest.mark.parametrize("redis_url", ["redis://127.0.0.1:6379/0", ""])
def test_sessions_are_in_the_database_with_or_without_redis(redis_url):
    code = "from django.conf import settings as s; print(s.SESSION_ENGINE)"
    result = manage("shell", "--no-imports", "-c", code, DEBUG="1", REDIS_URL=redis_url)

    assert result.stdout.strip() == "django.contrib.sessions.backends.db", result.stderr


def test_log_format_json_makes_each_log_line_a_json_object():
    code = "import logging; logging.getLogger('newsroom').warning('Bridge %s', 'closed')"
    result = manage("shell", "--no-imports", "-c", code, DEBUG="1", LOG_FORMAT="json")

    line = json.loads(result.stderr.strip())
    assert (line["level"], line["logger"], line["message"]) == ("WARNING", "newsroom", "Bridge closed"), result.stderr


def test_an_unknown_log_format_is_refused():
    result = manage("check", DEBUG="1", LOG_FORMAT="xml")

    assert result.returncode != 0
    assert "LOG_FORMAT must be text or json" in result.stderr


@pytest.mark.parametrize(("setting", "expected"), [({}, "True 5"), ({"DB_PREPARED_STATEMENTS": "0"}, "None None")])
def test_postgresql_prepares_queries_unless_told_not_to(setting, expected):
    code = "from django.conf import settings as s; o = s.DATABASES['default']['OPTIONS']; "
    code += "print(o.get('server_side_binding'), o.get('prepare_threshold'))"
    url = "postgres://postgres@127.0.0.1:5432/newsroom"
    result = manage("shell", "--no-imports", "-c", code, DEBUG="1", DATABASE_URL=url, **setting)

    assert result.stdout.strip() == expected, result.stderr


@pytest.mark.django_db
def test_a_query_run_again_and_again_on_postgresql_is_planned_once():
    from django.db import connection

    from articles.loading import load_article
    from tests.factories import ArticleFactory

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's prepared statements")
    article = ArticleFactory()
    for _ in range(6):
        assert load_article(article.slug).pk == article.pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("articles_article" in statement and "$1" in statement for statement in prepared), prepared
