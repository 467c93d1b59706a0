"""The formats each command writes (the command line offers them before loading a renderer)."""

from __future__ import annotations

DOCUMENT_FORMATS = ("md", "tex", "json", "pdf", "html")  # tracer render
KEY_FORMATS = ("md", "tex", "pdf", "html")  # tracer keys
CHECK_FORMATS = ("text", "md", "json", "gradescope", "html")  # tracer check
