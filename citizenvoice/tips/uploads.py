"""Evidence files: allow-listed kinds checked by content, encrypted on disk under random names.

Files live in ``UPLOAD_FOLDER/tips`` (outside the web root; nothing serves that folder) under a
random 32-hex-digit name with no extension. The name the reporter's computer gave the file is
not kept (it often contains a person's name); staff download ``evidence-<ref>-<n>.<kind>`` as an
attachment with ``nosniff``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from citizenvoice.tips.crypto import TipCrypto

#: Kind → allowed filename extensions.
KINDS = {
    "pdf": (".pdf",),
    "png": (".png",),
    "jpg": (".jpg", ".jpeg"),
    "txt": (".txt",),
    "csv": (".csv",),
}
_MAGIC = {"pdf": b"%PDF-", "png": b"\x89PNG\r\n\x1a\n", "jpg": b"\xff\xd8\xff"}
#: Markup that a browser could sniff as HTML or script, refused in text files.
_MARKUP = (b"<html", b"<!doctype", b"<script", b"<body", b"<iframe", b"<svg", b"<head", b"<?xml")


def detect_kind(filename: str, data: bytes) -> str | None:
    """The allow-listed kind of an upload, judged by its extension and its content; else None."""
    name = filename.lower()
    if "\x00" in name:
        return None
    kind = next((k for k, exts in KINDS.items() if name.endswith(exts)), None)
    if kind is None or not data:
        return None
    if kind in _MAGIC:
        return kind if data.startswith(_MAGIC[kind]) else None
    if b"\x00" in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    head = text[:4096].lower().encode()
    if any(marker in head for marker in _MARKUP):
        return None
    return kind


def folder(upload_root: str) -> Path:
    path = Path(upload_root) / "tips"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def store(upload_root: str, data: bytes, crypto: TipCrypto) -> str:
    """Encrypt and write ``data`` under a fresh random name; return the name."""
    name = secrets.token_hex(16)
    path = folder(upload_root) / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(crypto.encrypt_bytes(data))
    return name


def _path(upload_root: str, name: str) -> Path:
    if len(name) != 32 or any(ch not in "0123456789abcdef" for ch in name):
        raise ValueError("not a stored evidence name")
    return folder(upload_root) / name


def read(upload_root: str, name: str, crypto: TipCrypto) -> bytes:
    return crypto.decrypt_bytes(_path(upload_root, name).read_bytes())


def rotate(upload_root: str, name: str, crypto: TipCrypto) -> bool:
    """Re-encrypt one file under the newest key (atomically); True if it changed."""
    path = _path(upload_root, name)
    token = path.read_bytes()
    if crypto.is_current(token):
        return False
    tmp = path.with_name(name + ".tmp")
    tmp.write_bytes(crypto.rotate(token))
    os.replace(tmp, path)
    return True


def delete(upload_root: str, name: str) -> None:
    _path(upload_root, name).unlink(missing_ok=True)
