"""Checks of the files a command will write, made before any work: a run of minutes should not fail at its end."""
import os
from pathlib import Path


def unwritable(path) -> str | None:
    """Why `path` cannot be written ("is a directory", "cannot create the directory …", "not writable"), or None.
    Its directory is created, as the write would."""
    path = Path(path)
    if path.is_dir():
        return "is a directory"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create the directory {path.parent} ({exc.strerror})"
    if not os.access(path.parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return "not writable"
    return None
