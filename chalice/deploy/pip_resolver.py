"""Resolve requirements into wheels for the Lambda target with a real pip.

:class:`PipRunner` runs pip in a subprocess; :class:`DependencyResolver`
downloads wheels for the target (building pure-Python wheels from sdists
where no wheel exists) and unpacks them into a directory.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from collections import deque
from typing import Any, Iterable, Sequence

from chalice.deploy.lambda_target import LambdaTarget
from chalice.deploy.requirements import Requirements, parse_requirement, requirement_key
from chalice.errors import PackagingError


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

    def list_files(self, requirements_file: str, dest: str, target: LambdaTarget,
                   find_links: str) -> tuple[bool, str]:
        """A verbose wheel-only download of one requirement, without its dependencies.

        pip's log then names every file it saw for the project (``Found
        link``/``Skipping link``), for any platform, wheel or sdist.
        """
        return self.run(['download', '-vv', '--no-deps', '--only-binary=:all:',
                         '-r', requirements_file, '-d', dest, '--find-links', find_links,
                         *target.pip_args()])

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
# The file names of distributions in pip's verbose log ("Found link", "Skipping
# link": the last part of a URL or path).
_DIST_FILE_RE = re.compile(r'[/\\]([\w.+!%-]+\.(?:whl|tar\.gz|zip))(?=[#?,;\s)\'"]|$)', re.M)
# What pip logs when it cannot reach an index at all (not a 404: that is an
# unknown project).
_UNREACHABLE = ('NewConnectionError', 'connection broken by', 'Max retries exceeded',
                'ConnectTimeoutError', 'ProxyError', 'SSLError')


def unsatisfied_requirement(output: str) -> str | None:
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
        if candidate and parse_requirement(candidate) is not None:
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
        self._check_found(missing, requirements.lines)
        wheels, unusable = self._select_wheels(self._wheel_dir)
        missing.extend(name for name in unusable if name not in missing)
        for path in wheels:
            self._install_wheel(path, dest)
        return missing

    def _check_found(self, missing: Sequence[str], top_level: Sequence[str]) -> None:
        """Fail for a top-level requirement that pip finds no release of at all.

        A misspelt name or a version that does not exist is an error; only a
        requirement that exists without a wheel for Lambda is left out (and
        named in the warning).  pip is asked once more for each missing
        requirement (:meth:`PipRunner.list_files`).
        """
        unknown = []
        for line in missing:
            req = parse_requirement(line)
            # Named requirements of the file only: not a dependency of one, a path or a URL.
            if line not in top_level or req is None or req.url:
                continue
            versions = self._released_versions(line, req.name)
            if versions is None or any(req.specifier.contains(v, prereleases=True)
                                       for v in versions):
                continue
            if not versions:
                unknown.append('%r (no release of that name)' % line)
            else:
                newest = sorted(versions, reverse=True)
                listed = ', '.join(str(v) for v in newest[:5])
                if len(newest) > 5:
                    listed += ' and %d older' % (len(newest) - 5)
                unknown.append('%r (no such version; it has %s)' % (line, listed))
        if unknown:
            raise PackagingError(
                'requirements.txt: pip cannot find %s at all on the package index or the '
                '--find-links locations it was given. Fix the name or the version, then run '
                'the command again.' % ', '.join(unknown))

    def _released_versions(self, line: str, name: str) -> set | None:
        """Versions of ``name`` that pip sees files for; None if pip can download it."""
        import urllib.parse

        from packaging.utils import (
            InvalidSdistFilename,
            InvalidWheelFilename,
            canonicalize_name,
            parse_sdist_filename,
            parse_wheel_filename,
        )
        from packaging.version import InvalidVersion

        ok, output = self._pip.list_files(self._requirements_file([line]),
                                          self._new_dir('probe'), self._target,
                                          self._built_dir)
        if ok:
            return None
        versions = set()
        for filename in set(_DIST_FILE_RE.findall(output)):
            filename = urllib.parse.unquote(filename)
            try:
                if filename.endswith('.whl'):
                    project, version = parse_wheel_filename(filename)[:2]
                else:
                    project, version = parse_sdist_filename(filename)
            except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
                continue
            if project == canonicalize_name(name):
                versions.add(version)
        if not versions:
            unreachable = next((text for text in output.splitlines()
                                if any(marker in text for marker in _UNREACHABLE)), None)
            if unreachable is not None:
                raise PackagingError(
                    'pip could not reach the package index to look for %r: %s. Check the '
                    'network and the index settings (CHALICE_PIP_EXTRA_ARGS, pip.conf), then '
                    'run the command again.' % (line, ' '.join(unreachable.split())[:300]))
        return versions

    def _resolve_together(self, lines: list[str]) -> list[str]:
        missing: list[str] = []
        attempted: set[str] = set()
        while lines:
            ok, output = self._download(lines)
            if ok:
                return missing
            failed = unsatisfied_requirement(output)
            if failed is None:
                break
            key = requirement_key(failed)
            if key is None or key in attempted:
                break
            attempted.add(key)
            if self._build(failed) is not None:
                continue
            top_level = [line for line in lines if requirement_key(line) == key]
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
            key = requirement_key(line)
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
        req = parse_requirement(line)
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
            dep = parse_requirement(entry)
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
