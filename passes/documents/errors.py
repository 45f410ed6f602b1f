"""The one error an upload is refused with, shown as is by the portal, the API and the admin."""

import re
import unicodedata

from django.core.exceptions import ValidationError

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class UploadRejected(Exception):
    """A file or its details were refused. ``message`` is translated and names the file;
    ``code`` is stable for API clients; ``field`` says which input was wrong (``file``,
    ``kind``, ``tested_at``, ``item``, ``driver``, ``vehicle``, ``request``)."""

    def __init__(self, message: str, code: str, *, field: str = "file"):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self):
        return str(self.message)

    def __reduce__(self):
        """Picklable with its code and field: the upload check raises it in a child process."""
        return (type(self), (str(self.message), self.code), {"field": self.field})

    def as_validation_error(self) -> ValidationError:
        """For forms: ``form.add_error(error.field, error.as_validation_error())``."""
        return ValidationError(self.message, code=self.code)


def clean_file_name(name: str | None, *, max_length: int = 255) -> str:
    """The original name, safe to display and to put in a header: the last path component,
    NFC-normalised, without control characters, at most ``max_length`` characters with the
    extension kept."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL.sub("", name).strip().strip(".") or "upload"
    if len(name) > max_length:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: max_length - len(extension) - 1] + "." + extension
        else:
            name = name[:max_length]
    return name
