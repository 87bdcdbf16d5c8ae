"""Files that hold personal data or keys (databases, their WAL, exports, station.toml): owner only.

Two layers, because either alone leaves a gap. Each process sets its umask to 077 at start, so
anything it creates (SQLite's journals, an export, a card PNG) is private; and the files that
matter are made private by path as well, for code run without that start (tests, a library user)
and for databases and directories created by an older version with 0644/0755. SQLite creates the
-wal and -shm files with the database file's own mode, so a 0600 database keeps them 0600.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def restrict_umask() -> None:
    """At process start: files and directories this process creates are its owner's only."""
    os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> None:
    """Create the directory (and missing parents) as 0700; an existing one of ours is tightened,
    unless it is a shared one like /tmp (sticky bit): that is not ours to close."""
    missing = [d for d in (path, *path.parents) if not d.exists()]
    for directory in reversed(missing):          # `mkdir(parents=True)` would make the parents 0755
        directory.mkdir(mode=0o700, exist_ok=True)
    _tighten(path, 0o700)


def private_database(path: Path) -> None:
    """Before SQLite opens it: the database file exists as 0600, and so do its journals if present."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    for file in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS)):
        if file.exists():
            _tighten(file, 0o600)


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only, also when it existed before with a looser mode."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        os.fchmod(out.fileno(), 0o600)
        out.write(data)


def make_private(path: Path) -> None:
    """An existing file of ours that group or others may read becomes 0600."""
    if path.exists():
        _tighten(path, 0o600)


def _tighten(path: Path, mode: int) -> None:
    info = path.stat()
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077 and not info.st_mode & stat.S_ISVTX:
        path.chmod(mode)
