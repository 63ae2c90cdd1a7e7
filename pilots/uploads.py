"""Evidence files: what may be uploaded, judged by content, and how it is stored.

A file's name and the browser's Content-Type are the uploader's claims; only the bytes
count. Accepted: PDF, PNG, JPEG, plain UTF-8 text, and Word (.docx) and Excel (.xlsx)
documents, recognised by their signatures (for the Office formats, by the parts inside
the ZIP container; only its directory is read, nothing is unpacked). Everything else is
refused, whatever it is called.

Stored files get a generated name below MEDIA_ROOT/evidence/; the original name is kept
in the database for the download's Content-Disposition only.
"""

import codecs
import hashlib
import re
import uuid
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

CHUNK = 64 * 1024
# Control characters plain text does not contain (tab, line breaks, form feed are fine).
NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extension: str
    label: str


PDF = FileKind("application/pdf", ".pdf", "PDF")
PNG = FileKind("image/png", ".png", _("PNG image"))
JPEG = FileKind("image/jpeg", ".jpg", _("JPEG image"))
TEXT = FileKind("text/plain; charset=utf-8", ".txt", _("text"))
DOCX = FileKind(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".docx",
    _("Word document"),
)
XLSX = FileKind(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsx",
    _("Excel workbook"),
)
ACCEPTED = _("PDF, PNG, JPEG, plain text, Word (.docx) or Excel (.xlsx)")


def sniff(upload: UploadedFile) -> FileKind | None:
    """The kind of file these bytes are, or None when it is none we accept."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _office_document(upload)
    if _is_utf8_text(upload):
        return TEXT
    return None


def _office_document(upload: UploadedFile) -> FileKind | None:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        upload.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def _is_utf8_text(upload: UploadedFile) -> bool:
    """Valid UTF-8 throughout, without NUL bytes or other control characters."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in upload.chunks(CHUNK):
            if NOT_TEXT.search(decoder.decode(chunk)):
                return False
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        upload.seek(0)
    return True


@dataclass(frozen=True)
class CheckedUpload:
    file: UploadedFile
    kind: FileKind

    @property
    def original_name(self) -> str:
        # Django keeps only the base name; control characters have no place in a header.
        name = "".join(ch for ch in (self.file.name or "") if ch >= " ")
        return name.strip()[:200] or f"evidence{self.kind.extension}"


def check_upload(upload: UploadedFile, *, max_bytes: int) -> CheckedUpload:
    """The upload if it is small enough and of an accepted kind; ValidationError if not."""
    if upload.size > max_bytes:
        raise ValidationError(
            gettext(
                "This file is %(size)s; evidence files can be at most %(limit)s. "
                "Attach a link to a larger file instead."
            )
            % {"size": _size(upload.size), "limit": _size(max_bytes)}
        )
    kind = sniff(upload)
    if kind is None:
        raise ValidationError(
            gettext(
                "This file's content is not one Ninety accepts. Attach a PDF, PNG, JPEG, plain "
                "text, Word (.docx) or Excel (.xlsx) file, or a link."
            )
        )
    return CheckedUpload(file=upload, kind=kind)


def _size(size: int) -> str:
    return filesizeformat(size).replace("\xa0", " ")


@dataclass(frozen=True)
class StoredFile:
    name: str
    original_name: str
    content_type: str
    size: int
    sha256: str

    def delete(self) -> None:
        default_storage.delete(self.name)

    def evidence_fields(self) -> dict:
        return {
            "file": self.name,
            "file_name": self.original_name,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
        }


def store(checked: CheckedUpload) -> StoredFile:
    """Write the file under a generated name and fingerprint the bytes written.

    Done before the database transaction that records it (a local write, quick); if that
    transaction fails, the caller deletes the file again.
    """
    digest = hashlib.sha256()
    upload = checked.file
    upload.seek(0)
    for chunk in upload.chunks(CHUNK):
        digest.update(chunk)
    upload.seek(0)
    generated = f"evidence/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{checked.kind.extension}"
    name = default_storage.save(generated, upload)
    return StoredFile(
        name=name,
        original_name=checked.original_name,
        content_type=checked.kind.content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
    )


def sha256_of_stored(name: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as stored:
        for chunk in iter(lambda: stored.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
