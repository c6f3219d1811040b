"""Loading, validating and resolving ``.chalice/config.json``.

This module is the single place that knows the layout of a project's config
file.  It has three parts:

* :func:`load_config_file` reads ``<project>/.chalice/config.json`` and turns
  every way that can go wrong (missing file, broken JSON, wrong top-level
  type) into a one-line :class:`~chalice.errors.ConfigError`.
* :func:`validate_config` checks the type and range of every documented key
  at every level where it may appear.  A wrong type is an error that names
  the key path; an unknown or misplaced key is only a warning, returned as a
  list of strings for the CLI to print.
* :class:`Config` answers "what is the value of key K for Chalice stage S and
  Lambda function F?" by walking a fixed chain of config levels.

The module is imported by fast CLI commands, so it only uses the standard
library.  It never imports boto3/botocore or :mod:`chalice.app`; a ``Config``
may still carry a reference to an app object that a caller passes in.
"""
from __future__ import annotations

import copy
import difflib
import json
import os
import re
import sys
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from chalice import __version__
from chalice.errors import ConfigError, ValidationError

CHALICE_DIR = '.chalice'
CONFIG_FILENAME = 'config.json'
CONFIG_DISPLAY_NAME = CHALICE_DIR + '/' + CONFIG_FILENAME

DEFAULT_STAGE_NAME = 'dev'
DEFAULT_HANDLER_NAME = 'api_handler'
DEFAULT_API_GATEWAY_STAGE = 'api'
DEFAULT_WEBSOCKET_API_STAGE = 'api'
DEFAULT_ENDPOINT_TYPE = 'EDGE'
DEFAULT_LAMBDA_TIMEOUT = 60
DEFAULT_LAMBDA_MEMORY_SIZE = 128
DEFAULT_EPHEMERAL_STORAGE = 512
DEFAULT_TLS_VERSION = 'TLS_1_2'
DEFAULT_LAMBDA_ARCHITECTURE = 'x86_64'
CHALICE_TAG_KEY = 'aws-chalice'

ENDPOINT_TYPES = ('EDGE', 'REGIONAL', 'PRIVATE')
# ``api_gateway_type``: a REST API (API Gateway v1, the default) or an HTTP API (v2).
API_GATEWAY_TYPES = ('REST', 'HTTP')
DEFAULT_API_GATEWAY_TYPE = 'REST'
TLS_VERSIONS = ('TLS_1_0', 'TLS_1_2')
# The instruction set architectures Lambda runs functions on.
LAMBDA_ARCHITECTURES = ('x86_64', 'arm64')
# The retention periods (in days) that CloudWatch Logs accepts.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545,
                      731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
MIN_MEMORY_SIZE, MAX_MEMORY_SIZE = 128, 10240
MAX_COMPRESSION_SIZE = 10485760
# Lambda runtimes this release can target, oldest first.
SUPPORTED_PYTHON_VERSIONS = ((3, 10), (3, 11), (3, 12), (3, 13), (3, 14))

_MERGED_KEYS = ('environment_variables', 'tags')


# ---------------------------------------------------------------------------
# Paths and loading
# ---------------------------------------------------------------------------

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
                          f'got {_json_type(data)}.')
    return data


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------

Warnings = List[str]
Checker = Callable[[str, Any, Warnings], None]


def _json_type(value: Any) -> str:
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'a boolean'
    if isinstance(value, (int, float)):
        return 'a number'
    if isinstance(value, str):
        return 'a string'
    if isinstance(value, list):
        return 'a list'
    return 'an object'


