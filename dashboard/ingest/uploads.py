"""Copies of uploaded files (and the files converted from them) in the upload folder: named after the process that made
them, marked in use until released, and swept when no one uses them.

A copy is named "<pid>-<random>-<name>". sweep() deletes, in a folder, the copies of processes that have ended, this
process's copies that are not in use, and files named the way earlier versions named them ("<random>-<name>",
"cxlens-<random>.csv") that are older than this process. It runs when the app starts and after every publish.
"""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from pathlib import Path

PROCESS_STARTED = time.time()
"""When this process started using the upload folder (files of older schemes from before then are leftovers)."""

_OURS = re.compile(r"^(\d+)-[0-9a-f]{12}-")
_EARLIER = re.compile(r"^(?:[0-9a-f]{12}-|cxlens-[0-9a-f]{12}\.)")
_lock = threading.Lock()
_in_use: set[str] = set()


def new_path(folder: Path, name: str) -> Path:
    """A fresh path in folder for a copy of the file called name, marked in use (until discard)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[-80:] or "upload"
    path = folder / f"{os.getpid()}-{uuid.uuid4().hex[:12]}-{safe}"
    with _lock:
        _in_use.add(str(path))
    return path


def discard(path: Path) -> None:
    """Delete a copy and forget it."""
    Path(path).unlink(missing_ok=True)
    with _lock:
        _in_use.discard(str(path))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def sweep(folder: Path) -> list[str]:
    """Delete the copies in folder that no one uses (see the module's note); the names deleted."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    me = os.getpid()
    with _lock:
        in_use = set(_in_use)
    removed = []
    for path in folder.iterdir():
        if not path.is_file():
            continue
        ours = _OURS.match(path.name)
        if ours:
            pid = int(ours.group(1))
            stale = str(path) not in in_use if pid == me else not _alive(pid)
        elif _EARLIER.match(path.name):
            try:
                stale = path.stat().st_mtime < PROCESS_STARTED
            except FileNotFoundError:
                continue
        else:
            continue  # not a file CX Lens wrote
        if stale:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed
