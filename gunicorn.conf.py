"""gunicorn's settings beyond its command line; gunicorn reads this file from the working
directory by itself (the image's and the benchmark's)."""


def post_worker_init(worker):
    """The worker has loaded the app: settle its heap before it serves (``config.heap``)."""
    from config import heap

    heap.settle()
