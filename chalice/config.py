"""Loading, validating and resolving ``.chalice/config.json``.

This module is the single place that knows the layout of a project's config
file.  It has three parts:

* :func:`load_config_file` reads ``<project>/.chalice/config.json`` and turns
  every way that can go wrong (missing file, broken JSON, wrong top-level
  type) into a one-line :class:`~chalice.errors.ConfigError`.
* :func:`validate_config` (from :mod:`chalice.configschema`, which holds
  the keys, their types and ranges) checks every documented key at every
  level where it may appear.  A wrong type is an error that names the key
  path; an unknown or misplaced key is only a warning, returned as a list
  of strings for the CLI to print.
* :class:`Config` answers "what is the value of key K for Chalice stage S and
  Lambda function F?" by walking a fixed chain of config levels.

The module is imported by fast CLI commands, so it only uses the standard
library.  It never imports boto3/botocore or :mod:`chalice.app`; a ``Config``
may still carry a reference to an app object that a caller passes in.
"""
from __future__ import annotations

import copy
import json
import os
import sys
from typing import Any, Dict, List, Optional, Tuple

from chalice import __version__
from chalice.configschema import (  # noqa: F401 (re-exported: the public names of the schema)
    API_GATEWAY_TYPES,
    CHALICE_DIR,
    CHALICE_TAG_KEY,
    CONFIG_DISPLAY_NAME,
    CONFIG_FILENAME,
    DEFAULT_API_GATEWAY_STAGE,
    ENDPOINT_TYPES,
    FUNCTION_KEYS,
    LAMBDA_ARCHITECTURES,
    LOG_RETENTION_DAYS,
    MAX_COMPRESSION_SIZE,
    MAX_MEMORY_SIZE,
    MIN_MEMORY_SIZE,
    STAGE_KEYS,
    TLS_VERSIONS,
    TOP_LEVEL_ONLY_KEYS,
    check_config,
    check_local_jwks,
    custom_domain_url_prefixes,
    json_type,
    validate_config,
)
from chalice.errors import ConfigError

DEFAULT_STAGE_NAME = 'dev'
DEFAULT_HANDLER_NAME = 'api_handler'
DEFAULT_ENDPOINT_TYPE = 'EDGE'
DEFAULT_LAMBDA_TIMEOUT = 60
DEFAULT_LAMBDA_MEMORY_SIZE = 128
DEFAULT_EPHEMERAL_STORAGE = 512
DEFAULT_TLS_VERSION = 'TLS_1_2'
DEFAULT_LAMBDA_ARCHITECTURE = 'x86_64'
DEFAULT_API_GATEWAY_TYPE = 'REST'
# Lambda runtimes this release can target, oldest first.
SUPPORTED_PYTHON_VERSIONS = ((3, 10), (3, 11), (3, 12), (3, 13), (3, 14))

_MERGED_KEYS = ('environment_variables', 'tags')


# ---------------------------------------------------------------------------
# Paths and loading
# ---------------------------------------------------------------------------

def invalid_at(path: str) -> str:
    """``Invalid <config file>: <key path>``, or ``Invalid <option>:`` for an option.

    How every validation line starts; ``path`` as :meth:`Config.source_of`
    gives it.
    """
    if path.startswith('--'):
        return 'Invalid %s:' % path
    return 'Invalid %s: %s' % (CONFIG_DISPLAY_NAME, path)


def chalice_dir(project_dir: str) -> str:
    """Return the ``.chalice`` directory of *project_dir*."""
    return os.path.join(project_dir, CHALICE_DIR)


def config_file_path(project_dir: str) -> str:
    """Return the path of ``.chalice/config.json`` inside *project_dir*."""
    return os.path.join(project_dir, CHALICE_DIR, CONFIG_FILENAME)


def resolve_chalice_path(project_dir: str, filename: str) -> str:
    """Turn a file name from the config into an absolute path.

    File names in the config (``iam_policy_file``, ``api_gateway_policy_file``)
    are relative to the project's ``.chalice`` directory; an absolute name is
    kept as it is.
    """
    return os.path.abspath(os.path.join(chalice_dir(project_dir), filename))


