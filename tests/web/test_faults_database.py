"""PostgreSQL restarts under a deployed web process (gunicorn, persistent connections as in
docker-compose): the restart is simulated with ``pg_terminate_backend`` on the server's
connections, an outage by refusing new connections to the test database. No request fails
once the database answers again; while it is away the answer is a translated 503."""

import contextlib

import psycopg
import pytest
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.portal_helpers import member
from tests.web_server import running_web_server

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


# The web process names its connections (libpq reads PGAPPNAME), so that only they are cut:
# the test process's own, and a live server thread an earlier test left running, stay up.
WEB_APP_NAME = "passdesk-faults-web"


def terminate_other_connections() -> int:
    """What a PostgreSQL restart does to every connection of the web process."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [WEB_APP_NAME],
        )
        return cursor.fetchone()[0]


@contextlib.contextmanager
def database_refusing_connections():
    """New connections are refused (as while PostgreSQL is down); restored on exit."""
    name = connection.ops.quote_name(connection.settings_dict["NAME"])
    params = connection.get_connection_params()
    params["dbname"] = "postgres"  # a database may not close itself to new connections
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        try:
            terminate_other_connections()
            yield
        finally:
            admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")


def test_no_request_fails_after_a_database_restart_and_503_while_it_is_down(tmp_path):
    user = member()
    token = Token.objects.create(user=user).key
    with running_web_server(
        tmp_path, env={"CONN_MAX_AGE": "60", "PGAPPNAME": WEB_APP_NAME}
    ) as server:
        api = server.client(headers={"Authorization": f"Token {token}"})
        portal = Client()
        portal.force_login(user)
        page = server.client(
            headers={"Accept-Language": "zh-hans"},
            cookies={"sessionid": portal.cookies["sessionid"].value},
        )

        def round_of_requests():
            return (
                [api.get("/api/v1/requests/").status_code for _ in range(6)]
                + [page.get("/").status_code for _ in range(3)]
                + [page.get("/healthz/").status_code for _ in range(3)]
            )

        assert round_of_requests() == [200] * 12
        for _restart in range(3):
            assert terminate_other_connections() >= 1  # the server's persistent connection
            assert round_of_requests() == [200] * 12, server.log()[-3000:]

        with database_refusing_connections():
            down_api = api.get("/api/v1/requests/")
            down_page = page.get("/")
            down_portal = server.client(headers={"Accept-Language": "en"}).get(
                "/api/v1/requests/", headers={"Authorization": f"Token {token}"}
            )
            assert page.get("/healthz/").status_code == 503
        assert down_api.status_code == 503 and down_api.headers["Retry-After"]
        assert down_api.json()["error"]["code"] == "service_unavailable"
        assert "try again" in down_portal.json()["error"]["message"]
        assert down_page.status_code == 503, down_page.text[:500]
        assert "服务暂时不可用" in down_page.text
        assert round_of_requests() == [200] * 12, server.log()[-3000:]
