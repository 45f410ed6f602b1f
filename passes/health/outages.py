"""Which backing service an exception says is away: the database, the object store (or the
disk under local storage), the cache or the broker.

One answer for every caller: the web layer turns such an exception into a 503 that heals
(``web.unavailable``), and a worker that meets one retries later instead of recording a
verdict on the document (``documents.ocr``). An exception that names no outage (a missing
file, a refused credential, a bug) is ``None`` and stays what it is.
"""

import errno

# Filesystem errors of a store that is away (an NFS or block device gone), not of a file:
# FileNotFoundError and PermissionError are no outage.
_DISK_AWAY = {
    errno.EIO,
    errno.ESTALE,
    errno.ENOTCONN,
    errno.ETIMEDOUT,
    errno.EHOSTDOWN,
    errno.EHOSTUNREACH,
}
# S3 error codes that mean "try again later", whatever the HTTP status says.
_S3_AWAY = {"ServiceUnavailable", "SlowDown", "InternalError", "RequestTimeout", "503", "500"}


def _storage_away(error: BaseException) -> bool:
    try:
        from botocore.exceptions import ClientError, ConnectionError, HTTPClientError
    except ImportError:  # no S3 client installed: local storage only
        pass
    else:
        if isinstance(error, ConnectionError | HTTPClientError):
            return True  # refused, timed out, connection closed mid-answer
        if isinstance(error, ClientError):
            response = error.response or {}
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            return status >= 500 or response.get("Error", {}).get("Code") in _S3_AWAY
    return isinstance(error, OSError) and error.errno in _DISK_AWAY


def _database_away(error: BaseException) -> bool:
    from django.db import InterfaceError, OperationalError

    return isinstance(error, OperationalError | InterfaceError)


def _cache_away(error: BaseException) -> bool:
    try:
        from redis.exceptions import ConnectionError, TimeoutError
    except ImportError:
        return False
    return isinstance(error, ConnectionError | TimeoutError)


def _broker_away(error: BaseException) -> bool:
    try:
        from kombu.exceptions import OperationalError
    except ImportError:
        return False
    return isinstance(error, OperationalError)


_CHECKS = (
    ("database", _database_away),
    ("storage", _storage_away),
    ("cache", _cache_away),
    ("broker", _broker_away),
)


def service_away(error: BaseException | None) -> str | None:
    """``"database"``, ``"storage"``, ``"cache"`` or ``"broker"`` when ``error`` (or what it
    was raised from) says that service cannot be reached; else None."""
    for _depth in range(4):
        if error is None:
            return None
        for name, check in _CHECKS:
            if check(error):
                return name
        error = error.__cause__
    return None


def storage_away(error: BaseException | None) -> bool:
    return service_away(error) == "storage"
