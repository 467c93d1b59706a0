"""Reading the user's input files: bounded, so that `/dev/zero` or a huge file is an error
rather than a hang or a MemoryError, and every failure is one line naming the file."""

from __future__ import annotations

from pathlib import Path

from .errors import TracerError


def read_text(path: Path, limit: int, error: type[TracerError] = TracerError) -> str:
    """The UTF-8 text of `path` (a BOM dropped), refused beyond `limit` bytes. Reads at most
    limit + 1 bytes, so a device or a pipe that never ends is refused too."""
    source = str(path)
    try:
        with open(path, "rb") as stream:
            data = stream.read(limit + 1)
    except FileNotFoundError:
        raise error("file not found", source=source) from None
    except IsADirectoryError:
        raise error("is a directory, expected a file", source=source) from None
    except OSError as exc:
        raise error(f"cannot read file ({exc.strerror or type(exc).__name__})",
                    source=source) from None
    if len(data) > limit:
        raise error(f"larger than the limit of {limit:,} bytes", source=source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"cannot read file (not UTF-8 text: byte {exc.start + 1})",
                    source=source) from None
