"""The schema of ``.chalice/config.json``: its keys, their types and ranges.

:func:`check_config` walks a parsed config file once and returns every
problem: an error line for each value of the wrong type or out of range
(naming the key path, what is expected and what was found) and a warning
for each unknown or misplaced key.  :func:`validate_config` raises the
errors as one :class:`~chalice.errors.ValidationError`.  Which keys exist
at which level is :data:`FUNCTION_KEYS` and :data:`STAGE_KEYS`; AWS's
limits on the values (name patterns, counts) are checked afterwards by
:mod:`chalice.validation`.

:mod:`chalice.config` (loading and resolving the file) builds on this
module and re-exports its public names; this module imports nothing of
chalice but the errors.  Standard library only.
"""
from __future__ import annotations

import difflib
import json
import re
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from chalice.errors import ConfigError, ValidationError

CHALICE_DIR = '.chalice'
CONFIG_FILENAME = 'config.json'
CONFIG_DISPLAY_NAME = CHALICE_DIR + '/' + CONFIG_FILENAME
DEFAULT_API_GATEWAY_STAGE = 'api'
CHALICE_TAG_KEY = 'aws-chalice'
ENDPOINT_TYPES = ('EDGE', 'REGIONAL', 'PRIVATE')
# ``api_gateway_type``: a REST API (API Gateway v1, the default) or an HTTP API (v2).
API_GATEWAY_TYPES = ('REST', 'HTTP')
TLS_VERSIONS = ('TLS_1_0', 'TLS_1_2')
# The instruction set architectures Lambda runs functions on.
LAMBDA_ARCHITECTURES = ('x86_64', 'arm64')
# The retention periods (in days) that CloudWatch Logs accepts.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545,
                      731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
MIN_MEMORY_SIZE, MAX_MEMORY_SIZE = 128, 10240
MAX_COMPRESSION_SIZE = 10485760

Warnings = List[str]
Checker = Callable[[str, Any, Warnings], None]


def json_type(value: Any) -> str:
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


def check_local_jwks(path: str, value: Any, warnings: Warnings) -> None:
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
    'local_jwks': check_local_jwks,
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
                          f'got {json_type(config)}.')
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
    path, domain = _stage_setting(config, prefix, section, 'api_gateway_custom_domain')
    tls_version = domain.get('tls_version') if isinstance(domain, dict) else None
    if tls_version in TLS_VERSIONS and tls_version != 'TLS_1_2':  # others: type check's
        raise ConfigError(
            f'Invalid {CONFIG_DISPLAY_NAME}: {path}.tls_version is {tls_version}, but API '
            f'Gateway offers HTTP API custom domains TLS_1_2 only (api_gateway_type HTTP, '
            f'{where}): set it to TLS_1_2 or remove it, or set api_gateway_type to REST.')
    path, value = _stage_setting(config, prefix, section, 'api_gateway_stage')
    message = (f'{path} in {CONFIG_DISPLAY_NAME} is ignored: an HTTP API serves every '
               'request from its $default stage, whose URL has no stage name in it.')
    if value not in (None, DEFAULT_API_GATEWAY_STAGE) and message not in warnings:
        warnings.append(message)
