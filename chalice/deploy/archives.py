"""Files, digests and deterministic zip archives for the packager.

Archives are deterministic: sorted entries, 1980-01-01 timestamps, fixed
modes and a fixed deflate level, so the same inputs give the same sha256.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from typing import Iterable, Iterator, NamedTuple

ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
ZIP_COMPRESSLEVEL = 6


class FileEntry(NamedTuple):
    arcname: str
    source: str
    executable: bool
    size: int


def walk_files(root: str) -> Iterator[tuple[str, str]]:
    """(posix relative path, path) of the files under root, sorted, no bytecode."""
    if not os.path.isdir(root):
        return
    visited = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in visited:
            dirnames[:] = []
            continue
        visited.add(real)
        dirnames[:] = sorted(d for d in dirnames if d != '__pycache__')
        rel_dir = os.path.relpath(dirpath, root)
        for name in sorted(filenames):
            if name.endswith('.pyc'):
                continue
            full = os.path.join(dirpath, name)
            if not os.path.isfile(full):
                continue
            rel = name if rel_dir == '.' else os.path.join(rel_dir, name)
            yield rel.replace(os.sep, '/'), full


def file_entry(arcname: str, source: str) -> FileEntry:
    st = os.stat(source)
    return FileEntry(arcname, source, bool(st.st_mode & 0o111), st.st_size)


def tree_entries(root: str) -> list[FileEntry]:
    return [file_entry(rel, full) for rel, full in walk_files(root)]


def tree_digest(root: str) -> str:
    digest = hashlib.sha256()
    for entry in tree_entries(root):
        digest.update(('%s\0%d\0%s\n' % (entry.arcname, entry.executable,
                                        file_sha256(entry.source))).encode('utf-8'))
    return digest.hexdigest()


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b''):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def add_to_zip(zf: zipfile.ZipFile, entry: FileEntry) -> None:
    info = zipfile.ZipInfo(entry.arcname, date_time=ZIP_TIMESTAMP)
    info.create_system = 3  # Unix, so the mode bits below are honoured everywhere.
    info.external_attr = (0o100755 if entry.executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    # The per-entry compression level attribute was renamed in Python 3.13.
    level_attr = ('compress_level' if 'compress_level' in getattr(zipfile.ZipInfo, '__slots__', ())
                  else '_compresslevel')
    setattr(info, level_attr, ZIP_COMPRESSLEVEL)
    info.file_size = entry.size
    with open(entry.source, 'rb') as src, zf.open(info, 'w') as dst:
        shutil.copyfileobj(src, dst, 1024 * 1024)


def sizes_by_top_level(sizes: Iterable[tuple[str, int]], strip_prefix: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    for arcname, size in sizes:
        if strip_prefix and arcname.startswith(strip_prefix):
            arcname = arcname[len(strip_prefix):]
        top = arcname.split('/', 1)[0]
        totals[top] = totals.get(top, 0) + size
    return totals


def limit_message(label: str, actual: int, kind: str, limit: int, scope: str,
                   sizes: dict[str, int], advice: str) -> str:
    biggest = sorted(sizes.items(), key=lambda item: (-item[1], item[0]))[:3]
    listed = ', '.join('%s (%s)' % (name, _megabytes(size)) for name, size in biggest)
    return ('%s is %s %s, over the AWS Lambda limit of %s %s %s; largest: %s. %s'
            % (label, _megabytes(actual), kind, _megabytes(limit, whole=True), kind, scope,
               listed, advice))


def _megabytes(size: int, whole: bool = False) -> str:
    if whole and size % (1024 * 1024) == 0:
        return '%d MB' % (size // (1024 * 1024))
    return '%.1f MB' % (size / (1024 * 1024))


def remove_path(path: str) -> None:
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except OSError:
        pass
