"""Where stored files live: the local file system (the default) or an S3-compatible bucket.

``STORAGE_URL`` names the bucket in one line::

    s3://ACCESS_KEY:SECRET_KEY@host:port/bucket[/prefix]?region=us-east-1&secure=false

(``s3+https://`` or ``secure=true`` for TLS). Key and secret are URL-encoded. Without it, the
usual ``AWS_*`` variables (bucket, endpoint, key, secret, region) do the same. Either way the
bucket stays private: objects are written without an ACL, every file is served through the
permission-checked views, and no bucket URL is ever handed to a browser.
"""

from urllib.parse import parse_qs, unquote, urlsplit

S3_BACKEND = "storages.backends.s3.S3Storage"
FILE_SYSTEM_BACKEND = "django.core.files.storage.FileSystemStorage"
MULTIPART_THRESHOLD = 256 * 1024 * 1024
CONNECT_TIMEOUT = 5  # seconds
READ_TIMEOUT = 60


class StorageUrlError(ValueError):
    pass


def file_system_storage(location) -> dict:
    return {
        "BACKEND": FILE_SYSTEM_BACKEND,
        "OPTIONS": {"location": str(location), "base_url": None},
    }


def s3_options(
    *,
    bucket: str,
    endpoint_url: str = "",
    access_key: str = "",
    secret_key: str = "",
    region: str = "",
    location: str = "",
) -> dict:
    """django-storages options for a private bucket on any S3-compatible server."""
    options = {
        "bucket_name": bucket,
        "location": location.strip("/"),
        # Never overwrite: names are random, and a clash must get a new name as on disk.
        "file_overwrite": False,
        # No ACL on write: the bucket's own policy (private) applies.
        "default_acl": None,
        "querystring_auth": True,
        "signature_version": "s3v4",
        # Path-style addressing works with SeaweedFS, MinIO and AWS alike, without DNS tricks.
        "addressing_style": "path",
        "region_name": region or "us-east-1",
    }
    try:
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config
    except ImportError:  # django-storages[s3] not installed: the backend says so when used
        pass
    else:
        # A bucket that does not answer fails a request in seconds (the readiness check, a
        # view) instead of hanging a web worker for botocore's default minute.
        options["client_config"] = Config(
            s3={"addressing_style": "path"},
            signature_version="s3v4",
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
            retries={"max_attempts": 3, "mode": "standard"},
        )
        # One streamed PUT per file (uploads are capped far below this): multipart uploads
        # would hold each part in memory, several at a time.
        options["transfer_config"] = TransferConfig(
            multipart_threshold=MULTIPART_THRESHOLD, use_threads=False
        )
    if endpoint_url:
        options["endpoint_url"] = endpoint_url
    if access_key:
        options["access_key"] = access_key
        options["secret_key"] = secret_key
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}


def storage_from_url(url: str) -> dict:
    """A ``STORAGES["default"]`` entry from ``STORAGE_URL``."""
    parts = urlsplit(url)
    if parts.scheme not in ("s3", "s3+http", "s3+https"):
        raise StorageUrlError(f"STORAGE_URL must start with s3://, not {parts.scheme}://")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    bucket, _, location = parts.path.lstrip("/").partition("/")
    if not bucket:
        raise StorageUrlError("STORAGE_URL names no bucket (s3://key:secret@host:port/bucket)")
    secure = parts.scheme == "s3+https" or query.get("secure", "").lower() in ("1", "true", "yes")
    endpoint = ""
    if parts.hostname:
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        port = f":{parts.port}" if parts.port else ""
        endpoint = f"{'https' if secure else 'http'}://{host}{port}"
    return s3_options(
        bucket=bucket,
        endpoint_url=endpoint,
        access_key=unquote(parts.username or ""),
        secret_key=unquote(parts.password or ""),
        region=query.get("region", ""),
        location=location,
    )


def describe(storage: dict) -> str:
    """Where files go, without secrets (for logs and the readiness check)."""
    options = storage.get("OPTIONS", {})
    if storage["BACKEND"] == S3_BACKEND:
        prefix = f"/{options['location']}" if options.get("location") else ""
        return f"s3 {options.get('endpoint_url', 'aws')}/{options['bucket_name']}{prefix}"
    return f"file system {options.get('location')}"