def _show(value: Any) -> str:
    """Render *value* the way it looks in the JSON file, cut to a sane length."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'


def _fail(path: str, expectation: str, value: Any) -> None:
    raise ConfigError(f'Invalid {CONFIG_DISPLAY_NAME}: {path} must be {expectation}, '
                      f'got {_show(value)}')


def _is_int(value: Any) -> bool:
    # bool is a subclass of int, but ``true`` is not a number in the config.
    return isinstance(value, int) and not isinstance(value, bool)


def _check_string(path: str, value: Any, warnings: Warnings) -> None:
    if not isinstance(value, str):
        _fail(path, 'a string', value)


def _check_bool(path: str, value: Any, warnings: Warnings) -> None:
    if not isinstance(value, bool):
        _fail(path, 'true or false', value)


def _int_between(low: int, high: Optional[int], unit: str = '') -> Checker:
    suffix = f' ({unit})' if unit else ''

    def check(path: str, value: Any, warnings: Warnings) -> None:
        if not _is_int(value):
            _fail(path, 'an integer', value)
        if high is None and value < low:
            _fail(path, f'an integer of at least {low}{suffix}', value)
        if high is not None and not low <= value <= high:
            _fail(path, f'between {low} and {high}{suffix}', value)
    return check


def _one_of(choices: Iterable[Any]) -> Checker:
    allowed = tuple(choices)

    def check(path: str, value: Any, warnings: Warnings) -> None:
        # ``True == 1`` in Python; keep booleans out of numeric choices.
        if isinstance(value, bool) or value not in allowed:
            _fail(path, 'one of ' + ', '.join(str(c) for c in allowed), value)
    return check


def _check_string_list(path: str, value: Any, warnings: Warnings) -> None:
    if not isinstance(value, list):
        _fail(path, 'a list of strings', value)
    for index, item in enumerate(value):
        if not isinstance(item, str):
            _fail(f'{path}[{index}]', 'a string', item)


def _check_string_or_list(path: str, value: Any, warnings: Warnings) -> None:
    if isinstance(value, str):
        return
    if not isinstance(value, list):
        _fail(path, 'a string or a list of strings', value)
    _check_string_list(path, value, warnings)


def _check_string_map(path: str, value: Any, warnings: Warnings) -> None:
    if not isinstance(value, dict):
        _fail(path, 'an object mapping names to strings', value)
    for name, item in value.items():
        if not isinstance(item, str):
            _fail(f'{path}.{name}', 'a string', item)


def _check_tags(path: str, value: Any, warnings: Warnings) -> None:
    _check_string_map(path, value, warnings)
    if CHALICE_TAG_KEY in value:
        warnings.append(f'{path}.{CHALICE_TAG_KEY} in {CONFIG_DISPLAY_NAME} is ignored: Chalice '
                        f'always sets the {CHALICE_TAG_KEY} tag itself; use another tag name.')


def _check_memory_size(path: str, value: Any, warnings: Warnings) -> None:
    _int_between(MIN_MEMORY_SIZE, MAX_MEMORY_SIZE, 'MB')(path, value, warnings)
    # The docs say the value "must be a multiple of 64 MB"; Lambda itself now
    # accepts any size in range, so a stray value only earns a warning.
    if value % 64:
        warnings.append(f'{path} in {CONFIG_DISPLAY_NAME} is {value}; the documented rule is '
                        'that lambda_memory_size is a multiple of 64 MB.')


def _check_log_retention(path: str, value: Any, warnings: Warnings) -> None:
    if not _is_int(value):
        _fail(path, 'an integer', value)
    if value not in LOG_RETENTION_DAYS:
        _fail(path, 'a CloudWatch Logs retention period in days, one of '
              + ', '.join(str(d) for d in LOG_RETENTION_DAYS), value)


# A DNS name of lower-case labels (an optional leading ``*.`` for a wildcard
# domain); API Gateway accepts no upper case and no trailing dot.
_DOMAIN_NAME_RE = re.compile(r'(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+'
                             r'[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?')
_ACM_ARN_RE = re.compile(r'arn:aws[a-z-]*:acm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:'
                         r'certificate/[A-Za-z0-9-]+')
# Characters API Gateway allows in a base path / API mapping key segment.
_URL_PREFIX_SEGMENT_RE = re.compile(r"[A-Za-z0-9$\-_.+!*'()]+")


def _check_domain_name(path: str, value: Any, warnings: Warnings) -> None:
    _check_string(path, value, warnings)
    if len(value) > 253 or not _DOMAIN_NAME_RE.fullmatch(value) or value.isdigit() or \
            value.rsplit('.', 1)[-1].isdigit():
        hint = ' in lower case' if value.lower() != value else ''
        _fail(path, 'a domain name such as api.example.com%s (letters, digits and hyphens '
              'in dot-separated labels)' % hint, value)


def _check_certificate_arn(path: str, value: Any, warnings: Warnings) -> None:
    _check_string(path, value, warnings)
    if not _ACM_ARN_RE.fullmatch(value):
        _fail(path, 'the ARN of an ACM certificate '
              '(arn:aws:acm:<region>:<account id>:certificate/<id>)', value)


def _url_prefix_checker(multi_level: bool) -> Checker:
    def check(path: str, value: Any, warnings: Warnings) -> None:
        _check_string(path, value, warnings)
        prefix = value.strip('/')
        segments = prefix.split('/') if prefix else []
        if not all(_URL_PREFIX_SEGMENT_RE.fullmatch(s) for s in segments):
            _fail(path, "a base path of letters, digits and $-_.+!*'() "
                  "(segments separated by '/')", value)
        if len(segments) > 1 and not multi_level:
            _fail(path, 'a single-level base path (websocket APIs take no "/" in it)', value)
    return check


def _check_websocket_tls(path: str, value: Any, warnings: Warnings) -> None:
    _one_of(TLS_VERSIONS)(path, value, warnings)
    if value != 'TLS_1_2':
        _fail(path, 'TLS_1_2 (the only TLS version API Gateway offers websocket domains)',
              value)


def _custom_domain_checker(websocket: bool) -> Checker:
    keys: Dict[str, Checker] = {
        'domain_name': _check_domain_name,
        'certificate_arn': _check_certificate_arn,
        'tls_version': _check_websocket_tls if websocket else _one_of(TLS_VERSIONS),
        'url_prefix': _url_prefix_checker(not websocket),
        'url_prefixes': _check_string_list,
        'tags': _check_string_map,
    }

    def check(path: str, value: Any, warnings: Warnings) -> None:
        if not isinstance(value, dict):
            _fail(path, 'an object with "domain_name" and "certificate_arn"', value)
        for required in ('domain_name', 'certificate_arn'):
            if value.get(required) is None:
                raise ConfigError(f'Invalid {CONFIG_DISPLAY_NAME}: {path} is missing '
                                  f'"{required}"; add it to the custom domain object.')
        for key, item in value.items():
            checker = keys.get(key)
            if checker is None:
                warnings.append(_unknown_key_message(f'{path}.{key}', key, keys))
            elif item is not None:
                checker(f'{path}.{key}', item, warnings)
        prefixes = value.get('url_prefixes')
        if prefixes is not None:
            if value.get('url_prefix') is not None:
                raise ConfigError(f'Invalid {CONFIG_DISPLAY_NAME}: {path} has both url_prefix '
                                  'and url_prefixes; keep one of them.')
            if not prefixes:
                _fail(f'{path}.url_prefixes', 'a non-empty list (leave it out to map the '
                      'root path)', prefixes)
            for index, item in enumerate(prefixes):
                keys['url_prefix'](f'{path}.url_prefixes[{index}]', item, warnings)
            normalized = [item.strip('/') for item in prefixes]
            if len(set(normalized)) != len(normalized):
                _fail(f'{path}.url_prefixes', 'a list of distinct base paths', prefixes)
    return check


def custom_domain_url_prefixes(domain: Mapping[str, Any]) -> List[str]:
    """The base paths of a (validated) custom domain object; ``''`` is the root."""
    prefixes = domain.get('url_prefixes')
    if prefixes is None:
        prefixes = [domain.get('url_prefix') or '']
    return [prefix.strip('/') for prefix in prefixes]


def _check_local_jwks(path: str, value: Any, warnings: Warnings) -> None:
    if isinstance(value, str):
        return
    if not isinstance(value, dict) or not isinstance(value.get('keys'), list):
        _fail(path, 'a JSON Web Key Set file name (relative to .chalice) or an object '
              'with a "keys" list', value)
    for index, key in enumerate(value['keys']):
        if not isinstance(key, dict) or not isinstance(key.get('kty'), str):
            _fail(f'{path}.keys[{index}]', 'a JSON Web Key (an object with "kty")', key)


# Keys that may be set per Lambda function (and also per stage / top level).
FUNCTION_KEYS: Dict[str, Checker] = {
    'autogen_policy': _check_bool,
    'environment_variables': _check_string_map,
    'iam_policy_file': _check_string,
    'iam_role_arn': _check_string,
    'lambda_memory_size': _check_memory_size,
    'lambda_timeout': _int_between(1, 900, 'seconds'),
    'layers': _check_string_list,
    'manage_iam_role': _check_bool,
    'reserved_concurrency': _int_between(0, None),
    'security_group_ids': _check_string_list,
    'subnet_ids': _check_string_list,
    'tags': _check_tags,
    'lambda_ephemeral_storage': _int_between(512, 10240, 'MB'),
    'lambda_architecture': _one_of(LAMBDA_ARCHITECTURES),
    'xray': _check_bool,
    'log_retention_in_days': _check_log_retention,
}

# Keys that may be set per stage or at the top level (a superset of the above).
STAGE_KEYS: Dict[str, Checker] = dict(FUNCTION_KEYS, **{
    'api_gateway_endpoint_type': _one_of(ENDPOINT_TYPES),
    'api_gateway_endpoint_vpce': _check_string_or_list,
    'api_gateway_policy_file': _check_string,
    'api_gateway_stage': _check_string,
    'websocket_api_stage': _check_string,
    'api_gateway_custom_domain': _custom_domain_checker(websocket=False),
    'websocket_api_custom_domain': _custom_domain_checker(websocket=True),
    'automatic_layer': _check_bool,
    'minimum_compression_size': _int_between(0, MAX_COMPRESSION_SIZE, 'bytes'),
    'api_gateway_type': _one_of(API_GATEWAY_TYPES),
    'local_jwks': _check_local_jwks,
})

TOP_LEVEL_ONLY_KEYS = ('version', 'app_name', 'stages')


def _unknown_key_message(path: str, key: str, known: Iterable[str]) -> str:
    message = f'Unknown key in {CONFIG_DISPLAY_NAME}: {path}'
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.8)
    if close:
        message += f' (did you mean {close[0]}?)'
    return message


def _check_section(path: str, value: Any, what: str) -> None:
    if not isinstance(value, dict):
        _fail(path, f'an object mapping {what}', value)


def _collect(errors: List[str], check: Callable[..., None], *args: Any) -> bool:
    """Run one check; a ``ConfigError`` becomes a line in ``errors`` (False)."""
    try:
        check(*args)
    except ConfigError as error:
        errors.append(str(error))
        return False
    return True


def _validate_functions(path: str, value: Any, warnings: Warnings, errors: List[str]) -> None:
    if not _collect(errors, _check_section, path, value, 'Lambda function names to settings'):
        return
    for name, section in value.items():
        fn_path = f'{path}.{name}'
        if not isinstance(section, dict):
            _collect(errors, _fail, fn_path, 'an object of per-function settings', section)
            continue
        for key, item in section.items():
            key_path = f'{fn_path}.{key}'
            if key in FUNCTION_KEYS:
                if item is not None:
                    _collect(errors, FUNCTION_KEYS[key], key_path, item, warnings)
            elif key in STAGE_KEYS or key in TOP_LEVEL_ONLY_KEYS or key == 'lambda_functions':
                warnings.append(f'{key_path} in {CONFIG_DISPLAY_NAME} is not a per-function '
                                'setting and is ignored; move it to the stage or top level.')
            else:
                warnings.append(_unknown_key_message(key_path, key, FUNCTION_KEYS))


def _validate_stage_keys(prefix: str, section: Mapping[str, Any], warnings: Warnings,
                         errors: List[str], top_level: bool) -> None:
    for key, item in section.items():
        key_path = prefix + key
        if key in STAGE_KEYS:
            if item is not None:
                _collect(errors, STAGE_KEYS[key], key_path, item, warnings)
        elif key == 'lambda_functions':
            _validate_functions(key_path, item, warnings, errors)
        elif key in TOP_LEVEL_ONLY_KEYS:
            if not top_level:
                warnings.append(f'{key_path} in {CONFIG_DISPLAY_NAME} is ignored: "{key}" is '
                                'only allowed at the top level.')
        else:
            known = list(STAGE_KEYS) + ['lambda_functions']
            if top_level:
                known += list(TOP_LEVEL_ONLY_KEYS)
            warnings.append(_unknown_key_message(key_path, key, known))


def check_config(config: Mapping[str, Any]) -> Tuple[List[str], List[str]]:
    """Check the type and range of every key; return ``(errors, warnings)``.

    Every problem is found in one walk: each error is one line naming the
    key path, what is expected and what was found.  A file whose top level
    is not an object still raises ``ConfigError`` at once.
    """
    if not isinstance(config, dict):
        raise ConfigError(f'{CONFIG_DISPLAY_NAME} must contain a JSON object at the top level, '
                          f'got {_json_type(config)}.')
    warnings: Warnings = []
    errors: List[str] = []
    for key in ('version', 'app_name'):
        if config.get(key) is not None:
            _collect(errors, _check_string, key, config[key], warnings)
    stages = config.get('stages')
    if stages is not None and _collect(errors, _check_section, 'stages', stages,
                                       'stage names to stage settings'):
        for name, section in stages.items():
            if not isinstance(section, dict):
                _collect(errors, _fail, f'stages.{name}', 'an object of stage settings', section)
                continue
            _validate_stage_keys(f'stages.{name}.', section, warnings, errors, top_level=False)
    _validate_stage_keys('', config, warnings, errors, top_level=True)
    _collect(errors, _check_api_gateway_types, config, warnings)
    return errors, warnings


def validate_config(config: Mapping[str, Any]) -> List[str]:
    """Check a parsed config file; return warnings, raise on errors.

    Values of the wrong type or out of range raise one
    :class:`~chalice.errors.ValidationError` (a ``ConfigError``) with a line
    per problem, each naming the key path (``stages.dev.lambda_timeout``)
    and what is expected.  Unknown keys, and known keys at a level where
    they have no effect, are reported as warning strings.  A JSON ``null``
    counts as "not set".
    """
    errors, warnings = check_config(config)
    if errors:
        raise ValidationError(errors)
    return warnings


# What an HTTP API (``api_gateway_type: HTTP``) cannot take: the key, and why.
_REST_ONLY_KEYS = {
    'api_gateway_endpoint_vpce': 'VPC endpoints serve private REST APIs only',
    'api_gateway_policy_file': 'resource policies are a REST API feature; protect HTTP API '
                               'routes with an authorizer (IAMAuthorizer, JWTAuthorizer or '
                               '@app.authorizer) instead',
    'minimum_compression_size': 'HTTP APIs do not compress responses',
    'api_gateway_custom_domain': 'chalice does not set up custom domains for HTTP APIs yet',
}


def _check_api_gateway_types(config: Mapping[str, Any], warnings: Warnings) -> None:
    """Refuse the REST-only settings of every stage whose API is an HTTP API.

    The top level counts as a stage of its own (``dev`` without a stages
    entry uses it); a setting is reported at the path where it is written.
    """
    stages = config.get('stages')
    sections: List[Tuple[str, Mapping[str, Any]]] = [('', {})]
    if isinstance(stages, dict):
        sections += [(f'stages.{name}.', section) for name, section in stages.items()
                     if isinstance(section, dict)]
    for prefix, section in sections:
        api_type = section.get('api_gateway_type') or config.get('api_gateway_type')
        if api_type == 'HTTP':
            _check_http_api_stage(config, prefix, section, warnings)


def _stage_setting(config: Mapping[str, Any], prefix: str, section: Mapping[str, Any],
                   key: str) -> Tuple[str, Any]:
    """``(path, value)`` of a key for one stage: its own value, else the top level's."""
    if section.get(key) is not None:
        return prefix + key, section[key]
    return key, config.get(key)


