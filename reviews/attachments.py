"""Documents kept with evidence and review cases.

A file is checked (size, extension, and what its bytes say it is), hashed
with SHA-256 while it is read in chunks, and stored through the storage
alias ``attachments`` under its hash. The row records name, size, hash,
type, uploader and time, and is never changed afterwards (pgtrigger Protect).
"""

import hashlib
import os

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import storages
from django.db import transaction
from django.utils.translation import gettext as _

import filetype

from permits.core.errors import InvalidInput

from .models import Attachment

# Extension -> the content type its bytes must show. Office documents in the
# OOXML formats are ZIP containers that filetype recognises by their parts;
# the older binary formats (OLE) are recognised as such. Plain text has no
# signature: it is accepted when it decodes as UTF-8 and holds no NUL byte.
ALLOWED = {
    ".pdf": {"application/pdf"},
    ".png": {"image/png"},
    ".jpg": {"image/jpeg"},
    ".jpeg": {"image/jpeg"},
    ".gif": {"image/gif"},
    ".webp": {"image/webp"},
    ".tif": {"image/tiff"},
    ".tiff": {"image/tiff"},
    ".heic": {"image/heic"},
    ".docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    ".xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    ".pptx": {"application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    ".odt": {"application/vnd.oasis.opendocument.text"},
    ".ods": {"application/vnd.oasis.opendocument.spreadsheet"},
    ".odp": {"application/vnd.oasis.opendocument.presentation"},
    ".doc": {"application/msword"},
    ".xls": {"application/vnd.ms-excel"},
    ".ppt": {"application/vnd.ms-powerpoint"},
    ".txt": {"text/plain"},
    ".csv": {"text/csv"},
}
TEXT_EXTENSIONS = {".txt": "text/plain", ".csv": "text/csv"}
# What the sniffer reads: every signature filetype knows lies in the first 8 KB.
SNIFF_BYTES = 8192
CHUNK = 64 * 1024


def max_bytes():
    return settings.ATTACHMENT_MAX_MB * 1024 * 1024


def _clean_name(name):
    name = os.path.basename((name or "").replace("\\", "/")).strip()
    # Control characters would end up in a Content-Disposition header.
    name = "".join(ch for ch in name if ch.isprintable())
    return name[-255:]


def _sniff(head, extension):
    if extension in TEXT_EXTENSIONS:
        if b"\x00" in head:
            return None
        try:
            # A multi-byte character may be cut at the end of the sample.
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 3:
                return None
        return TEXT_EXTENSIONS[extension]
    kind = filetype.guess(head)
    if kind is None:
        return None
    return kind.mime if kind.mime in ALLOWED[extension] else None


def _scan(upload):
    """(size, sha256 hex, head) of the upload, read in chunks; InvalidInput past the limit."""
    limit = max_bytes()
    digest = hashlib.sha256()
    size = 0
    head = b""
    upload.seek(0)
    for chunk in upload.chunks(CHUNK):
        size += len(chunk)
        if size > limit:
            raise InvalidInput({"file": [_("The file is larger than %(mb)s MB.") % {"mb": settings.ATTACHMENT_MAX_MB}]})
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
        digest.update(chunk)
    upload.seek(0)
    return size, digest.hexdigest(), head


def store_attachment(*, upload, uploaded_by, evidence=None, review=None):
    """Check, hash and store an uploaded file for ``evidence`` or ``review``; returns the Attachment.

    Steps: check the name's extension against the allowed types; read the file
    in chunks, computing its size and SHA-256 and refusing it past
    ATTACHMENT_MAX_MB; check that its bytes are what the extension says;
    save the file (named by its hash) and the row. Raises InvalidInput (400).
    """
    if upload is None:
        raise InvalidInput({"file": [_("Choose a file to upload.")]})
    name = _clean_name(getattr(upload, "name", ""))
    extension = os.path.splitext(name)[1].lower()
    if not name or extension not in ALLOWED:
        raise InvalidInput({"file": [_(
            "Only PDF, images (PNG, JPEG, GIF, WebP, TIFF, HEIC), office documents "
            "(Word, Excel, PowerPoint, OpenDocument) and text (.txt, .csv) are accepted."
        )]})
    size, sha256, head = _scan(upload)
    if size == 0:
        raise InvalidInput({"file": [_("The file is empty.")]})
    content_type = _sniff(head, extension)
    if content_type is None:
        raise InvalidInput({"file": [_("The file's content is not a %(ext)s file.") % {"ext": extension[1:].upper()}]})
    storage = storages["attachments"]
    # The same content twice is stored once: the name is the hash.
    stored_name = f"{sha256[:2]}/{sha256}"
    if not storage.exists(stored_name):
        # A concurrent upload of the same bytes may win the name: the storage
        # then picks another, and the row records whichever was written.
        stored_name = storage.save(stored_name, File(upload))
    with transaction.atomic():
        attachment = Attachment.objects.create(
            evidence=evidence, review=review, stored_name=stored_name, name=name, size=size, sha256=sha256,
            content_type=content_type, uploaded_by=uploaded_by,
        )
    return attachment
