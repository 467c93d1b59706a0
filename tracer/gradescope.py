"""The Gradescope autograder of an exercise's keys: a zip to upload as the assignment's
autograder (Gradescope's specification: `setup.sh` and `run_autograder` at the root; the zip
is unpacked into /autograder/source, the student's files are in /autograder/submission, and
/autograder/results/results.json is what Gradescope reads).

The scripts are in `templates/gradescope/` (shipped with the package). `setup.sh`
makes a Python (3.11 or newer) with sympy and jinja2; tracer's own source is in `lib/` (the
name `tracer` on the package index is another project). `run_autograder` runs `grade.py`
(standard library only), which finds the submitted answer sheet and the student's variant
(by the submitter's e-mail in Gradescope's metadata, matched to the roster's; a sheet of
another student's variant is refused; the sheet's `# Variant` line where the roster has no
e-mails), and runs `tracer check` on it with `-f gradescope`. Everything it needs is in the
zip: each variant's spec, the manifest, tracer.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

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
        for name, text in _source():
            _add(archive, f"lib/tracer/{name}", text, 0o644)
        for variant in variants:
            _add(archive, f"variants/{variant.file_id}.toml", variant_toml(spec, variant),
                 0o644)
        archive.comment = MARK.encode()  # known again as tracer's (files.written_by_tracer)
    return buffer.getvalue()


def _source() -> list[tuple[str, str]]:
    """tracer's own source and templates (this version's: the autograder installs no
    package of that name, which on the package index is another project's)."""
    package = Path(__file__).parent
    found = [(path.relative_to(package).as_posix(), path)
             for path in sorted(package.rglob("*")) if path.is_file()
             and "__pycache__" not in path.parts and path.suffix in (".py", ".toml", ".j2")]
    templates = builtin_templates()
    if templates.parent != package:  # a source checkout: the templates are beside it
        found += [(f"templates/{path.relative_to(templates).as_posix()}", path)
                  for path in sorted(templates.rglob("*")) if path.is_file()]
    return [(name, path.read_text(encoding="utf-8")) for name, path in found]


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
