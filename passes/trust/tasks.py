"""Celery tasks of the trust context: thin wrappers, idempotent (a pull repeats safely)."""

from celery import shared_task

from . import pull


@shared_task(name="passes.pull_trust_lists", acks_late=True)
def pull_trust_lists() -> int:
    return pull.pull_all()


@shared_task(name="passes.pull_peer", acks_late=True)
def pull_peer(peer_id: int) -> bool:
    return pull.pull_peer(peer_id)
