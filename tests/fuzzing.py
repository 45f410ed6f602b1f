"""Schemathesis over the app's own ``/api/schema/``, called in-process: the shared loop that runs
every matching operation with positive and negative data and collects any 500."""

import contextlib
import os

import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "10"))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the report names the request
)


@contextlib.contextmanager
def keep_connection():
    """Like Django's test client, keep the request signals from closing the test's database
    connection (and with it the test transaction) after each in-process call."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def load_schema():
    """The schema served by the app itself."""
    from config.wsgi import application

    with keep_connection():
        return schemathesis.openapi.from_wsgi("/api/schema/", application)


def fuzz(schema, path_regex, token, aim) -> list[str]:
    """Run every operation matching ``path_regex``; ``aim(case)`` may point generated ids and
    bodies at real objects first. Returns one line per operation that answered with a 500."""
    failures = []
    operations = [
        result.ok() for result in schema.include(path_regex=path_regex).get_all_operations()
    ]
    assert operations, path_regex
    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @FUZZ_SETTINGS
        @given(case=strategy)
        def run(case):
            aim(case)
            response = case.call(headers={"Authorization": token})
            case.validate_response(response, checks=[not_a_server_error])

        try:
            with keep_connection():
                run()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.label}: {exc}")
    return failures
