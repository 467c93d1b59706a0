"""The Gradescope autograder of an exercise's keys: a zip to upload as the assignment's
autograder (Gradescope's specification: `setup.sh` and `run_autograder` at the root; the zip
is unpacked into /autograder/source, the student's files are in /autograder/submission, and
/autograder/results/results.json is what Gradescope reads).

The scripts are in `templates/gradescope/` (shipped with the package). `run_autograder`
runs `grade.py` (standard library only), which finds the submitted answer sheet, the
student's variant (the sheet's `# Variant` line, else the student's e-mail in
Gradescope's submission metadata matched to the roster's), and runs `tracer check` on it with
`-f gradescope`. Everything it needs is in the zip: each variant's spec and the manifest.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from .files import MARK
from .keys import Manifest, Variant, variant_toml
from .renderer import builtin_templates
from .spec import Spec


def autograder_zip(spec: Spec, variants: Sequence[Variant], manifest: Manifest) -> bytes:
    """The autograder to upload: scripts at the zip's root, each variant's spec, the
    manifest (for the roster's e-mails)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        scripts = builtin_templates() / "gradescope"
        for name, mode in (("setup.sh", 0o755), ("run_autograder", 0o755), ("grade.py", 0o644)):
            text = (scripts / name).read_text(encoding="utf-8")
            _add(archive, name, text.replace("TRACER_VERSION", _version()), mode)
        _add(archive, "manifest.json", manifest.json(), 0o644)
        for variant in variants:
            _add(archive, f"variants/{variant.file_id}.toml", variant_toml(spec, variant),
                 0o644)
        archive.comment = MARK.encode()  # known again as tracer's (files.written_by_tracer)
    return buffer.getvalue()


def _add(archive: zipfile.ZipFile, name: str, text: str, mode: int) -> None:
    """A file with a fixed date (the same keys give the same bytes) and its Unix mode."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text.encode("utf-8"))


def _version() -> str:
    try:
        return version("tracer")
    except PackageNotFoundError:  # run from a source tree
        return "0.1.0"
