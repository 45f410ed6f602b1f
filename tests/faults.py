"""Breaking real services inside a test: the broker on a closed port, PostgreSQL connections
terminated. Each helper restores the service on exit."""

import contextlib

from config.celery import app as celery_app
from passes.notifications import outbox
from tests.smtp_sink import free_port


@contextlib.contextmanager
def broker_unreachable():
    """Point this process's producer at a closed port, as if Redis were down."""
    # broker_url yields to $CELERY_BROKER_URL; the write URL (what producers use) does not.
    previous = celery_app.conf.get("broker_write_url")
    dead = f"redis://127.0.0.1:{free_port()}/8"

    def reset_pools():  # kombu keeps one pool per URL; forget the cached one
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    reset_pools()
    celery_app.conf.broker_write_url = dead
    try:
        yield
    finally:
        reset_pools()
        celery_app.conf.broker_write_url = previous
        outbox._broker_paused_until = 0.0
