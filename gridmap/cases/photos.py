"""Photos of a case: what the bytes really are, and where they are kept.

A photo is judged by its content, never by its name or the type the browser claims: Pillow
must open and verify it as JPEG, PNG or WebP within PHOTO_MAX_BYTES and 40 megapixels. The
bytes are written under ``INSTANCE_DIR/photos/<street>/`` with a name the server chooses (a
random hex name and the extension of the real format), outside the web root, and served only
through the API to those who may see the case.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from gridmap.core.errors import BadInput

FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class Checked:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str


def check(data: bytes, limit: int) -> Checked:
    """The photo's real format and size, or a BadInput in Chinese."""
    if not data:
        raise BadInput("照片是空的。")
    if len(data) > limit:
        raise BadInput(
            f"照片过大：{len(data) / 1e6:.1f} MB，最大 {limit / 1e6:.1f} MB；请压缩后再传。"
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise BadInput("照片像素过多（超过 4000 万），请缩小后再传。")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise BadInput("文件不是可识别的图片（只接受 JPEG、PNG、WebP 照片）。") from None
    if kind not in FORMATS:
        raise BadInput(f"不接受 {kind} 格式的图片，只接受 JPEG、PNG、WebP。")
    content_type, extension = FORMATS[kind]
    return Checked(data, content_type, extension, width, height, hashlib.sha256(data).hexdigest())


def folder(instance_dir: str, street_code: str) -> Path:
    path = Path(instance_dir) / "photos" / street_code
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def store(instance_dir: str, street_code: str, photo: Checked) -> str:
    """Write the bytes under a new name; returns the name. Written to a temporary name first
    and renamed, so a half-written file never carries a photo's name."""
    name = f"{uuid.uuid4().hex}.{photo.extension}"
    target = folder(instance_dir, street_code) / name
    partial = target.with_suffix(".part")
    with open(partial, "wb") as out:
        out.write(photo.data)
        out.flush()
        os.fsync(out.fileno())
    partial.rename(target)
    return name


def path_of(instance_dir: str, street_code: str, name: str) -> Path:
    return folder(instance_dir, street_code) / name
