"""Checks of the files a command will write, made before any work: a run of minutes should not fail at its end.

The reasons are worded in the active language (a command's --lang), the operating system's as
core.worded.os_reason words them."""
import os
from pathlib import Path

from django.utils.translation import gettext as _

from jiesu.core.worded import os_reason


def unwritable(path) -> str | None:
    """Why `path` cannot be written ("is a directory", "… is a file, not a directory", "cannot create the directory
    …", "not writable", "cannot write in …"), or None. Its directory is created, as the write would."""
    path = Path(path)
    if path.is_dir():
        return _("is a directory")
    folder = next((p for p in path.parents if p.exists()), None)
    if folder is not None and not folder.is_dir():
        return _("%(folder)s is a file, not a directory") % {"folder": folder}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return (_("cannot create the directory %(folder)s (%(why)s)")
                % {"folder": path.parent, "why": os_reason(exc, _)})
    if not os.access(path.parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return _("not writable")
    return _cannot_create_in(path.parent)


def _cannot_create_in(folder: Path) -> str | None:
    """Whether a file can really be made in `folder` (a file made and removed): the permission bits say yes to
    root where the file system says no (/sys, /proc, a read-only mount)."""
    probe = folder / f".{os.getpid()}.jiesu-write-check"
    try:
        probe.open("xb").close()
        probe.unlink()
    except FileExistsError:
        return None
    except OSError as exc:
        return _("cannot write in %(folder)s (%(why)s)") % {"folder": folder, "why": os_reason(exc, _)}
    return None
