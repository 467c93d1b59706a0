"""Writing files: each atomically, so that a failed run leaves the previous file as it was."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .errors import OutputError


def write_files(folder: Path, documents: Mapping[str, str | bytes]) -> list[Path]:
    """Write each named document into `folder`, creating the folder if needed (each file is
    written atomically)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder ({exc.strerror})", source=str(folder)) from None
    paths = [folder / name for name in documents]
    for path, text in zip(paths, documents.values(), strict=True):
        write_atomic(path, text)
    return paths


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write via a temporary file in the same folder and a rename: never a half-written file."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError("folder does not exist", source=str(path))
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"cannot write ({exc.strerror})", source=str(path)) from None
    try:
        data = text.encode("utf-8") if isinstance(text, str) else text
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write ({exc.strerror})", source=str(path)) from None
        raise
