"""Atomic writes with the temporary names of electron/engine/atomic.ts.

A reader (or a crash) sees the old file or the new one, never half of one: write to
`.<target>.<pid>.<8 hex>.tmp` beside the target, fsync, rename, fsync the folder. The names are the
engine's own, so the model library's clean-up (cleanStaleTemps) removes what a killed trainer
left behind, exactly as it does for the TypeScript engine's writes.
"""

import os
import secrets
import shutil


def _tmp_name(target: str) -> str:
    d, base = os.path.split(target)
    return os.path.join(d, f".{base}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _fsync_dir(d: str) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_file_atomic(target: str, data) -> None:
    """data: bytes or str (UTF-8)."""
    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = _tmp_name(target)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_dir(os.path.dirname(target) or ".")


def write_dir_atomic(target: str, fill) -> None:
    """Builds a folder under a temporary name with fill(tmp_dir) and renames it into place; an
    existing target is set aside (`.tmp.old`) and removed once the new one is in."""
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    tmp = _tmp_name(target)
    os.mkdir(tmp)
    try:
        fill(tmp)
        for name in os.listdir(tmp):
            p = os.path.join(tmp, name)
            if os.path.isfile(p):
                with open(p, "rb") as f:
                    os.fsync(f.fileno())
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    aside = None
    try:
        os.rename(tmp, target)
    except OSError:
        if not os.path.exists(target):
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        aside = _tmp_name(target) + ".old"
        os.rename(target, aside)
        os.rename(tmp, target)
    _fsync_dir(parent)
    if aside:
        shutil.rmtree(aside, ignore_errors=True)
