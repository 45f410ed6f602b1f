"""Requests already in the review queue, and documents stored as real files, for admin tests."""

import datetime
import hashlib
import io
import secrets

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from passes.models import Document, DocumentKind, PassRequest
from tests import factories


def png_bytes(color=(30, 90, 200), size=(60, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def queued_request(
    *,
    vehicles=1,
    hours_waiting=1.0,
    status=PassRequest.Status.SUBMITTED,
    reviewer=None,
    **kwargs,
):
    """A request that sits in the queue, submitted ``hours_waiting`` ago."""
    pass_request = factories.submittable_request(vehicles=vehicles, **kwargs)
    submitted = timezone.now() - datetime.timedelta(hours=hours_waiting)
    PassRequest.objects.filter(pk=pass_request.pk).update(
        status=status,
        submitted_at=submitted,
        assigned_reviewer=reviewer,
        claimed_at=submitted if reviewer else None,
    )
    pass_request.refresh_from_db()
    return pass_request


def add_document(
    pass_request,
    *,
    kind=DocumentKind.BUSINESS_LICENCE,
    item=None,
    driver=None,
    content=None,
    sha256=None,
    tested_at=None,
    name=None,
    standing=False,
):
    """A stored PNG attached to the request (or standing with the driver when ``standing``)."""
    content = content or png_bytes(color=(secrets.randbelow(255), 120, 90))
    document = Document(
        enterprise=pass_request.enterprise,
        request=None if standing else pass_request,
        item=item,
        driver=driver,
        kind=kind,
        original_name=name or f"{kind}.png",
        sha256=sha256 or hashlib.sha256(content + secrets.token_bytes(8)).hexdigest(),
        content_type="image/jpeg" if content.startswith(b"\xff\xd8") else "image/png",
        size=len(content),
        tested_at=tested_at,
    )
    document.file.save("scan.png", ContentFile(content), save=False)
    document.save()
    return document
