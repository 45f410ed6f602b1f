"""The office and the enterprises talking: announcements to many, messages on one request, and
the FAQ. Services here are called by the admin, the portal, the API and the Celery tasks alike.

Event names for the outbox and webhooks: ``announcement.published`` and ``request.message``.
"""
