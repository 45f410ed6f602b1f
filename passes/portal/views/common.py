"""Helpers the portal views share: the document service and its refusals."""

from ...documents.errors import UploadRejected
from ...documents.services import attach_document, remove_document, replace_document

__all__ = ["UploadRejected", "attach_document", "remove_document", "replace_document"]