def _check_http_api_stage(config: Mapping[str, Any], prefix: str, section: Mapping[str, Any],
                          warnings: Warnings) -> None:
    where = f'stage {prefix[len("stages."):-1]}' if prefix else 'the top level'
    for key, reason in _REST_ONLY_KEYS.items():
        path, value = _stage_setting(config, prefix, section, key)
        if value is not None:
            raise ConfigError(
                f'Invalid {CONFIG_DISPLAY_NAME}: {path} cannot be used with api_gateway_type '
                f'HTTP ({where}): {reason}; remove it or set api_gateway_type to REST.')
    path, value = _stage_setting(config, prefix, section, 'api_gateway_endpoint_type')
    if value is not None and value != 'REGIONAL':
        reason = ('HTTP APIs have no private endpoints' if value == 'PRIVATE'
                  else 'HTTP APIs are always REGIONAL')
        raise ConfigError(
            f'Invalid {CONFIG_DISPLAY_NAME}: {path} is {value}, but {reason} (api_gateway_type '
            f'HTTP, {where}): set it to REGIONAL or remove it, or set api_gateway_type to '
            'REST.')
    path, value = _stage_setting(config, prefix, section, 'api_gateway_stage')
    message = (f'{path} in {CONFIG_DISPLAY_NAME} is ignored: an HTTP API serves every '
               'request from its $default stage, whose URL has no stage name in it.')
    if value not in (None, DEFAULT_API_GATEWAY_STAGE) and message not in warnings:
        warnings.append(message)


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
        return self._chain_lookup('websocket_api_stage', DEFAULT_WEBSOCKET_API_STAGE)

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
        _check_local_jwks('local_jwks', document, [])
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