def missing_project_message(project_dir: str) -> str:
    """What every command says when ``project_dir`` is not a Chalice project."""
    return (f'The project at {os.path.abspath(project_dir)} has no {CONFIG_DISPLAY_NAME}; '
            'run this command from a Chalice project directory (or pass --project-dir), '
            'or create the file, e.g. with "chalice new-project".')


def require_project(project_dir: str) -> None:
    """Raise :class:`ConfigError` unless ``project_dir`` has a config file."""
    if not os.path.isfile(config_file_path(project_dir)):
        raise ConfigError(missing_project_message(project_dir))


def load_config_file(project_dir: str) -> Dict[str, Any]:
    """Read and parse ``<project_dir>/.chalice/config.json``.

    Only the file's syntax and top-level type are checked here; call
    :func:`validate_config` on the result to check the keys.
    """
    path = config_file_path(project_dir)
    try:
        with open(path, 'rb') as f:
            raw = f.read()
    except FileNotFoundError:
        raise ConfigError(missing_project_message(project_dir)) from None
    except OSError as e:
        raise ConfigError(f'Could not read {path}: {e.strerror or e}; check that it is '
                          'a readable file.') from None
    try:
        text = raw.decode('utf-8-sig')
    except UnicodeDecodeError as e:
        raise ConfigError(f'{path} is not valid UTF-8 (byte {e.start}); save it as '
                          'UTF-8 text.') from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f'{path} is not valid JSON: line {e.lineno}, column {e.colno}: '
                          f'{e.msg}') from None
    if not isinstance(data, dict):
        raise ConfigError(f'{path} must contain a JSON object at the top level '
                          f'(like {{"version": "2.0", "app_name": "..."}}), '
                          f'got {json_type(data)}.')
    return data


# ---------------------------------------------------------------------------
# Python runtime selection
# ---------------------------------------------------------------------------

def _clamped_python_version(version_info: Optional[Tuple[int, ...]]) -> Tuple[int, int]:
    if version_info:
        major, minor = tuple(version_info)[:2]
    else:
        major, minor = sys.version_info[:2]
    wanted = (major, minor)
    if wanted < SUPPORTED_PYTHON_VERSIONS[0]:
        return SUPPORTED_PYTHON_VERSIONS[0]
    if wanted > SUPPORTED_PYTHON_VERSIONS[-1]:
        return SUPPORTED_PYTHON_VERSIONS[-1]
    return wanted


def lambda_python_version(version_info: Optional[Tuple[int, ...]] = None) -> str:
    """Return the Lambda runtime (``'python3.X'``) that matches an interpreter.

    Uses the running interpreter unless *version_info* is given; a version
    outside the supported range picks the nearest supported runtime.
    """
    major, minor = _clamped_python_version(version_info)
    return f'python{major}.{minor}'


def lambda_python_version_warning(version_info: Optional[Tuple[int, ...]] = None
                                  ) -> Optional[str]:
    """Return a warning when the local Python has no matching Lambda runtime."""
    major, minor = tuple(version_info or sys.version_info)[:2]
    chosen = lambda_python_version(version_info)
    if chosen == f'python{major}.{minor}':
        return None
    return (f'You are currently running python{major}.{minor}, which has no matching '
            f'AWS Lambda runtime; Chalice will use {chosen}. Use a local Python that '
            'matches the runtime to avoid packaging incompatible dependencies.')


# ---------------------------------------------------------------------------
# Resolution
# ---------------------------------------------------------------------------

def _section(container: Any, key: str) -> Dict[str, Any]:
    """Return ``container[key]`` if it is an object, else an empty dict."""
    if isinstance(container, dict):
        value = container.get(key)
        if isinstance(value, dict):
            return value
    return {}


