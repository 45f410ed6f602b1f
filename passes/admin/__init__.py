"""The Django admin, one module per area. Importing them registers the model admins."""

from . import catalog, enterprises, requests, scans  # noqa: F401
