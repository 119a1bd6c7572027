"""Errors a user can act on, and the one-line description of every other expected failure.

``SimgenError`` and its kinds are raised by library code for input the user can fix;
the CLI prints ``str(err)`` and exits with ``exit_code``. Failures raised by Python or
by a library (a full disk, a read-only folder, a truncated checkpoint, a file that is
not an image) are turned into one line by ``describe`` at the same boundary; anything
else is a bug: ``write_traceback`` keeps its traceback in a file for the bug report.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
import time
import traceback
from pathlib import Path


class SimgenError(Exception):
    """Base class for expected failures: bad input, missing files, corrupt data."""

    exit_code = 1


class SceneError(SimgenError):
    """A scene file or override is wrong. Each line of ``messages`` reads
    ``source: path.to.field: message`` where source is ``file:line`` or ``--set expr``."""

    exit_code = 2

    def __init__(self, messages: list[str] | str):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("\n".join(self.messages))


class ConfigError(SceneError):
    """A config file (keypoint set, pose config, import spec) is wrong; lines read
    ``file:line: path.to.field: message`` like a scene's (exit code 2)."""


class UsageError(SimgenError):
    """A command-line value that is wrong on its own, whatever the input files hold (a malformed
    ``--corners``, a non-positive ``--arena``): exit code 2, like typer's own usage errors.
    A value that is fine but does not fit the input (a camera the dataset lacks) is a
    plain ``SimgenError`` (exit code 1)."""

    exit_code = 2


class DatasetError(SimgenError):
    """A dataset directory is missing, inconsistent or of another format."""

    exit_code = 1


class LimitError(SimgenError):
    """A request above a safety limit (resolution, frames, samples, YAML size); the message
    names the limit and how to raise it."""

    exit_code = 2


# errno -> (what went wrong, what to do); the path comes from the exception.
_OS_ERRORS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("disk full", "free some space and run the same command again (a render resumes "
                   "where it stopped, keeping finished frames), or write elsewhere"),
    errno.EDQUOT: ("disk quota exceeded", "free some space or write elsewhere, then run the command again"),
    errno.EROFS: ("read-only file system", "write to a folder on a writable file system"),
    errno.EACCES: ("permission denied", "check the permissions of the file or folder"),
    errno.EPERM: ("operation not permitted", "check the permissions of the file or folder"),
    errno.ENOENT: ("not found", "check the path"),
    errno.EEXIST: ("already exists", "remove it or pick another path"),
    errno.ENOTDIR: ("not a folder", "a file stands where a folder is needed; pick another path"),
    errno.EISDIR: ("is a folder", "give a file, not a folder"),
    errno.ENAMETOOLONG: ("file name too long", "use a shorter path"),
    errno.EMFILE: ("too many open files", "raise the limit (ulimit -n) or use fewer --workers"),
    errno.EIO: ("input/output error", "the disk or network file system failed; check it"),
}


# Failures of the file written: a copy (shutil) names its source as ``filename`` and the
# file it writes as ``filename2``, which is the one to report.
_WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG)
_LIBRARY_ENOSPC = re.compile(r"No space left on device|errno = 28\b")
_LIBRARY_FILE = re.compile(r"filename = '([^']+)'")  # HDF5's message names its file so


def _path_of(exc: BaseException) -> str | None:
    name = getattr(exc, "filename", None)
    if getattr(exc, "errno", None) in _WRITE_ERRNOS and getattr(exc, "filename2", None) is not None:
        name = exc.filename2  # type: ignore[attr-defined]
    return None if name is None else os.fsdecode(name) if isinstance(name, (bytes, os.PathLike)) else str(name)


def _line(what: str, path: str | None, why: str) -> str:
    why = " ".join(str(why).split()) or "no details"
    return f"{what} ({path}): {why}" if path else f"{what}: {why}"


def describe(exc: BaseException) -> str | None:
    """``<what> (<path>): <why>`` for an expected failure that is not a ``SimgenError``;
    ``None`` for anything else (a bug)."""
    path = _path_of(exc)
    name = type(exc).__name__
    if isinstance(exc, OSError):
        if exc.errno in _OS_ERRORS:
            what, hint = _OS_ERRORS[exc.errno]
            return _line(what, path, f"{exc.strerror or what}; {hint}")
        if name == "UnidentifiedImageError":  # PIL: an OSError without errno
            return _line("not an image", path, str(exc))
        return _line("cannot read or write a file", path, exc.strerror or str(exc))
    if _LIBRARY_ENOSPC.search(str(exc)):  # a library's own error type around ENOSPC (HDF5 for NWB)
        what, hint = _OS_ERRORS[errno.ENOSPC]
        found = _LIBRARY_FILE.search(str(exc))
        return _line(what, path or (found.group(1) if found else None), f"No space left on device; {hint}")
    if isinstance(exc, UnicodeError):
        return _line("not text (a binary or wrongly encoded file)", path, str(exc))
    if isinstance(exc, RecursionError):
        return _line("input nested too deeply (or it refers to itself)", path, str(exc))
    if isinstance(exc, MemoryError):
        return _line("out of memory", path, "the input or setting is too large for this machine")
    if name in ("UnpicklingError", "BadZipFile", "EOFError") or isinstance(exc, EOFError):
        return _line("corrupt or truncated file (a model, checkpoint or archive)", path,
                     f"{name}: {exc}; delete it and run again")
    if name == "JSONDecodeError":
        return _line("invalid JSON", path, str(exc))
    if name in ("YAMLError", "ScannerError", "ParserError", "ConstructorError", "ComposerError"):
        return _line("invalid YAML", path, str(exc))
    if isinstance(exc, RuntimeError) and str(exc).lstrip().startswith("Error:"):  # bpy.ops' failures
        return _line("Blender failed", path, str(exc).lstrip()[len("Error:"):])
    if name == "DecompressionBombError":
        return _line("image too large", path, str(exc))
    return None


def write_traceback(exc: BaseException) -> Path | None:
    """Write ``exc``'s full traceback to a new file (``$SIMGEN_CRASH_DIR`` or the temp folder)."""
    folder = Path(os.environ.get("SIMGEN_CRASH_DIR") or tempfile.gettempdir())
    path = folder / f"simgen-traceback-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(traceback.format_exception(exc)))
    except OSError:
        return None
    return path


def one_line(exc: BaseException, debug: bool = False) -> tuple[str, int]:
    """The message lines (without ``error:``) and exit code the CLI shows for ``exc``."""
    if isinstance(exc, SimgenError):
        return str(exc), exc.exit_code
    text = describe(exc)
    if text is not None:
        return text, 1
    where = "" if debug else (
        f"; full traceback in {p}" if (p := write_traceback(exc)) else "")
    msg = " ".join(str(exc).split())
    return f"unexpected {type(exc).__name__}: {msg or 'no message'} (a bug in simgen{where}; "\
           "--debug shows the traceback)", 1
