"""Build the zip files that AWS Lambda runs.

Two archives come out of here:

* the **deployment package** of the app: ``app.py``, everything under
  ``chalicelib/``, the contents of ``vendor/`` at the top level, the part of
  the chalice package that runs inside Lambda (``chalice/__init__.py``,
  ``chalice/app.py``, ``chalice/routing.py`` - HTTP API ``$default`` routes
  match paths with it - and ``chalice/runtime/``), the checked-hash bytecode
  of those modules when chalice runs on the target's Python version (see
  :mod:`chalice.deploy.bytecode`) and, unless the dependencies live in a
  layer, the packages listed in ``requirements.txt``;
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
  sha256, the digest of the dependencies and the bytecode tag - cache tag
  and magic number, or none), so a rebuild with nothing changed only hashes
  the project's own files.

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

The work is split over a few modules: :mod:`chalice.deploy.lambda_target`
(the runtime and architecture as wheel tags and pip options),
:mod:`chalice.deploy.requirements` (reading ``requirements.txt``),
:mod:`chalice.deploy.pip_resolver` (running pip and choosing wheels) and
:mod:`chalice.deploy.archives` (digests and deterministic zips),
:mod:`chalice.deploy.bytecode` (the ``.pyc`` files); this module
ties them together with the cache.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shlex
import shutil
import sys
import tempfile
import time
import zipfile
from typing import Any, Callable, NamedTuple, Sequence

from chalice.deploy.archives import (
    FileEntry,
    add_to_zip,
    file_entry,
    file_sha256,
    limit_message,
    remove_path,
    sha256_text,
    sizes_by_top_level,
    tree_digest,
    tree_entries,
    walk_files,
)
from chalice.deploy.bytecode import bytecode_tag, compile_entries
from chalice.deploy.lambda_target import LambdaTarget
from chalice.deploy.pip_resolver import DependencyResolver, PipRunner
from chalice.deploy.requirements import Requirements, requirement_key
from chalice.errors import PackagingError

__all__ = [
    'PackageResult', 'Packager', 'create_deployment_package', 'create_layer_package',
    'LambdaTarget', 'Requirements', 'PipRunner', 'DependencyResolver',
]

PIP_ARGS_ENV_VAR = 'CHALICE_PIP_EXTRA_ARGS'
#: Bumped whenever the layout of a ``deps-*`` cache entry changes.
DEPS_CACHE_FORMAT = '1'
#: Bumped whenever the way archives are laid out or written changes.
ZIP_FORMAT = '2'
KEEP_CACHE_ENTRIES = 3
MAX_ZIPPED_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024
PACKAGING_DOCS_URL = 'https://aws.github.io/chalice/topics/packaging.html'
DEPLOYMENT_ZIP_NAME = 'deployment.zip'
LAYER_ZIP_NAME = 'layer-deployment.zip'
_STALE_TMP_SECONDS = 3600
# ``<hash>-<python version>.zip``, as AWS Chalice names deployment packages.
_APP_ZIP_RE = re.compile(r'^[0-9a-f]{64}-python\d+\.\d+\.zip$')
_LAYER_ZIP_RE = re.compile(r'^managed-layer-[0-9a-f]{64}-python\d+\.\d+\.zip$')
_DEPS_DIR_RE = re.compile(r'^deps-[0-9a-f]{64}$')
_TMP_RE = re.compile(r'^\.tmp-')


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
                              pip_args: Sequence[str] | None = None,
                              output_name: str = DEPLOYMENT_ZIP_NAME,
                              on_reuse: Callable[[], Any] | None = None) -> PackageResult:
    """Build (or reuse) the app's deployment zip and return where it is.

    With ``output_dir`` the zip is also copied to
    ``<output_dir>/<output_name>`` (``deployment.zip``) and that path is
    returned.  Pass ``include_dependencies=False`` when the dependencies go
    into a layer.  ``on_reuse`` is called when the zip was already built
    from the same inputs.
    """
    packager = Packager(project_dir, python_version, architecture, ui=ui, pip_args=pip_args)
    return packager.deployment_package(include_dependencies, output_dir, output_name,
                                       on_reuse)


def create_layer_package(project_dir: str, python_version: str, architecture: str, *,
                         output_dir: str | None = None, ui: Any = None,
                         pip_args: Sequence[str] | None = None,
                         output_name: str = LAYER_ZIP_NAME) -> PackageResult | None:
    """Build (or reuse) the zip of the automatic layer; None when there are no deps.

    The dependencies sit under ``python/`` in the zip.  With ``output_dir``
    the zip is also copied to ``<output_dir>/<output_name>``
    (``layer-deployment.zip``).
    """
    packager = Packager(project_dir, python_version, architecture, ui=ui, pip_args=pip_args)
    return packager.layer_package(output_dir, output_name)


class _Dependencies(NamedTuple):
    """A resolved, unpacked set of dependencies in the cache."""

    site_packages: str
    digest: str
    missing: tuple[str, ...]


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
                           output_dir: str | None = None,
                           output_name: str = DEPLOYMENT_ZIP_NAME,
                           on_reuse: Callable[[], Any] | None = None) -> PackageResult:
        """The app's zip: runtime, vendor/, chalicelib/, app.py and (maybe) deps."""
        entries = self._project_entries()
        deps = self.dependencies() if include_dependencies else None
        tag = self._bytecode_tag()
        parts = ['app', ZIP_FORMAT, deps.digest if deps is not None else '-', tag or '-']
        parts.extend('%s\0%d\0%s' % (e.arcname, e.executable, file_sha256(e.source))
                     for e in entries)
        path = os.path.join(self.cache_dir, '%s-%s.zip' % (
            sha256_text('\n'.join(parts)), self._target.python_version))
        if os.path.isfile(path):
            self._ui.debug('Reusing deployment package %s' % path)
            os.utime(path)
            if on_reuse is not None:
                on_reuse()
        else:
            merged: dict[str, FileEntry] = {}
            if deps is not None:
                merged.update((e.arcname, e) for e in tree_entries(deps.site_packages))
            merged.update((e.arcname, e) for e in entries)
            advice = ('Move the dependencies to a layer ("automatic_layer": true) or '
                      'vendor and require less.')
            work_dir = None
            try:
                if tag is not None:
                    os.makedirs(self.cache_dir, exist_ok=True)
                    work_dir = tempfile.mkdtemp(prefix='.tmp-pyc-', dir=self.cache_dir)
                    merged.update((e.arcname, e)
                                  for e in compile_entries(entries, work_dir, self._ui))
                self._write_zip(list(merged.values()), path, 'Deployment package', advice)
            finally:
                if work_dir is not None:
                    shutil.rmtree(work_dir, ignore_errors=True)
        self._prune()
        return self._finish(path, output_dir, output_name)

    def _bytecode_tag(self) -> str | None:
        """The bytecode to ship for the project's modules; None (said in debug) for none."""
        tag = bytecode_tag(self._target.major, self._target.minor)
        if tag is None:
            self._ui.debug(
                'Shipping no bytecode in the deployment package: chalice runs on Python '
                '%d.%d (%s), the Lambda runtime is %s.' % (
                    *sys.version_info[:2], sys.implementation.name, self._target.python_version))
        return tag

    def layer_package(self, output_dir: str | None = None,
                      output_name: str = LAYER_ZIP_NAME) -> PackageResult | None:
        """The automatic layer's zip (deps under ``python/``); None without deps."""
        deps = self.dependencies()
        if deps is None:
            return None
        entries = [e._replace(arcname='python/' + e.arcname)
                   for e in tree_entries(deps.site_packages)]
        if not entries:
            return None
        key = sha256_text('\n'.join(['layer', ZIP_FORMAT, deps.digest]))
        path = os.path.join(self.cache_dir, 'managed-layer-%s-%s.zip' % (
            key, self._target.python_version))
        if os.path.isfile(path):
            self._ui.debug('Reusing layer package %s' % path)
            os.utime(path)
        else:
            advice = 'Require fewer or smaller packages in requirements.txt.'
            self._write_zip(entries, path, 'Layer package', advice, strip_prefix='python/')
        self._prune()
        return self._finish(path, output_dir, output_name)

    # -- inputs ---------------------------------------------------------------

    def _project_entries(self) -> list[FileEntry]:
        app_py = os.path.join(self._project_dir, 'app.py')
        if not os.path.isfile(app_py):
            raise PackagingError('No app.py in %s: run chalice from the project directory.'
                                 % self._project_dir)
        entries: dict[str, FileEntry] = {}
        import chalice
        chalice_dir = os.path.dirname(os.path.abspath(chalice.__file__))
        for name in ('__init__.py', 'app.py', 'routing.py'):
            entries['chalice/' + name] = file_entry('chalice/' + name,
                                                     os.path.join(chalice_dir, name))
        for rel, source in walk_files(os.path.join(chalice_dir, 'runtime')):
            if rel.endswith('.py'):
                entries['chalice/runtime/' + rel] = file_entry('chalice/runtime/' + rel, source)
        # Later sources win: the app's own code over vendor/ over the runtime.
        for prefix, root in (('', 'vendor'), ('chalicelib/', 'chalicelib')):
            for rel, source in walk_files(os.path.join(self._project_dir, root)):
                entries[prefix + rel] = file_entry(prefix + rel, source)
        entries['app.py'] = file_entry('app.py', app_py)
        return sorted(entries.values())

    def dependencies(self) -> _Dependencies | None:
        """Resolved deps from the cache, resolving them first if needed."""
        req_path = os.path.join(self._project_dir, 'requirements.txt')
        if not os.path.isfile(req_path):
            return None
        requirements = Requirements.read(req_path)
        if not requirements.lines:
            return None
        key = sha256_text(json.dumps([DEPS_CACHE_FORMAT, self._target.python_version,
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
            manifest = {'format': DEPS_CACHE_FORMAT, 'digest': tree_digest(site_packages),
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
        names = [m for m in missing if requirement_key(m) not in vendored]
        if not names:
            return
        # The block AWS Chalice prints (and its documentation shows), then
        # which Lambda target had no usable wheel.
        lines = ['Could not install dependencies:', *names,
                 'You will have to build these yourself and vendor them in',
                 'the chalice vendor folder.',
                 '',
                 'Your deployment will continue but may not work correctly',
                 'if missing dependencies are not present. For more information:',
                 PACKAGING_DOCS_URL,
                 '',
                 'No wheel of these runs on Lambda (%s, %s) and they could not be built'
                 % (self._target.python_version, self._target.architecture),
                 'as pure Python: build them on a compatible Linux machine and put the',
                 'result in the vendor/ directory of the project.']
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

    def _write_zip(self, entries: list[FileEntry], path: str, label: str, advice: str,
                   strip_prefix: str = '') -> None:
        """Write a deterministic zip atomically, enforcing Lambda's size limits."""
        entries = sorted(entries)
        total = sum(e.size for e in entries)
        if total > MAX_UNZIPPED_BYTES:
            sizes = sizes_by_top_level(((e.arcname, e.size) for e in entries), strip_prefix)
            raise PackagingError(limit_message(label, total, 'unzipped', MAX_UNZIPPED_BYTES,
                                                'for code and layers', sizes, advice))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix='.tmp-', suffix='.zip', dir=os.path.dirname(path))
        try:
            with os.fdopen(fd, 'wb') as raw:
                with zipfile.ZipFile(raw, 'w') as zf:
                    for entry in entries:
                        add_to_zip(zf, entry)
                    compressed = [(i.filename, i.compress_size) for i in zf.infolist()]
                raw.flush()
                size = os.fstat(raw.fileno()).st_size
            if size > MAX_ZIPPED_BYTES:
                sizes = sizes_by_top_level(compressed, strip_prefix)
                raise PackagingError(limit_message(label, size, 'zipped', MAX_ZIPPED_BYTES,
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
                    remove_path(full)
                continue
            for pattern, members in groups.items():
                if pattern.match(name):
                    members.append((mtime, full))
        for members in groups.values():
            members.sort(reverse=True)
            for _, full in members[KEEP_CACHE_ENTRIES:]:
                self._ui.debug('Removing stale cache entry %s' % full)
                remove_path(full)


def _load_manifest(entry: str) -> dict | None:
    try:
        with open(os.path.join(entry, 'manifest.json'), encoding='utf-8') as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get('format') != DEPS_CACHE_FORMAT:
        return None
    return manifest