class Config:
    """The settings of one Chalice stage and one Lambda function.

    Every key is resolved by a single chain lookup; the first level that has
    a non-null value wins:

    1. ``stages.<stage>.lambda_functions.<function>``
    2. ``user_provided_params`` (CLI options such as ``--api-gateway-stage``)
    3. ``stages.<stage>``
    4. top-level ``lambda_functions.<function>``
    5. the top level of the config file
    6. ``default_params``
    7. the built-in default of the property

    Levels 1 and 4 are consulted only for per-function keys
    (:data:`FUNCTION_KEYS`); anything else written there is ignored (and
    :func:`validate_config` warns about it).

    ``environment_variables`` and ``tags`` are merged instead, later levels
    overriding earlier ones key by key: ``default_params``, top level,
    top-level ``lambda_functions.<function>``, ``stages.<stage>``,
    ``stages.<stage>.lambda_functions.<function>``, then user params.
    Upstream Chalice leaves the top-level function section out of that
    merge; we include it because a user who writes it expects it to apply.
    """

    def __init__(self, chalice_stage: str = DEFAULT_STAGE_NAME,
                 function_name: str = DEFAULT_HANDLER_NAME,
                 user_provided_params: Optional[Dict[str, Any]] = None,
                 config_from_disk: Optional[Dict[str, Any]] = None,
                 default_params: Optional[Dict[str, Any]] = None) -> None:
        self._stage = chalice_stage
        self._function = function_name
        self._user = dict(user_provided_params or {})
        self._disk: Dict[str, Any] = config_from_disk if config_from_disk is not None else {}
        self._defaults = dict(default_params or {})
        #: Warnings from :func:`validate_config` when built by :func:`load_project_config`.
        self.validation_warnings: Tuple[str, ...] = ()

    @classmethod
    def create(cls, chalice_stage: str = DEFAULT_STAGE_NAME,
               function_name: str = DEFAULT_HANDLER_NAME, **kwargs: Any) -> 'Config':
        """Build a config from user-provided params only (no file on disk)."""
        return cls(chalice_stage, function_name, user_provided_params=kwargs)

    def scope(self, chalice_stage: str, function_name: str) -> 'Config':
        """Return a config over the same data for another stage and function."""
        scoped = self.__class__(chalice_stage, function_name,
                                user_provided_params=self._user,
                                config_from_disk=self._disk,
                                default_params=self._defaults)
        scoped.validation_warnings = self.validation_warnings
        return scoped

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(chalice_stage={self._stage!r}, '
                f'function_name={self._function!r})')

    # -- the lookup machinery -------------------------------------------

    def _labelled_levels(self, key: str) -> List[Tuple[str, Dict[str, Any]]]:
        """The lookup chain for *key*: ``(key path prefix, level)`` pairs."""
        stage = _section(_section(self._disk, 'stages'), self._stage)
        per_function = key in FUNCTION_KEYS
        levels = []
        if per_function:
            levels.append((f'stages.{self._stage}.lambda_functions.{self._function}.',
                           _section(_section(stage, 'lambda_functions'), self._function)))
        levels += [('--', self._user), (f'stages.{self._stage}.', stage)]
        if per_function:
            levels.append((f'lambda_functions.{self._function}.',
                           _section(_section(self._disk, 'lambda_functions'), self._function)))
        levels += [('', self._disk), ('(default) ', self._defaults)]
        return levels

    def _levels(self, key: str) -> List[Dict[str, Any]]:
        return [level for _, level in self._labelled_levels(key)]

    def source_of(self, key: str) -> Optional[str]:
        """Where the value of *key* comes from, or ``None`` when no level sets it.

        A key path in the config file (``stages.dev.lambda_functions.foo.subnet_ids``),
        or the command-line option (``--api-gateway-stage``) for a value given there.
        """
        for prefix, level in self._labelled_levels(key):
            if level.get(key) is not None:
                return '--' + key.replace('_', '-') if prefix == '--' else prefix + key
        return None

    def _chain_lookup(self, key: str, default: Any = None) -> Any:
        for level in self._levels(key):
            value = level.get(key)
            if value is not None:
                return value
        return default

    def _merged(self, key: str) -> Dict[str, Any]:
        stage = _section(_section(self._disk, 'stages'), self._stage)
        # Order matters: later levels override earlier ones key by key.  The
        # top-level lambda_functions.<fn> section is included on purpose (see
        # the class docstring); upstream skips it.
        levels = [
            self._defaults,
            self._disk,
            _section(_section(self._disk, 'lambda_functions'), self._function),
            stage,
            _section(_section(stage, 'lambda_functions'), self._function),
            self._user,
        ]
        merged: Dict[str, Any] = {}
        for level in levels:
            merged.update(_section(level, key))
        return merged

    def _list(self, key: str) -> List[Any]:
        value = self._chain_lookup(key)
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        return list(value)

    # -- identity --------------------------------------------------------

    @property
    def chalice_stage(self) -> str:
        return self._stage

    @property
    def function_name(self) -> str:
        return self._function

    @property
    def chalice_app(self) -> Any:
        """The app object handed in by the caller (``user_provided_params``)."""
        return self._user.get('chalice_app')

    @property
    def project_dir(self) -> Optional[str]:
        return self._user.get('project_dir')

    @property
    def profile(self) -> Optional[str]:
        """The AWS profile given on the command line (``--profile``), if any."""
        return self._user.get('profile')

    @property
    def app_name(self) -> Optional[str]:
        """``app_name`` from user params, else the config file's top level."""
        for level in (self._user, self._disk, self._defaults):
            if level.get('app_name') is not None:
                return level['app_name']
        return None

    @property
    def config_from_disk(self) -> Dict[str, Any]:
        """The raw parsed config file (not a copy; do not modify it)."""
        return self._disk

    @property
    def user_provided_params(self) -> Dict[str, Any]:
        return dict(self._user)

    @property
    def default_params(self) -> Dict[str, Any]:
        return dict(self._defaults)

    # -- stages ------------------------------------------------------------

    def stage_names(self) -> List[str]:
        """Names of the stages defined under ``stages``, in file order."""
        stages = self._disk.get('stages')
        return list(stages) if isinstance(stages, dict) else []

    def has_stage(self, name: str) -> bool:
        return name in self.stage_names()

    def validate_stage(self, name: str) -> None:
        """Raise ``ConfigError`` unless *name* is a stage a command can use.

        The default stage ``dev`` is always accepted: without a stages entry
        it simply uses the top-level settings.
        """
        if name == DEFAULT_STAGE_NAME or self.has_stage(name):
            return
        defined = ', '.join(self.stage_names()) or '(none)'
        raise ConfigError(f"Stage '{name}' is not defined in {CONFIG_DISPLAY_NAME}; defined "
                          f'stages: {defined}. Add it under "stages" or pick a defined stage.')

    # -- API Gateway -------------------------------------------------------

    @property
    def api_gateway_stage(self) -> str:
        return self._chain_lookup('api_gateway_stage', DEFAULT_API_GATEWAY_STAGE)

    @property
    def websocket_api_stage(self) -> str:
        # AWS Chalice 1.34 serves the websocket API from the api_gateway_stage
        # (it has no websocket_api_stage); the setting names another stage.
        return self._chain_lookup('websocket_api_stage') or self.api_gateway_stage

    @property
    def api_gateway_type(self) -> str:
        """``REST`` (API Gateway v1, the default) or ``HTTP`` (an HTTP API, v2)."""
        return self._chain_lookup('api_gateway_type', DEFAULT_API_GATEWAY_TYPE)

    @property
    def local_jwks(self) -> Any:
        """The ``local_jwks`` setting as written: a file name, a key set, or None."""
        return copy.deepcopy(self._chain_lookup('local_jwks'))

    def local_jwks_document(self, project_dir: Optional[str] = None) -> Optional[Dict[str, Any]]:
        """The JSON Web Key Set ``chalice local`` checks JWTs with (None if unset).

        A file name is read relative to the project's ``.chalice`` directory.
        """
        value = self.local_jwks
        if not isinstance(value, str):
            return value
        path = resolve_chalice_path(self._require_project_dir(project_dir), value)
        try:
            with open(path, 'rb') as f:
                document = json.loads(f.read().decode('utf-8'))
        except OSError as e:
            raise ConfigError(f'Cannot read the local_jwks file {path}: {e.strerror or e}; '
                              'fix the path (it is relative to .chalice).') from None
        except ValueError as e:
            raise ConfigError(f'The local_jwks file {path} is not valid JSON: {e}') from None
        check_local_jwks('local_jwks', document, [])
        return document

    @property
    def api_gateway_endpoint_type(self) -> str:
        return self._chain_lookup('api_gateway_endpoint_type', DEFAULT_ENDPOINT_TYPE)

    @property
    def api_gateway_endpoint_vpce(self) -> Any:
        """A VPC endpoint id or a list of them, as written; ``None`` if unset."""
        return copy.deepcopy(self._chain_lookup('api_gateway_endpoint_vpce'))

    @property
    def api_gateway_policy_file(self) -> Optional[str]:
        return self._chain_lookup('api_gateway_policy_file')

    def _custom_domain(self, key: str) -> Optional[Dict[str, Any]]:
        value = self._chain_lookup(key)
        if not isinstance(value, dict):
            return None
        domain = copy.deepcopy(value)
        if domain.get('tls_version') is None:
            domain['tls_version'] = DEFAULT_TLS_VERSION
        return domain

    @property
    def api_gateway_custom_domain(self) -> Optional[Dict[str, Any]]:
        """The REST API custom domain; ``tls_version`` defaults to TLS_1_2."""
        return self._custom_domain('api_gateway_custom_domain')

    @property
    def websocket_api_custom_domain(self) -> Optional[Dict[str, Any]]:
        """The websocket API custom domain; ``tls_version`` defaults to TLS_1_2."""
        return self._custom_domain('websocket_api_custom_domain')

    @property
    def minimum_compression_size(self) -> Optional[int]:
        return self._chain_lookup('minimum_compression_size')

    # -- IAM -----------------------------------------------------------------

    @property
    def iam_role_arn(self) -> Optional[str]:
        return self._chain_lookup('iam_role_arn')

    @property
    def manage_iam_role(self) -> bool:
        return self._chain_lookup('manage_iam_role', True)

    @property
    def autogen_policy(self) -> Optional[bool]:
        """The configured value, or ``None`` so the caller can choose."""
        return self._chain_lookup('autogen_policy')

    @property
    def autogen_policy_enabled(self) -> bool:
        """Whether to generate the IAM policy; the documented default is true."""
        return self._chain_lookup('autogen_policy', True)

    @property
    def iam_policy_file(self) -> Optional[str]:
        """The configured file name; the deployer defaults to ``policy-<stage>.json``."""
        return self._chain_lookup('iam_policy_file')

    def _require_project_dir(self, project_dir: Optional[str]) -> str:
        project_dir = project_dir or self.project_dir
        if project_dir is None:
            raise ValueError('project_dir is needed: pass it or set it in user params')
        return project_dir

    def iam_policy_file_path(self, project_dir: Optional[str] = None) -> str:
        """Absolute path of the IAM policy file to load when autogen is off.

        That is ``iam_policy_file`` if set, else ``policy-<stage>.json``, inside
        the ``.chalice`` directory of *project_dir* (default: this config's).
        """
        filename = self.iam_policy_file or f'policy-{self._stage}.json'
        return resolve_chalice_path(self._require_project_dir(project_dir), filename)

    def api_gateway_policy_file_path(self, project_dir: Optional[str] = None
                                     ) -> Optional[str]:
        """Absolute path of ``api_gateway_policy_file``, or ``None`` if unset."""
        filename = self.api_gateway_policy_file
        if filename is None:
            return None
        return resolve_chalice_path(self._require_project_dir(project_dir), filename)

    # -- Lambda function -----------------------------------------------------

    # Sizes are None when no level sets them (as in Chalice 1.x); whoever
    # builds a function applies DEFAULT_LAMBDA_MEMORY_SIZE / _TIMEOUT /
    # DEFAULT_EPHEMERAL_STORAGE (see :func:`lambda_settings`).

    @property
    def lambda_memory_size(self) -> Optional[int]:
        return self._chain_lookup('lambda_memory_size')

    @property
    def lambda_timeout(self) -> Optional[int]:
        return self._chain_lookup('lambda_timeout')

    @property
    def lambda_ephemeral_storage(self) -> Optional[int]:
        return self._chain_lookup('lambda_ephemeral_storage')

    @property
    def lambda_architecture(self) -> str:
        """``x86_64`` (the default) or ``arm64``: the CPU the function runs on."""
        return self._chain_lookup('lambda_architecture', DEFAULT_LAMBDA_ARCHITECTURE)

    @property
    def environment_variables(self) -> Dict[str, str]:
        """All levels' environment variables merged (see the class docstring)."""
        return self._merged('environment_variables')

    @property
    def tags(self) -> Dict[str, str]:
        """All levels' tags merged, plus the ``aws-chalice`` tag.

        The ``aws-chalice`` tag (``version=<v>:stage=<stage>:app=<app>``) is
        what Chalice uses to recognise its own resources, so it is applied
        last and a user-supplied tag of that name is ignored.
        """
        tags = self._merged('tags')
        tags[CHALICE_TAG_KEY] = (f'version={__version__}:stage={self._stage}:'
                                 f'app={self.app_name}')
        return tags

    @property
    def layers(self) -> List[str]:
        """Layer ARNs from the first level that sets them (not merged)."""
        return self._list('layers')

    @property
    def automatic_layer(self) -> bool:
        return self._chain_lookup('automatic_layer', False)

    @property
    def xray(self) -> bool:
        return self._chain_lookup('xray', False)

    @property
    def log_retention_in_days(self) -> Optional[int]:
        return self._chain_lookup('log_retention_in_days')

    @property
    def security_group_ids(self) -> List[str]:
        return self._list('security_group_ids')

    @property
    def subnet_ids(self) -> List[str]:
        return self._list('subnet_ids')

    @property
    def reserved_concurrency(self) -> Optional[int]:
        return self._chain_lookup('reserved_concurrency')

    @property
    def connection_timeout(self) -> Optional[int]:
        return self._chain_lookup('connection_timeout')

    @property
    def lambda_python_version(self) -> str:
        """The Lambda runtime matching the running interpreter (clamped)."""
        return lambda_python_version()


