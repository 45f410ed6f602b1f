"""Helpers for workflow tests: document rows for the guards, requests in a given state.

The guards look only at Document rows (kind, what they are attached to, test time), so these
helpers write rows with a tiny placeholder file; uploading real scans is tested with DOCS's
``passes.documents``.
"""

import hashlib
import itertools

from django.core.files.base import ContentFile

from passes.models import Document
from passes.requests import workflow
from tests import factories

_counter = itertools.count(1)


def make_document(enterprise, kind, *, request=None, item=None, vehicle=None, driver=None, **kw):
    content = f"%PDF-1.4 placeholder {next(_counter)}".encode()
    return Document.objects.create(
        enterprise=enterprise,
        request=request,
        item=item,
        vehicle=vehicle,
        driver=driver,
        kind=kind,
        file=ContentFile(content, name="scan.pdf"),
        original_name="扫描件.pdf",
        sha256=hashlib.sha256(content).hexdigest(),
        content_type="application/pdf",
        size=len(content),
        **kw,
    )


def submitted_request(applicant, vehicles=1, **kwargs):
    pass_request = factories.submittable_request(
        vehicles=vehicles, enterprise=applicant.membership.enterprise, **kwargs
    )
    return workflow.submit(pass_request, by=applicant)


def claimed_request(applicant, reviewer, vehicles=1, **kwargs):
    pass_request = submitted_request(applicant, vehicles=vehicles, **kwargs)
    return workflow.claim(pass_request, by=reviewer)
