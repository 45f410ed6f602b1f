"""Enterprises and their fleets: sign-up and staff (``accounts``), vehicles and drivers
(``fleet``), spreadsheet imports and their Celery task."""
