"""Build the zip files that AWS Lambda runs.

Two archives come out of here:

* the **deployment package** of the app: ``app.py``, everything under
  ``chalicelib/``, the contents of ``vendor/`` at the top level, the part of
  the chalice package that runs inside Lambda (``chalice/__init__.py``,
  ``chalice/app.py`` and ``chalice/runtime/``) and, unless the dependencies
  live in a layer, the packages listed in ``requirements.txt``;
* the **layer package** (``automatic_layer: true``): the dependencies alone,
  under ``python/``.  Lambda puts ``/opt/python`` on ``sys.path`` for every
  Python runtime, so this prefix works whatever ``lambda_python_version`` is
  (``python/lib/pythonX.Y/site-packages/`` would tie the layer to one version).

Dependencies are resolved for the Lambda target, not for the machine running
chalice: ``pip download`` is asked for wheels with the target's platform tags
(manylinux x86_64 or aarch64, glibc 2.26 for python3.10/3.11 and 2.34 for
python3.12+), CPython version and ABI.  If that fails for some requirement,
its sdist is downloaded and built into a wheel, which is kept only when it is
compatible with the target (in practice: pure Python).  Whatever still has no
usable wheel is named in a warning and left out; the user can vendor it.
Markers on the lines of ``requirements.txt`` are evaluated for the target;
pip itself evaluates the markers of transitive dependencies for the local
interpreter, so a dependency that only a different Python version needs can
be missed.

Everything is cached under ``<project>/.chalice/deployments/``:

* ``deps-<key>/``: unpacked dependencies; the key is a sha256 of the
  requirement files, the runtime, the architecture, the extra pip arguments
  and a format version, so editing ``app.py`` never runs pip again;
* ``<hash>-<python version>.zip`` (the name AWS Chalice gives deployment
  packages) and ``managed-layer-<hash>-<python version>.zip``: finished
  archives named after a hash of their inputs (every file's name, mode and
  sha256, plus the digest of the dependencies), so a rebuild with nothing
  changed only hashes the project's own files.

Unpinned requirements are therefore not re-resolved until a requirement
file changes, and a resolution that left packages out is cached too (the
warning is repeated on every build); delete ``.chalice/deployments/`` to
resolve again.  Only the newest few entries of each kind are kept.  Archives are
deterministic: sorted entries, 1980-01-01 timestamps, fixed modes and a fixed
deflate level, so the same inputs give the same sha256 (given the same zlib).

Extra pip arguments (for example ``--no-index --find-links DIR`` for offline
builds, or a private ``--index-url``) come from the ``pip_args`` parameter
and from the ``CHALICE_PIP_EXTRA_ARGS`` environment variable (split like a
shell command line); both are appended to every pip command, environment
first.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import deque
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, NamedTuple, Sequence

from chalice.errors import PackagingError

PIP_ARGS_ENV_VAR = 'CHALICE_PIP_EXTRA_ARGS'
#: Bumped whenever the layout of a ``deps-*`` cache entry changes.
DEPS_CACHE_FORMAT = '1'
#: Bumped whenever the way archives are laid out or written changes.
ZIP_FORMAT = '1'
KEEP_CACHE_ENTRIES = 3
MAX_ZIPPED_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
ZIP_COMPRESSLEVEL = 6
PACKAGING_DOCS_URL = 'https://aws.github.io/chalice/topics/packaging.html'
DEPLOYMENT_ZIP_NAME = 'deployment.zip'
LAYER_ZIP_NAME = 'layer-deployment.zip'

_SUPPORTED_ARCHITECTURES = {'x86_64': 'x86_64', 'arm64': 'aarch64'}
# Legacy manylinux names and the glibc minor version each one stands for.
_LEGACY_MANYLINUX = {17: 'manylinux2014', 12: 'manylinux2010', 5: 'manylinux1'}
_STALE_TMP_SECONDS = 3600
# ``<hash>-<python version>.zip``, as AWS Chalice names deployment packages.
_APP_ZIP_RE = re.compile(r'^[0-9a-f]{64}-python\d+\.\d+\.zip$')
_LAYER_ZIP_RE = re.compile(r'^managed-layer-[0-9a-f]{64}-python\d+\.\d+\.zip$')
_DEPS_DIR_RE = re.compile(r'^deps-[0-9a-f]{64}$')
_TMP_RE = re.compile(r'^\.tmp-')
# Where the options of a requirement line (``--hash=...``) begin.
_LINE_OPTION_RE = re.compile(r'\s--?[A-Za-z]')
_PATH_OPTIONS = ('-c', '--constraint', '-f', '--find-links')
_NESTED_OPTIONS = ('-r', '--requirement')


class PackageResult(NamedTuple):
    """A finished archive on disk and the digests the deployer compares."""

    path: str
    #: Hex sha256 of the zip's bytes.
    sha256: str
    #: Base64 of the raw sha256 digest: what Lambda reports as CodeSha256.
    code_sha256: str
    size: int


class _StderrUI:
    """Default ``ui``: warnings go to stderr, debug output is dropped."""

    def warning(self, msg: str) -> None:
        print(msg, file=sys.stderr)

    def debug(self, msg: str) -> None:
        pass


def create_deployment_package(project_dir: str, python_version: str = 'python3.11',
                              architecture: str = 'x86_64', *,
                              include_dependencies: bool = True,
                              output_dir: str | None = None, ui: Any = None,
                              pip_args: Sequence[str] | None = None) -> PackageResult:
    """Build (or reuse) the app's deployment zip and return where it is.

    With ``output_dir`` the zip is also copied to
    ``<output_dir>/deployment.zip`` and that path is returned.  Pass
    ``include_dependencies=False`` when the dependencies go into a layer.
    """
    packager = Packager(project_dir, python_version, architecture, ui=ui, pip_args=pip_args)
    return packager.deployment_package(include_dependencies, output_dir)


def create_layer_package(project_dir: str, python_version: str, architecture: str, *,
                         output_dir: str | None = None, ui: Any = None,
                         pip_args: Sequence[str] | None = None) -> PackageResult | None:
    """Build (or reuse) the zip of the automatic layer; None when there are no deps.

    The dependencies sit under ``python/`` in the zip.  With ``output_dir``
    the zip is also copied to ``<output_dir>/layer-deployment.zip``.
    """
    packager = Packager(project_dir, python_version, architecture, ui=ui, pip_args=pip_args)
    return packager.layer_package(output_dir)


@dataclass(frozen=True)
class LambdaTarget:
    """The Python runtime and CPU architecture the package must run on."""

    python_version: str
    architecture: str
    major: int
    minor: int

    @classmethod
    def parse(cls, python_version: str, architecture: str) -> 'LambdaTarget':
        match = re.fullmatch(r'python(\d+)\.(\d+)', python_version or '')
        if match is None or match.group(1) != '3':
            raise PackagingError(
                'Unsupported Lambda runtime %r: expected a name like "python3.11".'
                % (python_version,))
        if architecture not in _SUPPORTED_ARCHITECTURES:
            raise PackagingError(
                'Unsupported Lambda architecture %r: use "x86_64" or "arm64".'
                % (architecture,))
        return cls(python_version, architecture, int(match.group(1)), int(match.group(2)))

    @property
    def machine(self) -> str:
        return _SUPPORTED_ARCHITECTURES[self.architecture]

    @property
    def glibc_minor(self) -> int:
        # python3.10/3.11 run on Amazon Linux 2, python3.12+ on Amazon Linux 2023.
        return 34 if (self.major, self.minor) >= (3, 12) else 26

    def platforms(self) -> list[str]:
        """Platform tags the target accepts, most specific first."""
        lowest = 17 if self.machine == 'aarch64' else 5
        names = []
        for minor in range(self.glibc_minor, lowest - 1, -1):
            names.append('manylinux_2_%d_%s' % (minor, self.machine))
            if minor in _LEGACY_MANYLINUX:
                names.append('%s_%s' % (_LEGACY_MANYLINUX[minor], self.machine))
        return names

    def tags(self) -> frozenset:
        """Every wheel tag (``packaging.tags.Tag``) the target can install."""
        from packaging import tags
        version = (self.major, self.minor)
        interpreter = 'cp%d%d' % version
        platforms = self.platforms()
        supported = list(tags.cpython_tags(version, abis=[interpreter], platforms=platforms))
        supported.extend(tags.compatible_tags(version, interpreter, platforms))
        return frozenset(supported)

    def pip_args(self) -> list[str]:
        """The pip options that describe this target."""
        args = ['--implementation', 'cp',
                '--python-version', '%d.%d' % (self.major, self.minor),
                '--abi', 'cp%d%d' % (self.major, self.minor)]
        for name in self.platforms():
            args.extend(['--platform', name])
        return args

    def marker_environment(self, extra: str = '') -> dict[str, str]:
        """Values for evaluating PEP 508 markers as Lambda would."""
        version = '%d.%d' % (self.major, self.minor)
        return {
            'implementation_name': 'cpython', 'implementation_version': version + '.0',
            'os_name': 'posix', 'platform_machine': self.machine, 'platform_release': '',
            'platform_system': 'Linux', 'platform_version': '',
            'platform_python_implementation': 'CPython', 'python_full_version': version + '.0',
            'python_version': version, 'sys_platform': 'linux', 'extra': extra,
        }

    def accepts_wheel(self, filename: str, supported: frozenset | None = None) -> bool:
        """Whether the wheel named ``filename`` can be installed on the target."""
        from packaging.utils import InvalidWheelFilename, parse_wheel_filename
        try:
            wheel_tags = parse_wheel_filename(filename)[3]
        except InvalidWheelFilename:
            return False
        return bool(wheel_tags & (supported if supported is not None else self.tags()))


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
        lines = tuple(line for line in self.lines if _requirement_applies(line, target, ui))
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


def _parse_requirement(line: str):
    from packaging.requirements import InvalidRequirement, Requirement
    try:
        return Requirement(_requirement_spec(line))
    except InvalidRequirement:
        return None


def _requirement_applies(line: str, target: LambdaTarget, ui: Any) -> bool:
    req = _parse_requirement(line)
    if req is None or req.marker is None:
        return True
    if req.marker.evaluate(target.marker_environment()):
        return True
    ui.debug('Skipping %r: its marker does not hold for %s.' % (line, target.python_version))
    return False


def _requirement_key(line: str) -> str:
    """A name identifying a requirement: its canonical project name if it has one."""
    from packaging.utils import canonicalize_name
    req = _parse_requirement(line)
    return canonicalize_name(req.name) if req is not None else line


class PipRunner:
    """Runs pip in a subprocess with the current interpreter."""

    def __init__(self, cwd: str, extra_args: Sequence[str], ui: Any) -> None:
        self._cwd = cwd
        self._extra_args = list(extra_args)
        self._ui = ui

    def run(self, args: Sequence[str]) -> tuple[bool, str]:
        """Run ``pip <args> <extra args>``; return (succeeded, pip's output)."""
        command = [sys.executable, '-m', 'pip', *args, '--disable-pip-version-check',
                   '--no-input', '--progress-bar', 'off', *self._extra_args]
        self._ui.debug('Running: %s' % ' '.join(shlex.quote(part) for part in command))
        try:
            proc = subprocess.run(command, cwd=self._cwd, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        except OSError as e:
            raise PackagingError('Could not run pip (%s): %s' % (sys.executable, e)) from e
        if proc.returncode != 0:
            if 'No module named pip' in proc.stdout:
                raise PackagingError(
                    'pip is not installed for %s; install it to build deployment '
                    'packages with requirements.txt.' % sys.executable)
            self._ui.debug('pip failed (exit %d):\n%s' % (proc.returncode, proc.stdout.strip()))
        return proc.returncode == 0, proc.stdout

    def download_wheels(self, requirements_file: str, dest: str, target: LambdaTarget,
                        find_links: str, with_deps: bool = True) -> tuple[bool, str]:
        """Download wheels for the target only; ``find_links`` holds wheels built here."""
        args = ['download', '-r', requirements_file, '-d', dest, '--only-binary=:all:',
                '--find-links', find_links, *target.pip_args()]
        if not with_deps:
            args.append('--no-deps')
        return self.run(args)

    def build_from_sdist(self, requirements_file: str, dest: str) -> bool:
        """Download the requirement's sdist and build it into a wheel, in one go."""
        return self.run(['wheel', '--no-deps', '--no-binary', ':all:',
                         '-r', requirements_file, '-w', dest])[0]


# How pip names the requirement it found nothing for.  The final error line
# comes first; the "Could not find a version ..." line before it is a backup.
# What follows the requirement varies between pip versions: pip 23 prints
# ``for puresdist>=1.0``, newer pips add the parent, ``for puresdist>=1.0 (from
# withdeps)``, and both add ``(from versions: ...)`` to the second line, so the
# captured text is only trimmed down to a requirement afterwards.
_UNSATISFIED_RES = (
    re.compile(r'No matching distribution found for\s+(\S[^\r\n]*)', re.I),
    re.compile(r'Could not find an? [\w -]*?that satisfies the requirement\s+(\S[^\r\n]*)',
               re.I),
)
_ANSI_RE = re.compile(r'\x1b\[[0-9;?]*[A-Za-z]')


def _unsatisfied_requirement(output: str) -> str | None:
    """The requirement pip's output says it found no distribution for, or None.

    Returns just the requirement (``name[extras] specifier; marker``), with
    whatever pip appended to it (``(from parent)``, ``(from versions: ...)``,
    ``(from -r file (line 1))``) removed; None when pip named nothing that
    parses as a requirement, so the caller falls back to resolving the
    requirements one at a time.
    """
    output = _ANSI_RE.sub('', output)
    for pattern in _UNSATISFIED_RES:
        for match in reversed(list(pattern.finditer(output))):
            requirement = _leading_requirement(match.group(1))
            if requirement is not None:
                return requirement
    return None


def _leading_requirement(text: str) -> str | None:
    """The longest whitespace-delimited prefix of ``text`` that is a requirement."""
    words = text.split()
    for end in range(len(words), 0, -1):
        candidate = ' '.join(words[:end]).rstrip(',.;')
        if candidate and _parse_requirement(candidate) is not None:
            return candidate
    return None


class DependencyResolver:
    """Finds wheels for the Lambda target and unpacks them into a directory.

    First one ``pip download`` of everything, wheels only.  When pip names a
    requirement it found no wheel for, that requirement's sdist is built; a
    compatible result joins a local find-links directory and the download is
    retried, while a top-level requirement that cannot be built is dropped
    (and reported).  If that does not converge (pip gave up on something it
    did not name, or on an unbuildable transitive dependency), each
    requirement is resolved on its own: wheels with dependencies, else its
    own wheel or built sdist and then its declared dependencies one by one.
    """

    def __init__(self, target: LambdaTarget, pip: PipRunner, ui: Any) -> None:
        self._target = target
        self._pip = pip
        self._ui = ui
        self._tags = target.tags()
        self._count = 0

    def resolve(self, requirements: Requirements, work_dir: str, dest: str) -> list[str]:
        """Install the requirements into ``dest``; return the ones left out."""
        self._work_dir = work_dir
        self._options = requirements.options
        self._wheel_dir = os.path.join(work_dir, 'wheels')
        self._built_dir = os.path.join(work_dir, 'built')
        os.makedirs(self._wheel_dir)
        os.makedirs(self._built_dir)
        os.makedirs(dest, exist_ok=True)
        missing = self._resolve_together(list(requirements.lines))
        wheels, unusable = self._select_wheels(self._wheel_dir)
        missing.extend(name for name in unusable if name not in missing)
        for path in wheels:
            self._install_wheel(path, dest)
        return missing

    def _resolve_together(self, lines: list[str]) -> list[str]:
        missing: list[str] = []
        attempted: set[str] = set()
        while lines:
            ok, output = self._download(lines)
            if ok:
                return missing
            failed = _unsatisfied_requirement(output)
            if failed is None:
                break
            key = _requirement_key(failed)
            if key is None or key in attempted:
                break
            attempted.add(key)
            if self._build(failed) is not None:
                continue
            top_level = [line for line in lines if _requirement_key(line) == key]
            if not top_level:
                break
            missing.extend(top_level)
            lines = [line for line in lines if line not in top_level]
        else:
            return missing
        self._ui.debug('Resolving the requirements one at a time.')
        return missing + self._resolve_each(lines)

    def _resolve_each(self, lines: list[str]) -> list[str]:
        missing = []
        seen: set[str] = set()
        queue = deque(lines)
        while queue:
            line = queue.popleft()
            key = _requirement_key(line)
            if key in seen:
                continue
            seen.add(key)
            if self._download([line])[0]:
                continue
            wheel = self._own_wheel(line)
            if wheel is None:
                wheel = self._build(line)
            if wheel is None:
                missing.append(line)
                continue
            shutil.copy2(wheel, self._wheel_dir)
            queue.extend(self._dependencies_of(wheel, line))
        return missing

    def _download(self, lines: Sequence[str], dest: str | None = None,
                  with_deps: bool = True) -> tuple[bool, str]:
        return self._pip.download_wheels(self._requirements_file(lines),
                                         dest or self._wheel_dir, self._target,
                                         self._built_dir, with_deps)

    def _own_wheel(self, line: str) -> str | None:
        """Download a compatible wheel of the requirement alone, if there is one."""
        dest = self._new_dir('own')
        if not self._download([line], dest, with_deps=False)[0]:
            return None
        return self._single_wheel(dest)

    def _build(self, line: str) -> str | None:
        """Build the requirement from its sdist; return the wheel if the target takes it."""
        dest = self._new_dir('build')
        if not self._pip.build_from_sdist(self._requirements_file([line]), dest):
            return None
        wheel = self._single_wheel(dest, check=False)
        if wheel is None:
            return None
        if not self._target.accepts_wheel(os.path.basename(wheel), self._tags):
            self._ui.debug('Built %s from %r, which does not run on %s %s.' % (
                os.path.basename(wheel), line, self._target.python_version,
                self._target.architecture))
            return None
        shutil.copy2(wheel, self._built_dir)
        return os.path.join(self._built_dir, os.path.basename(wheel))

    def _single_wheel(self, directory: str, check: bool = True) -> str | None:
        for name in sorted(os.listdir(directory)):
            if name.endswith('.whl') and (
                    not check or self._target.accepts_wheel(name, self._tags)):
                return os.path.join(directory, name)
        return None

    def _new_dir(self, stem: str) -> str:
        self._count += 1
        path = os.path.join(self._work_dir, '%s-%d' % (stem, self._count))
        os.makedirs(path)
        return path

    def _requirements_file(self, lines: Iterable[str]) -> str:
        self._count += 1
        path = os.path.join(self._work_dir, 'requirements-%d.txt' % self._count)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(''.join(line + '\n' for line in [*self._options, *lines]))
        return path

    def _dependencies_of(self, wheel: str, line: str) -> list[str]:
        """The wheel's Requires-Dist entries that apply on the target."""
        req = _parse_requirement(line)
        extras = sorted(req.extras) if req is not None else []
        with zipfile.ZipFile(wheel) as zf:
            names = [n for n in zf.namelist()
                     if n.count('/') == 1 and n.endswith('.dist-info/METADATA')]
            if not names:
                return []
            import email.parser
            metadata = email.parser.Parser().parsestr(zf.read(names[0]).decode('utf-8'))
        deps = []
        for entry in metadata.get_all('Requires-Dist') or []:
            dep = _parse_requirement(entry)
            if dep is None:
                continue
            if dep.marker is not None and not any(
                    dep.marker.evaluate(self._target.marker_environment(extra))
                    for extra in [''] + extras):
                continue
            dep.marker = None
            deps.append(str(dep))
        return deps

    def _select_wheels(self, wheel_dir: str) -> tuple[list[str], list[str]]:
        """Pick the newest compatible wheel of each project.

        Returns the wheel paths and the names of projects that only have
        incompatible wheels.
        """
        from packaging.utils import InvalidWheelFilename, parse_wheel_filename
        best: dict[str, tuple[Any, str]] = {}
        unusable = set()
        for name in sorted(os.listdir(wheel_dir)):
            if not name.endswith('.whl'):
                continue
            try:
                project, version, _, wheel_tags = parse_wheel_filename(name)
            except InvalidWheelFilename:
                self._ui.debug('Ignoring %s: not a valid wheel file name.' % name)
                continue
            if not wheel_tags & self._tags:
                unusable.add(str(project))
                continue
            if project == 'chalice':
                self._ui.debug('Not installing %s: the package carries the chalice '
                               'runtime already.' % name)
                continue
            if project not in best or version > best[project][0]:
                best[project] = (version, os.path.join(wheel_dir, name))
        return ([best[p][1] for p in sorted(best)],
                sorted(p for p in unusable if p not in best))

    @staticmethod
    def _install_wheel(wheel: str, dest: str) -> None:
        """Unpack a wheel the way an installer would, minus scripts and data."""
        with zipfile.ZipFile(wheel) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                parts = info.filename.split('/')
                if parts[0].endswith('.data'):
                    if len(parts) < 3 or parts[1] not in ('purelib', 'platlib'):
                        continue
                    parts = parts[2:]
                if parts[0].endswith('.dist-info') and parts[-1] in ('RECORD.jws',
                                                                      'RECORD.p7s'):
                    continue
                if any(p in ('', '.', '..') or '\\' in p or ':' in p for p in parts):
                    raise PackagingError('Refusing to unpack %s: unsafe path %r.'
                                         % (os.path.basename(wheel), info.filename))
                target = os.path.join(dest, *parts)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with zf.open(info) as src, open(target, 'wb') as out:
                    shutil.copyfileobj(src, out, 1024 * 1024)
                os.chmod(target, 0o755 if (info.external_attr >> 16) & 0o111 else 0o644)


class _Dependencies(NamedTuple):
    """A resolved, unpacked set of dependencies in the cache."""

    site_packages: str
    digest: str
    missing: tuple[str, ...]


class _FileEntry(NamedTuple):
    arcname: str
    source: str
    executable: bool
    size: int


class Packager:
    """Builds and caches the archives of one project for one Lambda target."""

    def __init__(self, project_dir: str, python_version: str = 'python3.11',
                 architecture: str = 'x86_64', *, ui: Any = None,
                 pip_args: Sequence[str] | None = None) -> None:
        self._project_dir = os.path.abspath(project_dir)
        self._target = LambdaTarget.parse(python_version, architecture)
        self._ui = ui if ui is not None else _StderrUI()
        env_args = shlex.split(os.environ.get(PIP_ARGS_ENV_VAR, ''))
        self._pip_args = [*env_args, *(pip_args or [])]
        self.cache_dir = os.path.join(self._project_dir, '.chalice', 'deployments')

    # -- the two archives ---------------------------------------------------

    def deployment_package(self, include_dependencies: bool = True,
                           output_dir: str | None = None) -> PackageResult:
        """The app's zip: runtime, vendor/, chalicelib/, app.py and (maybe) deps."""
        entries = self._project_entries()
        deps = self.dependencies() if include_dependencies else None
        parts = ['app', ZIP_FORMAT, deps.digest if deps is not None else '-']
        parts.extend('%s\0%d\0%s' % (e.arcname, e.executable, _file_sha256(e.source))
                     for e in entries)
        path = os.path.join(self.cache_dir, '%s-%s.zip' % (
            _sha256_text('\n'.join(parts)), self._target.python_version))
        if os.path.isfile(path):
            self._ui.debug('Reusing deployment package %s' % path)
            os.utime(path)
        else:
            merged: dict[str, _FileEntry] = {}
            if deps is not None:
                merged.update((e.arcname, e) for e in _tree_entries(deps.site_packages))
            merged.update((e.arcname, e) for e in entries)
            advice = ('Move the dependencies to a layer ("automatic_layer": true) or '
                      'vendor and require less.')
            self._write_zip(list(merged.values()), path, 'Deployment package', advice)
        self._prune()
        return self._finish(path, output_dir, DEPLOYMENT_ZIP_NAME)

    def layer_package(self, output_dir: str | None = None) -> PackageResult | None:
        """The automatic layer's zip (deps under ``python/``); None without deps."""
        deps = self.dependencies()
        if deps is None:
            return None
        entries = [e._replace(arcname='python/' + e.arcname)
                   for e in _tree_entries(deps.site_packages)]
        if not entries:
            return None
        key = _sha256_text('\n'.join(['layer', ZIP_FORMAT, deps.digest]))
        path = os.path.join(self.cache_dir, 'managed-layer-%s-%s.zip' % (
            key, self._target.python_version))
        if os.path.isfile(path):
            self._ui.debug('Reusing layer package %s' % path)
            os.utime(path)
        else:
            advice = 'Require fewer or smaller packages in requirements.txt.'
            self._write_zip(entries, path, 'Layer package', advice, strip_prefix='python/')
        self._prune()
        return self._finish(path, output_dir, LAYER_ZIP_NAME)

    # -- inputs ---------------------------------------------------------------

    def _project_entries(self) -> list[_FileEntry]:
        app_py = os.path.join(self._project_dir, 'app.py')
        if not os.path.isfile(app_py):
            raise PackagingError('No app.py in %s: run chalice from the project directory.'
                                 % self._project_dir)
        entries: dict[str, _FileEntry] = {}
        import chalice
        chalice_dir = os.path.dirname(os.path.abspath(chalice.__file__))
        for name in ('__init__.py', 'app.py'):
            entries['chalice/' + name] = _file_entry('chalice/' + name,
                                                     os.path.join(chalice_dir, name))
        for rel, source in _walk_files(os.path.join(chalice_dir, 'runtime')):
            if rel.endswith('.py'):
                entries['chalice/runtime/' + rel] = _file_entry('chalice/runtime/' + rel, source)
        # Later sources win: the app's own code over vendor/ over the runtime.
        for prefix, root in (('', 'vendor'), ('chalicelib/', 'chalicelib')):
            for rel, source in _walk_files(os.path.join(self._project_dir, root)):
                entries[prefix + rel] = _file_entry(prefix + rel, source)
        entries['app.py'] = _file_entry('app.py', app_py)
        return sorted(entries.values())

    def dependencies(self) -> _Dependencies | None:
        """Resolved deps from the cache, resolving them first if needed."""
        req_path = os.path.join(self._project_dir, 'requirements.txt')
        if not os.path.isfile(req_path):
            return None
        requirements = Requirements.read(req_path)
        if not requirements.lines:
            return None
        key = _sha256_text(json.dumps([DEPS_CACHE_FORMAT, self._target.python_version,
                                       self._target.architecture, requirements.sources,
                                       self._pip_args]))
        entry = os.path.join(self.cache_dir, 'deps-' + key)
        manifest = _load_manifest(entry)
        cached = manifest is not None
        if cached:
            self._ui.debug('Using cached dependencies in %s' % entry)
            os.utime(entry)
        if manifest is None:
            if os.path.exists(entry):
                shutil.rmtree(entry, ignore_errors=True)
            manifest = self._resolve_into(entry, requirements)
        deps = _Dependencies(os.path.join(entry, 'site-packages'), manifest['digest'],
                             tuple(manifest['missing']))
        self._warn_missing(deps.missing, cached)
        return deps

    def _resolve_into(self, entry: str, requirements: Requirements) -> dict:
        os.makedirs(self.cache_dir, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix='.tmp-deps-', dir=self.cache_dir)
        try:
            site_packages = os.path.join(tmp, 'site-packages')
            work_dir = os.path.join(tmp, 'work')
            os.makedirs(work_dir)
            requirements = requirements.for_target(self._target, self._ui)
            missing: list[str] = []
            if requirements.lines:
                pip = PipRunner(self._project_dir, self._pip_args, self._ui)
                resolver = DependencyResolver(self._target, pip, self._ui)
                missing = resolver.resolve(requirements, work_dir, site_packages)
            else:
                os.makedirs(site_packages)
            shutil.rmtree(work_dir)
            manifest = {'format': DEPS_CACHE_FORMAT, 'digest': _tree_digest(site_packages),
                        'missing': missing, 'python_version': self._target.python_version,
                        'architecture': self._target.architecture}
            with open(os.path.join(tmp, 'manifest.json'), 'w', encoding='utf-8') as f:
                json.dump(manifest, f, indent=2, sort_keys=True)
            try:
                os.rename(tmp, entry)
            except OSError:
                # Another build of the same project got there first; use its result.
                other = _load_manifest(entry)
                if other is None:
                    raise
                manifest = other
            return manifest
        finally:
            if os.path.isdir(tmp):
                shutil.rmtree(tmp, ignore_errors=True)

    def _warn_missing(self, missing: Sequence[str], cached: bool) -> None:
        vendored = self._vendored_names()
        names = [m for m in missing if _requirement_key(m) not in vendored]
        if not names:
            return
        lines = ['Could not install dependencies:', *names,
                 'No wheel of these runs on Lambda (%s, %s) and they could not be built'
                 % (self._target.python_version, self._target.architecture),
                 'as pure Python. Build them on a compatible Linux machine and put the',
                 'result in the vendor/ directory of the project.',
                 '',
                 'The deployment continues without them, so the function may fail where',
                 'they are imported. For more information:',
                 PACKAGING_DOCS_URL]
        if cached:
            lines.append('(This result is cached: delete %s to try again.)'
                         % os.path.relpath(self.cache_dir, self._project_dir))
        self._ui.warning('\n'.join(lines))

    def _vendored_names(self) -> set[str]:
        """Canonical names of what vendor/ provides at its top level."""
        from packaging.utils import canonicalize_name
        vendor = os.path.join(self._project_dir, 'vendor')
        try:
            names = os.listdir(vendor)
        except OSError:
            return set()
        found: set[str] = set()
        for name in names:
            stem = re.split(r'-|\.py$|\.dist-info$|\.egg-info$', name)[0]
            found.add(canonicalize_name(stem))
        return found

    # -- output ---------------------------------------------------------------

    def _write_zip(self, entries: list[_FileEntry], path: str, label: str, advice: str,
                   strip_prefix: str = '') -> None:
        """Write a deterministic zip atomically, enforcing Lambda's size limits."""
        entries = sorted(entries)
        total = sum(e.size for e in entries)
        if total > MAX_UNZIPPED_BYTES:
            sizes = _sizes_by_top_level(((e.arcname, e.size) for e in entries), strip_prefix)
            raise PackagingError(_limit_message(label, total, 'unzipped', MAX_UNZIPPED_BYTES,
                                                'for code and layers', sizes, advice))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix='.tmp-', suffix='.zip', dir=os.path.dirname(path))
        try:
            with os.fdopen(fd, 'wb') as raw:
                with zipfile.ZipFile(raw, 'w') as zf:
                    for entry in entries:
                        _add_to_zip(zf, entry)
                    compressed = [(i.filename, i.compress_size) for i in zf.infolist()]
                raw.flush()
                size = os.fstat(raw.fileno()).st_size
            if size > MAX_ZIPPED_BYTES:
                sizes = _sizes_by_top_level(compressed, strip_prefix)
                raise PackagingError(_limit_message(label, size, 'zipped', MAX_ZIPPED_BYTES,
                                                    'for direct upload', sizes, advice))
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def _finish(self, path: str, output_dir: str | None, name: str) -> PackageResult:
        digest = hashlib.sha256()
        with open(path, 'rb') as f:
            for chunk in iter(lambda: f.read(1024 * 1024), b''):
                digest.update(chunk)
        size = os.path.getsize(path)
        if output_dir is not None:
            os.makedirs(output_dir, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix='.tmp-', suffix='.zip', dir=output_dir)
            os.close(fd)
            try:
                shutil.copyfile(path, tmp)
                os.chmod(tmp, 0o644)
                path = os.path.join(output_dir, name)
                os.replace(tmp, path)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
        raw = digest.digest()
        return PackageResult(path, raw.hex(), base64.b64encode(raw).decode('ascii'), size)

    def _prune(self) -> None:
        """Keep only the newest few cache entries of each kind."""
        try:
            names = os.listdir(self.cache_dir)
        except OSError:
            return
        now = time.time()
        groups: dict[Any, list[tuple[float, str]]] = {
            _APP_ZIP_RE: [], _LAYER_ZIP_RE: [], _DEPS_DIR_RE: []}
        for name in names:
            full = os.path.join(self.cache_dir, name)
            try:
                mtime = os.stat(full).st_mtime
            except OSError:
                continue
            if _TMP_RE.match(name):
                if now - mtime > _STALE_TMP_SECONDS:
                    _remove(full)
                continue
            for pattern, members in groups.items():
                if pattern.match(name):
                    members.append((mtime, full))
        for members in groups.values():
            members.sort(reverse=True)
            for _, full in members[KEEP_CACHE_ENTRIES:]:
                self._ui.debug('Removing stale cache entry %s' % full)
                _remove(full)


def _load_manifest(entry: str) -> dict | None:
    try:
        with open(os.path.join(entry, 'manifest.json'), encoding='utf-8') as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get('format') != DEPS_CACHE_FORMAT:
        return None
    return manifest


def _walk_files(root: str) -> Iterator[tuple[str, str]]:
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


def _file_entry(arcname: str, source: str) -> _FileEntry:
    st = os.stat(source)
    return _FileEntry(arcname, source, bool(st.st_mode & 0o111), st.st_size)


def _tree_entries(root: str) -> list[_FileEntry]:
    return [_file_entry(rel, full) for rel, full in _walk_files(root)]


def _tree_digest(root: str) -> str:
    digest = hashlib.sha256()
    for entry in _tree_entries(root):
        digest.update(('%s\0%d\0%s\n' % (entry.arcname, entry.executable,
                                        _file_sha256(entry.source))).encode('utf-8'))
    return digest.hexdigest()


def _file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b''):
            digest.update(chunk)
    return digest.hexdigest()


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def _add_to_zip(zf: zipfile.ZipFile, entry: _FileEntry) -> None:
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


def _sizes_by_top_level(sizes: Iterable[tuple[str, int]], strip_prefix: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    for arcname, size in sizes:
        if strip_prefix and arcname.startswith(strip_prefix):
            arcname = arcname[len(strip_prefix):]
        top = arcname.split('/', 1)[0]
        totals[top] = totals.get(top, 0) + size
    return totals


def _limit_message(label: str, actual: int, kind: str, limit: int, scope: str,
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


def _remove(path: str) -> None:
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except OSError:
        pass
