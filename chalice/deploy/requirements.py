"""``requirements.txt`` read as pip options and requirement lines.

Reading needs no third-party import (a cache hit stays cheap); the helpers
that parse a single requirement import :mod:`packaging` when called.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Iterator

from chalice.deploy.lambda_target import LambdaTarget
from chalice.errors import PackagingError

# Where the options of a requirement line (``--hash=...``) begin.
_LINE_OPTION_RE = re.compile(r'\s--?[A-Za-z]')
_PATH_OPTIONS = ('-c', '--constraint', '-f', '--find-links')
_NESTED_OPTIONS = ('-r', '--requirement')


@dataclass(frozen=True)
class Requirements:
    """``requirements.txt`` as pip options and requirement lines.

    ``options`` are global pip options (index URLs, constraints, ...) with
    their paths made absolute; ``lines`` are the requirements as written,
    nested ``-r`` files expanded.  ``sources`` holds each file read with its
    text and feeds the cache key.  Reading needs no third-party import, so a
    cache hit stays cheap; :meth:`for_target` evaluates markers.
    """

    options: tuple[str, ...]
    lines: tuple[str, ...]
    sources: tuple[str, ...]

    @classmethod
    def read(cls, path: str) -> 'Requirements':
        options: list[str] = []
        lines: list[str] = []
        sources: list[str] = []
        path = os.path.abspath(path)
        cls._read_into(path, os.path.dirname(path), options, lines, sources, set())
        return cls(tuple(options), tuple(lines), tuple(sources))

    def for_target(self, target: LambdaTarget, ui: Any) -> 'Requirements':
        """The same requirements minus those whose markers exclude the target."""
        lines = tuple(line for line in self.lines if requirement_applies(line, target, ui))
        return Requirements(self.options, lines, self.sources)

    @classmethod
    def _read_into(cls, path: str, root: str, options: list[str], lines: list[str],
                   sources: list[str], seen: set[str]) -> None:
        if path in seen:
            return
        seen.add(path)
        try:
            with open(path, encoding='utf-8') as f:
                text = f.read()
        except OSError as e:
            raise PackagingError('Could not read requirements file %s: %s' % (path, e)) from e
        sources.append(os.path.relpath(path, root) + '\0' + text)
        base = os.path.dirname(path)
        for line in _logical_lines(text):
            if not line.startswith('-'):
                lines.append(line)
                continue
            match = re.match(r'(--?[A-Za-z][\w-]*)(?:\s*=\s*|\s+)?(.*)$', line)
            if match is None:
                options.append(line)
                continue
            flag, value = match.group(1), match.group(2).strip()
            if flag in _NESTED_OPTIONS:
                cls._read_into(os.path.normpath(os.path.join(base, value)), root, options,
                               lines, sources, seen)
            elif flag in ('-e', '--editable'):
                lines.append(value)
            elif flag in _PATH_OPTIONS and os.path.exists(os.path.join(base, value)):
                options.append('%s %s' % (flag, os.path.abspath(os.path.join(base, value))))
            else:
                options.append(line)


def _logical_lines(text: str) -> Iterator[str]:
    """Lines of a requirements file: continuations joined, comments removed."""
    pending = ''
    for raw in text.splitlines():
        if raw.endswith('\\'):
            pending += raw[:-1]
            continue
        line = re.sub(r'(^|\s)#.*$', '', pending + raw).strip()
        pending = ''
        if line:
            yield line
    if pending.strip():
        yield pending.strip()


def _requirement_spec(line: str) -> str:
    """The requirement part of a line, without per-line options like --hash."""
    match = _LINE_OPTION_RE.search(line)
    return line[:match.start()].strip() if match else line


def parse_requirement(line: str):
    from packaging.requirements import InvalidRequirement, Requirement
    try:
        return Requirement(_requirement_spec(line))
    except InvalidRequirement:
        return None


def requirement_applies(line: str, target: LambdaTarget, ui: Any) -> bool:
    req = parse_requirement(line)
    if req is None or req.marker is None:
        return True
    if req.marker.evaluate(target.marker_environment()):
        return True
    ui.debug('Skipping %r: its marker does not hold for %s.' % (line, target.python_version))
    return False


def requirement_key(line: str) -> str:
    """A name identifying a requirement: its canonical project name if it has one."""
    from packaging.utils import canonicalize_name
    req = parse_requirement(line)
    return canonicalize_name(req.name) if req is not None else line
