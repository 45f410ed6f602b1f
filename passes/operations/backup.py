"""Backup and restore of a whole site: the PostgreSQL database (``pg_dump``'s custom format)
and every stored file (copied out of the bucket or media folder through the storage API, with
a manifest of sizes and SHA-256), and the check that a restored site works: every document
opens with its recorded checksum, every stored pass PDF downloads, and every QR code printed
on those PDFs still verifies against the site's keys.

Signing keys are not in the backup: they are a secret kept (encrypted) apart from the data;
docs/operations.md says where.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection

MANIFEST = "manifest.json"
DATABASE_DUMP = "database.dump"
FILES = "files"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why."""


def stored_names(storage=default_storage, folder: str = "") -> list[str]:
    """Every file name under ``folder`` in ``storage``, recursively."""
    try:
        directories, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    prefix = f"{folder}/" if folder else ""
    names = [prefix + name for name in files]
    for directory in directories:
        names += stored_names(storage, prefix + directory)
    return sorted(names)


def _pg_environment() -> tuple[dict, str]:
    db = settings.DATABASES["default"]
    if connection.vendor != "postgresql":
        raise BackupError("backup and restore need PostgreSQL (DATABASE_URL=postgres://...)")
    env = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if db.get(key):
            env[variable] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env, db["NAME"]


def _run(command: list[str], env: dict) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def _sha256_and_copy(source, target) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if target is not None:
            target.write(chunk)
    return digest.hexdigest(), size


def backup(target: Path, progress: Callable[[str], None] = lambda line: None) -> dict:
    """Write ``target/database.dump``, ``target/files/...`` and ``target/manifest.json``."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty")
    (target / FILES).mkdir(parents=True, exist_ok=True)
    env, name = _pg_environment()
    _run(
        ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file",
         str(target / DATABASE_DUMP), name],
        env,
    )  # fmt: skip
    progress(f"database {name}: {(target / DATABASE_DUMP).stat().st_size} bytes")
    files = []
    names = stored_names()
    for number, stored in enumerate(names, 1):
        path = target / FILES / stored
        path.parent.mkdir(parents=True, exist_ok=True)
        with default_storage.open(stored, "rb") as source, path.open("wb") as copy:
            sha256, size = _sha256_and_copy(source, copy)
        files.append({"name": stored, "size": size, "sha256": sha256})
        if number % 100 == 0 or number == len(names):
            progress(f"files: {number}/{len(names)}")
    manifest = {"format": 1, "database": DATABASE_DUMP, "files": files}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def restore(source: Path, progress: Callable[[str], None] = lambda line: None) -> dict:
    """Load a backup into the configured (empty) database and storage."""
    source = Path(source)
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"{source} holds no readable {MANIFEST}: {error}") from error
    existing = stored_names()
    if existing:
        raise BackupError(
            f"the storage is not empty ({len(existing)} files): restore into a new one"
        )
    env, name = _pg_environment()
    connection.close()
    _run(
        ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", name,
         str(source / manifest["database"])],
        env,
    )  # fmt: skip
    progress(f"database {name} restored")
    for number, entry in enumerate(manifest["files"], 1):
        path = source / FILES / entry["name"]
        with path.open("rb") as handle:
            sha256, size = _sha256_and_copy(handle, None)
            if (sha256, size) != (entry["sha256"], entry["size"]):
                raise BackupError(f"{entry['name']} in the backup does not match its manifest")
            handle.seek(0)
            saved = default_storage.save(entry["name"], File(handle, name=entry["name"]))
        if saved != entry["name"]:
            raise BackupError(f"{entry['name']} was stored as {saved}")
        if number % 100 == 0 or number == len(manifest["files"]):
            progress(f"files: {number}/{len(manifest['files'])}")
    return manifest


@dataclass
class Check:
    documents: int = 0
    pass_pdfs: int = 0
    tokens: int = 0
    problems: list[str] = field(default_factory=list)


def _digest(field_file) -> str:
    with field_file.storage.open(field_file.name, "rb") as handle:
        return _sha256_and_copy(handle, None)[0]


def _pdf_tokens(field_file) -> list[str]:
    import pypdfium2 as pdfium
    import zxingcpp

    from ..signing import tokens as signing

    with field_file.storage.open(field_file.name, "rb") as handle:
        pdf = pdfium.PdfDocument(handle.read())
    tokens = []
    try:
        for page in pdf:
            image = page.render(scale=2).to_pil()
            for barcode in zxingcpp.read_barcodes(image):
                if "/v/" in barcode.text:
                    tokens.append(signing.token_from_qr_text(barcode.text))
            page.close()
    finally:
        pdf.close()
    return tokens


def check_site(progress: Callable[[str], None] = lambda line: None) -> Check:
    """Open every document, download every pass PDF, verify every QR token on them."""
    from ..models import Document, Pass, PassPdf
    from ..signing import keys as signing_keys
    from ..signing import tokens as signing

    result = Check()
    for document in Document.objects.order_by("pk").iterator():
        try:
            if _digest(document.file) != document.sha256:
                result.problems.append(f"document {document.pk}: checksum differs")
                continue
        except OSError as error:
            result.problems.append(f"document {document.pk}: {error}")
            continue
        result.documents += 1
    progress(f"documents open: {result.documents}")
    keyring = signing_keys.server_keyring()
    numbers = set(Pass.objects.values_list("number", flat=True))
    for record in PassPdf.objects.order_by("pk").iterator():
        try:
            tokens = _pdf_tokens(record.file)
        except OSError as error:
            result.problems.append(f"pass PDF {record.pk}: {error}")
            continue
        result.pass_pdfs += 1
        if not tokens:
            result.problems.append(f"pass PDF {record.pk}: no QR code found")
        for token in tokens:
            try:
                claims = signing.verify_token(token, keys=keyring)
            except signing.TokenError as error:
                result.problems.append(f"pass PDF {record.pk}: token does not verify ({error})")
                continue
            if claims.number not in numbers:
                result.problems.append(f"pass PDF {record.pk}: unknown pass {claims.number}")
                continue
            result.tokens += 1
    progress(f"pass PDFs downloaded: {result.pass_pdfs}; tokens verified: {result.tokens}")
    return result


def remove_backup(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
