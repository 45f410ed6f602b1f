"""Settings read from the environment: the production configuration passes Django's deployment
checks, unsafe configurations are refused, and the health endpoint answers."""

import os
import secrets
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from tests import clock

BASE_DIR = Path(__file__).resolve().parents[2]
# Variables a developer's shell (or an earlier test) may carry that would change what is being
# checked; DJANGO_ALLOW_ASYNC_UNSAFE is set by browser tests and fails the deployment check.
_SCRUB = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    return subprocess.run(
        clock.shifted_command("manage.py", *args),
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=180,
    )


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "passdesk.example.org",
}


def test_production_settings_pass_the_deployment_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deployment_checks_do_catch_problems():
    """The check above could not fail if the checks never ran: a short key is reported."""
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION, "SECRET_KEY": "short-key"}
    )
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout


@pytest.mark.parametrize(
    "secret",
    ["", "dev-only-insecure-passdesk-key-do-not-use-in-production"],
    ids=["missing", "the development key"],
)
def test_production_refuses_to_start_without_a_real_secret(secret):
    result = manage("check", **{**PRODUCTION, "SECRET_KEY": secret})
    assert result.returncode != 0
    assert "SECRET_KEY must be set to a real secret" in result.stderr


def test_region_code_must_be_six_digits():
    result = manage("check", PASSDESK_REGION_CODE="4302")
    assert result.returncode != 0
    assert "PASSDESK_REGION_CODE" in result.stderr


def test_defaults_are_the_embedded_demo():
    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE
    assert settings.PASSDESK_REGION_CODE == "430200"
    assert settings.PASSDESK_UPLOAD_MAX_BYTES == 10 * 1024 * 1024


def test_celery_is_configured_as_the_issue_asks():
    from config.celery import app

    app.loader.import_default_modules()  # finds every context's tasks, as the worker does

    conf = app.conf
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    scheduled = {entry["task"] for entry in conf.beat_schedule.values()}
    assert "passes.expire_passes" in scheduled
    assert scheduled <= set(app.tasks), "the beat schedule names a task nobody registered"


def test_static_files_are_served_by_whitenoise_with_a_manifest_in_production():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.STORAGES['staticfiles']['BACKEND'])",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert "whitenoise.storage.CompressedManifestStaticFilesStorage" in result.stdout
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE


@pytest.mark.django_db
def test_health_endpoint(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_health_endpoint_reports_an_unreachable_database(client, monkeypatch):
    from django.db import connection

    def broken():
        raise OSError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken)
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


def test_compose_file_is_valid():
    """``docker-compose config`` (the CI runs it too) accepts the file."""
    compose = "/usr/bin/docker-compose"
    if not os.access(compose, os.X_OK):
        pytest.skip("docker-compose is not installed")
    result = subprocess.run(
        [compose, "-f", "docker-compose.yml", "config", "--quiet"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_postgresql_statements_are_prepared_unless_switched_off():
    """Server-side binding and psycopg's preparation are on for PostgreSQL by default (the
    hot path's queries are then parsed and planned once per connection) and can be turned off
    for a transaction-mode pooler; SQLite is left alone."""
    show = "from django.conf import settings; print(settings.DATABASES['default'].get('OPTIONS'))"
    url = "postgres://postgres@127.0.0.1:5432/passdesk"
    default = manage("shell", "-c", show, DATABASE_URL=url)
    assert default.returncode == 0, default.stderr
    assert "'server_side_binding': True" in default.stdout
    assert "'prepare_threshold': 2" in default.stdout
    off = manage("shell", "-c", show, DATABASE_URL=url, DATABASE_PREPARED_STATEMENTS="false")
    assert "server_side_binding" not in off.stdout and off.returncode == 0
    sqlite = manage("shell", "-c", show)
    assert "server_side_binding" not in sqlite.stdout and sqlite.returncode == 0


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_repeated_query_runs_as_a_prepared_statement(applicant):
    from django.db import connection

    from passes.models import Membership

    for _ in range(3):
        assert Membership.objects.filter(user=applicant).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('"passes_membership"' in statement for statement in prepared), prepared
