"""The Lambda target a package is built for: Python runtime and CPU architecture.

:class:`LambdaTarget` turns a runtime name (``python3.11``) and an
architecture (``x86_64`` or ``arm64``) into what pip and the wheel tags need:
the manylinux platform tags the target accepts (glibc 2.26 for
python3.10/3.11, 2.34 for python3.12+), the CPython ABI, and the values
PEP 508 markers are evaluated against.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from chalice.errors import PackagingError

_SUPPORTED_ARCHITECTURES = {'x86_64': 'x86_64', 'arm64': 'aarch64'}
# Legacy manylinux names and the glibc minor version each one stands for.
_LEGACY_MANYLINUX = {17: 'manylinux2014', 12: 'manylinux2010', 5: 'manylinux1'}


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