def lambda_settings(config: Optional[Config]) -> Tuple[int, int, int]:
    """``(memory MB, timeout s, ephemeral storage MB)`` with the defaults applied."""
    if config is None:
        return DEFAULT_LAMBDA_MEMORY_SIZE, DEFAULT_LAMBDA_TIMEOUT, DEFAULT_EPHEMERAL_STORAGE
    memory = config.lambda_memory_size
    timeout = config.lambda_timeout
    storage = config.lambda_ephemeral_storage
    return (DEFAULT_LAMBDA_MEMORY_SIZE if memory is None else memory,
            DEFAULT_LAMBDA_TIMEOUT if timeout is None else timeout,
            DEFAULT_EPHEMERAL_STORAGE if storage is None else storage)


def load_project_config(project_dir: str, chalice_stage: str = DEFAULT_STAGE_NAME,
                        function_name: str = DEFAULT_HANDLER_NAME,
                        user_provided_params: Optional[Dict[str, Any]] = None,
                        default_params: Optional[Dict[str, Any]] = None) -> Config:
    """Load, validate and wrap a project's config in one call.

    ``project_dir`` is added to the user params unless already there; the
    validation warnings end up in ``Config.validation_warnings``.
    """
    disk = load_config_file(project_dir)
    warnings = validate_config(disk)
    params = dict(user_provided_params or {})
    params.setdefault('project_dir', project_dir)
    config = Config(chalice_stage, function_name, user_provided_params=params,
                    config_from_disk=disk, default_params=default_params)
    config.validation_warnings = tuple(warnings)
    return config
