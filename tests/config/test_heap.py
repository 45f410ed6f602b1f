"""Server processes settle their heap once the app is loaded (``config.heap``): gunicorn's
workers through ``gunicorn.conf.py``, Celery's pool processes through ``worker_process_init``."""

import gc
import runpy
import weakref
from pathlib import Path

import pytest
from celery import signals

import config.celery  # noqa: F401 - connects the worker's signal handlers
from config import heap

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def restored_collector():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def _settled() -> bool:
    return gc.get_freeze_count() > 0 and gc.get_threshold()[0] == 7000


def test_a_gunicorn_worker_settles_its_heap_after_loading_the_app(restored_collector):
    gc.unfreeze()
    hooks = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))
    assert not _settled()
    hooks["post_worker_init"](worker=None)
    assert _settled(), "start-up objects frozen, young generation collected less often"


@pytest.mark.parametrize("signal", [signals.worker_ready, signals.worker_process_init])
def test_a_celery_worker_and_its_pool_processes_settle_their_heap(signal, restored_collector):
    gc.unfreeze()
    assert not _settled()
    signal.send(sender=None)
    assert _settled()


def test_settled_objects_still_work_and_new_garbage_is_still_collected(restored_collector):
    class Node:
        pass

    # A cycle loaded before settling is frozen: the collector leaves it alone even once nothing
    # refers to it. (Counting the frozen objects instead raced: any thread may free a frozen
    # object by its reference count at any time.)
    settled = Node()
    settled.self = settled
    settled_alive = weakref.ref(settled)
    heap.settle()
    del settled

    for _ in range(100):  # cycles made after settling are garbage the collector still finds
        node = Node()
        node.self = node
    garbage_alive = weakref.ref(node)
    del node
    assert gc.collect() >= 100
    assert garbage_alive() is None
    assert settled_alive() is not None
