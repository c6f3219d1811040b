"""Tests for chalice.config: loading, validation and per-stage resolution."""
import ast
import json
import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalice import __version__
from chalice.config import (
    DEFAULT_HANDLER_NAME,
    DEFAULT_STAGE_NAME,
    FUNCTION_KEYS,
    LOG_RETENTION_DAYS,
    STAGE_KEYS,
    Config,
    config_file_path,
    custom_domain_url_prefixes,
    lambda_python_version,
    lambda_python_version_warning,
    lambda_settings,
    load_config_file,
    load_project_config,
    resolve_chalice_path,
    validate_config,
)
from chalice.errors import ChaliceError, ConfigError

# ---------------------------------------------------------------------------
# Precedence of scalar keys
# ---------------------------------------------------------------------------

# Each level of the chain sets lambda_timeout to a distinct value, so the
# resolved number says which level won.
LEVEL_VALUES = {
    'stage_function': 1,
    'user': 2,
    'stage': 3,
    'top_function': 4,
    'top': 5,
    'default': 6,
}


def _build_config(levels, key='lambda_timeout', stage='dev', function='foo'):
    """Build a Config with *key* set at each of the named *levels*."""
    disk = {'version': '2.0', 'app_name': 'app', 'stages': {stage: {}}}
    user, defaults = {}, {}
    for level, value in levels.items():
        if level == 'stage_function':
            disk['stages'][stage].setdefault('lambda_functions', {})[function] = {key: value}
        elif level == 'user':
            user[key] = value
        elif level == 'stage':
            disk['stages'][stage][key] = value
        elif level == 'top_function':
            disk.setdefault('lambda_functions', {})[function] = {key: value}
        elif level == 'top':
            disk[key] = value
        elif level == 'default':
            defaults[key] = value
    return Config(stage, function, user_provided_params=user, config_from_disk=disk,
                  default_params=defaults)


CHAIN = list(LEVEL_VALUES)


@pytest.mark.parametrize('present, winner', [
    # Every level on its own wins.
    *[([level], level) for level in CHAIN],
    # With every level from position i downwards present, position i wins.
    *[(CHAIN[i:], CHAIN[i]) for i in range(len(CHAIN))],
    # Pairs that pin the surprising parts of the order.
    (['user', 'stage_function'], 'stage_function'),
    (['stage', 'user'], 'user'),
    (['top_function', 'stage'], 'stage'),
    (['top', 'top_function'], 'top_function'),
    (['default', 'top'], 'top'),
])
def test_scalar_chain_precedence(present, winner):
    config = _build_config({level: LEVEL_VALUES[level] for level in present})
    assert config.lambda_timeout == LEVEL_VALUES[winner]


def test_scalar_chain_is_none_when_no_level_sets_it():
    # As in Chalice 1.x; whoever builds a function applies the default.
    assert _build_config({}).lambda_timeout is None
    assert lambda_settings(_build_config({})) == (128, 60, 512)
    assert lambda_settings(None) == (128, 60, 512)
    assert lambda_settings(_build_config({'stage': 7}))[1] == 7


@pytest.mark.parametrize('level', CHAIN)
def test_null_at_a_level_is_treated_as_unset(level):
    levels = {name: LEVEL_VALUES[name] for name in CHAIN}
    levels[level] = None
    expected = next(LEVEL_VALUES[n] for n in CHAIN if levels[n] is not None)
    assert _build_config(levels).lambda_timeout == expected


@pytest.mark.parametrize('level, expected', [
    # api_gateway_stage is not a per-function key: function sections are skipped.
    ('stage_function', 'api'),
    ('top_function', 'api'),
    ('user', 'from-user'),
    ('stage', 'from-stage'),
    ('top', 'from-top'),
    ('default', 'from-default'),
])
def test_stage_only_key_ignores_function_sections(level, expected):
    config = _build_config({level: 'from-' + level.split('_')[0]}, key='api_gateway_stage')
    assert config.api_gateway_stage == expected


def test_other_function_and_stage_sections_do_not_leak():
    disk = {
        'lambda_timeout': 10,
        'lambda_functions': {'bar': {'lambda_timeout': 20}},
        'stages': {
            'dev': {'lambda_functions': {'bar': {'lambda_timeout': 30}}},
            'prod': {'lambda_timeout': 40},
        },
    }
    assert Config('dev', 'foo', config_from_disk=disk).lambda_timeout == 10
    assert Config('dev', 'bar', config_from_disk=disk).lambda_timeout == 30
    # A stage value beats the top-level function section.
    assert Config('prod', 'bar', config_from_disk=disk).lambda_timeout == 40
    assert Config('prod', 'foo', config_from_disk=disk).lambda_timeout == 40
    assert Config('beta', 'bar', config_from_disk=disk).lambda_timeout == 20
    assert Config('beta', 'foo', config_from_disk=disk).lambda_timeout == 10


def test_documented_precedence_example():
    disk = {
        'version': '2.0', 'app_name': 'app', 'api_gateway_stage': 'api',
        'stages': {
            'dev': {}, 'beta': {},
            'prod': {'api_gateway_stage': 'prod', 'manage_iam_role': False,
                     'iam_role_arn': 'arn:aws:iam::1:role/prod-role'},
        },
    }
    stages = {s: Config(s, config_from_disk=disk) for s in ('dev', 'beta', 'prod')}
    assert stages['dev'].api_gateway_stage == 'api'
    assert stages['beta'].api_gateway_stage == 'api'
    assert stages['prod'].api_gateway_stage == 'prod'
    assert stages['dev'].manage_iam_role is True
    assert stages['prod'].manage_iam_role is False
    assert stages['prod'].iam_role_arn == 'arn:aws:iam::1:role/prod-role'


def test_documented_per_lambda_example():
    disk = {
        'version': '2.0', 'app_name': 'demo',
        'stages': {'dev': {
            'environment_variables': {'OWNER': 'dev-team'},
            'api_gateway_stage': 'api',
            'lambda_functions': {
                'foo': {'subnet_ids': ['sn-1', 'sn-2'],
                        'security_group_ids': ['sg-10', 'sg-11'],
                        'layers': ['layer-arn-1', 'layer-arn-2']},
                'bar': {'manage_iam_role': False, 'iam_role_arn': 'arn:aws:iam::my-role-name',
                        'environment_variables': {'TABLE_NAME': 'mytable'}},
            },
        }},
    }
    foo = Config('dev', 'foo', config_from_disk=disk)
    bar = foo.scope('dev', 'bar')
    assert foo.subnet_ids == ['sn-1', 'sn-2']
    assert foo.security_group_ids == ['sg-10', 'sg-11']
    assert foo.layers == ['layer-arn-1', 'layer-arn-2']
    assert foo.manage_iam_role is True
    assert foo.environment_variables == {'OWNER': 'dev-team'}
    assert bar.manage_iam_role is False
    assert bar.iam_role_arn == 'arn:aws:iam::my-role-name'
    assert bar.subnet_ids == []
    assert bar.environment_variables == {'OWNER': 'dev-team', 'TABLE_NAME': 'mytable'}


# ---------------------------------------------------------------------------
# Merged keys
# ---------------------------------------------------------------------------

MERGE_ORDER = ['default', 'top', 'top_function', 'stage', 'stage_function', 'user']


def _merge_config(key, per_level):
    """Config where each level sets ``{'SHARED': level, '<LEVEL>': level}``."""
    disk = {'stages': {'dev': {'lambda_functions': {'foo': {}}}},
            'lambda_functions': {'foo': {}}}
    user, defaults = {}, {}
    targets = {
        'default': defaults, 'top': disk, 'top_function': disk['lambda_functions']['foo'],
        'stage': disk['stages']['dev'],
        'stage_function': disk['stages']['dev']['lambda_functions']['foo'], 'user': user,
    }
    for level in per_level:
        targets[level][key] = {'SHARED': level, level.upper(): level}
    return Config('dev', 'foo', user_provided_params=user, config_from_disk=disk,
                  default_params=defaults)


@pytest.mark.parametrize('key', ['environment_variables', 'tags'])
@pytest.mark.parametrize('present', [
    MERGE_ORDER,
    ['top', 'stage'],
    ['top_function', 'stage'],
    ['top', 'top_function'],
    ['stage', 'stage_function'],
    ['stage_function', 'user'],
    ['default', 'top'],
    ['default'],
    ['user'],
])
def test_merge_order(key, present):
    config = _merge_config(key, present)
    merged = getattr(config, key)
    last = max(present, key=MERGE_ORDER.index)
    assert merged['SHARED'] == last
    for level in present:
        assert merged[level.upper()] == level
    for level in set(MERGE_ORDER) - set(present):
        assert level.upper() not in merged


def test_documented_environment_variables_example():
    disk = {
        'environment_variables': {'SHARED_CONFIG': 'foo', 'OTHER_CONFIG': 'from-top'},
        'stages': {
            'dev': {'environment_variables': {'TABLE_NAME': 'dev-table',
                                              'OTHER_CONFIG': 'dev-value'}},
            'prod': {'environment_variables': {'TABLE_NAME': 'prod-table',
                                               'OTHER_CONFIG': 'prod-value'}},
        },
    }
    config = Config('dev', config_from_disk=disk)
    assert config.environment_variables == {
        'SHARED_CONFIG': 'foo', 'TABLE_NAME': 'dev-table', 'OTHER_CONFIG': 'dev-value'}
    assert config.scope('prod', 'api_handler').environment_variables == {
        'SHARED_CONFIG': 'foo', 'TABLE_NAME': 'prod-table', 'OTHER_CONFIG': 'prod-value'}


def test_merged_values_are_copies():
    disk = {'environment_variables': {'A': '1'}, 'tags': {'t': 'v'}}
    config = Config(config_from_disk=disk)
    config.environment_variables['B'] = '2'
    config.tags['x'] = 'y'
    assert disk == {'environment_variables': {'A': '1'}, 'tags': {'t': 'v'}}
    assert config.environment_variables == {'A': '1'}


@given(st.lists(st.sampled_from(MERGE_ORDER), unique=True))
def test_merge_matches_reference_model(present):
    # Reference model: dict.update over the levels in documented order.
    config = _merge_config('environment_variables', present)
    expected = {}
    for level in MERGE_ORDER:
        if level in present:
            expected.update({'SHARED': level, level.upper(): level})
    assert config.environment_variables == expected


def test_layers_are_not_merged():
    disk = {'layers': ['top-layer'],
            'stages': {'dev': {'layers': ['stage-layer'],
                               'lambda_functions': {'foo': {'layers': ['fn-layer']}}}}}
    assert Config('dev', 'foo', config_from_disk=disk).layers == ['fn-layer']
    assert Config('dev', 'bar', config_from_disk=disk).layers == ['stage-layer']
    assert Config('prod', 'bar', config_from_disk=disk).layers == ['top-layer']


# ---------------------------------------------------------------------------
# Tags
# ---------------------------------------------------------------------------

def test_default_tag_is_always_present():
    config = Config('prod', config_from_disk={'app_name': 'myapp'})
    assert config.tags == {
        'aws-chalice': f'version={__version__}:stage=prod:app=myapp'}


def test_user_tags_are_merged_with_chalice_tag():
    disk = {'app_name': 'myapp', 'tags': {'team': 'a', 'env': 'top'},
            'stages': {'dev': {'tags': {'env': 'dev'}}}}
    assert Config(config_from_disk=disk).tags == {
        'team': 'a', 'env': 'dev',
        'aws-chalice': f'version={__version__}:stage=dev:app=myapp'}


def test_chalice_tag_cannot_be_overridden():
    disk = {'app_name': 'myapp', 'tags': {'aws-chalice': 'mine'}}
    config = Config(config_from_disk=disk, user_provided_params={'tags': {'aws-chalice': 'x'}})
    assert config.tags['aws-chalice'] == f'version={__version__}:stage=dev:app=myapp'


def test_chalice_tag_uses_user_provided_app_name():
    config = Config(user_provided_params={'app_name': 'cli-name'},
                    config_from_disk={'app_name': 'disk-name'})
    assert config.app_name == 'cli-name'
    assert config.tags['aws-chalice'].endswith(':app=cli-name')


# ---------------------------------------------------------------------------
# Defaults and the rest of the properties
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('prop, expected', [
    ('chalice_stage', 'dev'),
    ('function_name', 'api_handler'),
    ('chalice_app', None),
    ('project_dir', None),
    ('app_name', None),
    ('api_gateway_stage', 'api'),
    ('websocket_api_stage', 'api'),  # the api_gateway_stage's default
    ('api_gateway_endpoint_type', 'EDGE'),
    ('api_gateway_endpoint_vpce', None),
    ('api_gateway_policy_file', None),
    ('api_gateway_custom_domain', None),
    ('websocket_api_custom_domain', None),
    ('minimum_compression_size', None),
    ('iam_role_arn', None),
    ('manage_iam_role', True),
    ('autogen_policy', None),
    ('autogen_policy_enabled', True),
    ('iam_policy_file', None),
    ('lambda_memory_size', None),
    ('lambda_timeout', None),
    ('lambda_ephemeral_storage', None),
    ('profile', None),
    ('lambda_architecture', 'x86_64'),
    ('environment_variables', {}),
    ('layers', []),
    ('automatic_layer', False),
    ('xray', False),
    ('log_retention_in_days', None),
    ('security_group_ids', []),
    ('subnet_ids', []),
    ('reserved_concurrency', None),
    ('connection_timeout', None),
    ('config_from_disk', {}),
])
def test_builtin_defaults(prop, expected):
    assert getattr(Config(), prop) == expected


@pytest.mark.parametrize('key, value', [
    ('api_gateway_stage', 'v1'),
    ('websocket_api_stage', 'ws'),
    ('api_gateway_endpoint_type', 'PRIVATE'),
    ('api_gateway_endpoint_vpce', ['vpce-1', 'vpce-2']),
    ('api_gateway_policy_file', 'rest-policy.json'),
    ('minimum_compression_size', 0),
    ('iam_role_arn', 'arn:aws:iam::1:role/r'),
    ('manage_iam_role', False),
    ('autogen_policy', False),
    ('iam_policy_file', 'custom.json'),
    ('lambda_memory_size', 1024),
    ('lambda_timeout', 900),
    ('lambda_ephemeral_storage', 10240),
    ('lambda_architecture', 'arm64'),
    ('layers', ['arn:layer']),
    ('automatic_layer', True),
    ('xray', True),
    ('log_retention_in_days', 14),
    ('security_group_ids', ['sg-1']),
    ('subnet_ids', ['sn-1']),
    ('reserved_concurrency', 0),
])
def test_properties_read_stage_values(key, value):
    config = Config('prod', config_from_disk={'stages': {'prod': {key: value}}})
    assert getattr(config, key) == value
    # ...and validation accepts the same value.
    assert validate_config({'stages': {'prod': {key: value}}}) == []


def test_websocket_api_stage_defaults_to_the_api_gateway_stage():
    # AWS Chalice 1.34 serves websockets from the api_gateway_stage.
    config = Config('prod', config_from_disk={'api_gateway_stage': 'v1'})
    assert config.websocket_api_stage == 'v1'
    config = Config('prod', config_from_disk={'api_gateway_stage': 'v1',
                                              'stages': {'prod': {'websocket_api_stage': 'ws'}}})
    assert config.websocket_api_stage == 'ws'


def test_autogen_policy_false_is_not_treated_as_unset():
    config = Config(config_from_disk={'autogen_policy': False})
    assert config.autogen_policy is False
    assert config.autogen_policy_enabled is False
    # A CLI default of None does not mask the file's value.
    assert Config(user_provided_params={'autogen_policy': None},
                  config_from_disk={'autogen_policy': False}).autogen_policy is False
    assert Config(user_provided_params={'autogen_policy': True},
                  config_from_disk={'autogen_policy': False}).autogen_policy is True


def test_user_params_identity_values():
    app = object()
    config = Config.create(chalice_stage='prod', function_name='foo', chalice_app=app,
                           project_dir='/p', connection_timeout=30, api_gateway_stage='x')
    assert config.chalice_stage == 'prod'
    assert config.function_name == 'foo'
    assert config.chalice_app is app
    assert config.project_dir == '/p'
    assert config.connection_timeout == 30
    assert config.api_gateway_stage == 'x'
    assert config.config_from_disk == {}


def test_custom_domain_gets_default_tls_version():
    domain = {'domain_name': 'api.example.com', 'certificate_arn': 'arn:cert',
              'url_prefix': 'v1'}
    config = Config(config_from_disk={'stages': {'dev': {'api_gateway_custom_domain': domain,
                                                         'websocket_api_custom_domain': dict(
                                                             domain, tls_version='TLS_1_0')}}})
    assert config.api_gateway_custom_domain == dict(domain, tls_version='TLS_1_2')
    assert config.websocket_api_custom_domain['tls_version'] == 'TLS_1_0'
    assert 'tls_version' not in domain


@pytest.mark.parametrize('domain, prefixes', [
    ({}, ['']), ({'url_prefix': None}, ['']), ({'url_prefix': '/'}, ['']),
    ({'url_prefix': '/v1/'}, ['v1']), ({'url_prefixes': ['/', 'a/b', 'c']}, ['', 'a/b', 'c']),
])
def test_custom_domain_url_prefixes_are_base_paths(domain, prefixes):
    assert custom_domain_url_prefixes(domain) == prefixes


def test_vpce_string_is_returned_as_written():
    config = Config(config_from_disk={'api_gateway_endpoint_vpce': 'vpce-1'})
    assert config.api_gateway_endpoint_vpce == 'vpce-1'


# ---------------------------------------------------------------------------
# scope(), stages, paths
# ---------------------------------------------------------------------------

def test_scope_keeps_data_and_changes_stage_and_function():
    disk = {'app_name': 'app', 'stages': {
        'dev': {'lambda_timeout': 10},
        'prod': {'lambda_timeout': 20, 'lambda_functions': {'foo': {'lambda_timeout': 30}}}}}
    config = Config('dev', user_provided_params={'project_dir': '/p'}, config_from_disk=disk,
                    default_params={'lambda_memory_size': 256})
    scoped = config.scope('prod', 'foo')
    assert (scoped.chalice_stage, scoped.function_name) == ('prod', 'foo')
    assert scoped.lambda_timeout == 30
    assert scoped.scope('prod', 'bar').lambda_timeout == 20
    assert scoped.project_dir == '/p'
    assert scoped.lambda_memory_size == 256
    assert scoped.config_from_disk is disk
    assert (config.chalice_stage, config.lambda_timeout) == ('dev', 10)


def test_stage_names_and_has_stage():
    config = Config(config_from_disk={'stages': {'dev': {}, 'prod': {}}})
    assert config.stage_names() == ['dev', 'prod']
    assert config.has_stage('prod')
    assert not config.has_stage('beta')
    assert Config().stage_names() == []


def test_validate_stage():
    config = Config(config_from_disk={'stages': {'dev': {}}})
    config.validate_stage('dev')
    with pytest.raises(ConfigError) as exc:
        config.validate_stage('prod')
    assert str(exc.value).startswith(
        "Stage 'prod' is not defined in .chalice/config.json; defined stages: dev")
    assert exc.value.exit_code == 2


def test_validate_stage_accepts_default_stage_without_stages_key():
    Config(config_from_disk={'app_name': 'a'}).validate_stage('dev')
    with pytest.raises(ConfigError, match=r'defined stages: \(none\)'):
        Config().validate_stage('prod')


def test_policy_paths_are_relative_to_chalice_dir(tmp_path):
    config = Config('beta', user_provided_params={'project_dir': str(tmp_path)},
                    config_from_disk={'stages': {'beta': {
                        'iam_policy_file': 'beta-app-policy.json',
                        'api_gateway_policy_file': 'rest.json'}}})
    chalice_dir = tmp_path / '.chalice'
    assert config.iam_policy_file_path() == str(chalice_dir / 'beta-app-policy.json')
    assert config.api_gateway_policy_file_path() == str(chalice_dir / 'rest.json')
    assert config.iam_policy_file_path('/other') == '/other/.chalice/beta-app-policy.json'


def test_default_policy_path_is_per_stage(tmp_path):
    config = Config('prod')
    assert config.iam_policy_file_path(str(tmp_path)) == str(
        tmp_path / '.chalice' / 'policy-prod.json')
    assert config.api_gateway_policy_file_path(str(tmp_path)) is None
    with pytest.raises(ValueError):
        config.iam_policy_file_path()


def test_resolve_chalice_path_keeps_absolute_names():
    assert resolve_chalice_path('/p', '/abs/policy.json') == '/abs/policy.json'
    assert resolve_chalice_path('/p', 'x.json') == '/p/.chalice/x.json'


# ---------------------------------------------------------------------------
# Python runtime
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('version_info, expected', [
    ((3, 8, 1), 'python3.10'),
    ((3, 10, 0), 'python3.10'),
    ((3, 11, 4), 'python3.11'),
    ((3, 12, 0), 'python3.12'),
    ((3, 13, 1), 'python3.13'),
    ((3, 14, 0), 'python3.14'),
    ((3, 15, 2), 'python3.14'),
    ((4, 0, 0), 'python3.14'),
])
def test_lambda_python_version_is_clamped(version_info, expected):
    assert lambda_python_version(version_info) == expected


def test_lambda_python_version_warning():
    assert lambda_python_version_warning((3, 11, 2)) is None
    message = lambda_python_version_warning((3, 9, 0))
    assert 'python3.9' in message and 'python3.10' in message
    assert lambda_python_version_warning((3, 14, 1)) is None
    message = lambda_python_version_warning((3, 15, 0))
    assert 'python3.15' in message and 'Chalice will use python3.14' in message


def test_config_python_version_matches_interpreter():
    expected = lambda_python_version(sys.version_info)
    assert Config().lambda_python_version == expected
    if (3, 10) <= sys.version_info[:2] <= (3, 14):
        assert expected == 'python%d.%d' % sys.version_info[:2]


# ---------------------------------------------------------------------------
# Validation errors
# ---------------------------------------------------------------------------

DOMAIN = {'domain_name': 'api.example.com',
          'certificate_arn': 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b-2c3d'}


def _stage(key, value, stage='dev'):
    return {'version': '2.0', 'app_name': 'app', 'stages': {stage: {key: value}}}


def _fn(key, value, where='stage'):
    section = {'lambda_functions': {'foo': {key: value}}}
    if where == 'top':
        return dict({'version': '2.0'}, **section)
    return {'stages': {'dev': section}}


@pytest.mark.parametrize('config, message', [
    ({'version': 2.0}, 'version must be a string, got 2.0'),
    ({'app_name': ['x']}, 'app_name must be a string, got ["x"]'),
    ({'stages': []}, 'stages must be an object mapping stage names to stage settings'),
    ({'stages': {'dev': 'x'}}, 'stages.dev must be an object of stage settings, got "x"'),
    ({'lambda_functions': []},
     'lambda_functions must be an object mapping Lambda function names'),
    ({'lambda_functions': {'foo': 1}},
     'lambda_functions.foo must be an object of per-function settings, got 1'),
    ({'stages': {'dev': {'lambda_functions': 'foo'}}},
     'stages.dev.lambda_functions must be an object mapping Lambda function names'),
    ({'stages': {'dev': {'lambda_functions': {'foo': []}}}},
     'stages.dev.lambda_functions.foo must be an object of per-function settings, got []'),
    (_stage('lambda_timeout', '60'), 'stages.dev.lambda_timeout must be an integer, got "60"'),
    (_stage('lambda_timeout', True), 'stages.dev.lambda_timeout must be an integer, got true'),
    (_stage('lambda_timeout', 1.5), 'stages.dev.lambda_timeout must be an integer, got 1.5'),
    (_stage('lambda_timeout', 0),
     'stages.dev.lambda_timeout must be between 1 and 900 (seconds), got 0'),
    (_stage('lambda_timeout', 901),
     'stages.dev.lambda_timeout must be between 1 and 900 (seconds), got 901'),
    (_stage('lambda_memory_size', '128'),
     'stages.dev.lambda_memory_size must be an integer, got "128"'),
    (_stage('lambda_memory_size', 64),
     'stages.dev.lambda_memory_size must be between 128 and 10240 (MB), got 64'),
    (_stage('lambda_memory_size', 10304),
     'stages.dev.lambda_memory_size must be between 128 and 10240 (MB), got 10304'),
    (_stage('lambda_ephemeral_storage', 511),
     'stages.dev.lambda_ephemeral_storage must be between 512 and 10240 (MB), got 511'),
    (_stage('lambda_ephemeral_storage', 10241),
     'stages.dev.lambda_ephemeral_storage must be between 512 and 10240 (MB), got 10241'),
    (_stage('reserved_concurrency', -1),
     'stages.dev.reserved_concurrency must be an integer of at least 0, got -1'),
    (_stage('reserved_concurrency', False),
     'stages.dev.reserved_concurrency must be an integer, got false'),
    (_stage('minimum_compression_size', -1),
     'stages.dev.minimum_compression_size must be between 0 and 10485760 (bytes), got -1'),
    (_stage('minimum_compression_size', 10485761),
     'stages.dev.minimum_compression_size must be between 0 and 10485760'),
    (_stage('minimum_compression_size', '1'),
     'stages.dev.minimum_compression_size must be an integer, got "1"'),
    (_stage('log_retention_in_days', 2),
     'stages.dev.log_retention_in_days must be a CloudWatch Logs retention period in days, '
     'one of 1, 3, 5, 7, 14,'),
    (_stage('log_retention_in_days', '14'),
     'stages.dev.log_retention_in_days must be an integer, got "14"'),
    (_stage('log_retention_in_days', True),
     'stages.dev.log_retention_in_days must be an integer, got true'),
    (_stage('api_gateway_endpoint_type', 'edge'),
     'stages.dev.api_gateway_endpoint_type must be one of EDGE, REGIONAL, PRIVATE, got "edge"'),
    ({'api_gateway_endpoint_type': 1},
     'api_gateway_endpoint_type must be one of EDGE, REGIONAL, PRIVATE, got 1'),
    (_stage('api_gateway_endpoint_vpce', 5),
     'stages.dev.api_gateway_endpoint_vpce must be a string or a list of strings, got 5'),
    (_stage('api_gateway_endpoint_vpce', ['vpce-1', 2]),
     'stages.dev.api_gateway_endpoint_vpce[1] must be a string, got 2'),
    (_stage('api_gateway_policy_file', {}),
     'stages.dev.api_gateway_policy_file must be a string, got {}'),
    (_stage('api_gateway_stage', 1), 'stages.dev.api_gateway_stage must be a string, got 1'),
    (_stage('websocket_api_stage', False),
     'stages.dev.websocket_api_stage must be a string, got false'),
    (_stage('iam_policy_file', 1), 'stages.dev.iam_policy_file must be a string, got 1'),
    (_stage('iam_role_arn', ['arn']), 'stages.dev.iam_role_arn must be a string, got ["arn"]'),
    (_stage('autogen_policy', 'false'),
     'stages.dev.autogen_policy must be true or false, got "false"'),
    (_stage('manage_iam_role', 0), 'stages.dev.manage_iam_role must be true or false, got 0'),
    (_stage('automatic_layer', 'yes'),
     'stages.dev.automatic_layer must be true or false, got "yes"'),
    (_stage('xray', 1), 'stages.dev.xray must be true or false, got 1'),
    (_stage('environment_variables', ['A=1'], stage='prod'),
     'stages.prod.environment_variables must be an object mapping names to strings'),
    (_stage('environment_variables', {'FOO': 1}, stage='prod'),
     'stages.prod.environment_variables.FOO must be a string, got 1'),
    (_stage('environment_variables', {'FOO': True}, stage='prod'),
     'stages.prod.environment_variables.FOO must be a string, got true'),
    ({'environment_variables': {'FOO': None}},
     'environment_variables.FOO must be a string, got null'),
    (_stage('tags', 'a=b'), 'stages.dev.tags must be an object mapping names to strings'),
    (_stage('tags', {'team': 7}), 'stages.dev.tags.team must be a string, got 7'),
    (_stage('layers', 'arn:layer'),
     'stages.dev.layers must be a list of strings, got "arn:layer"'),
    (_stage('layers', ['a', None]), 'stages.dev.layers[1] must be a string, got null'),
    (_stage('security_group_ids', 'sg-1'),
     'stages.dev.security_group_ids must be a list of strings, got "sg-1"'),
    (_stage('subnet_ids', [1]), 'stages.dev.subnet_ids[0] must be a string, got 1'),
    (_stage('api_gateway_custom_domain', 'api.example.com'),
     'stages.dev.api_gateway_custom_domain must be an object with "domain_name" and '
     '"certificate_arn", got "api.example.com"'),
    (_stage('api_gateway_custom_domain', {'certificate_arn': 'arn'}),
     'stages.dev.api_gateway_custom_domain is missing "domain_name"'),
    (_stage('websocket_api_custom_domain', {'domain_name': 'ws.example.com'}),
     'stages.dev.websocket_api_custom_domain is missing "certificate_arn"'),
    (_stage('api_gateway_custom_domain', {'domain_name': 1, 'certificate_arn': 'a'}),
     'stages.dev.api_gateway_custom_domain.domain_name must be a string, got 1'),
    (_stage('api_gateway_custom_domain', {**DOMAIN,
                                          'tls_version': 'TLS_1_3'}),
     'stages.dev.api_gateway_custom_domain.tls_version must be one of TLS_1_0, TLS_1_2, '
     'got "TLS_1_3"'),
    (_stage('api_gateway_custom_domain', {**DOMAIN,
                                          'url_prefix': ['v1']}),
     'stages.dev.api_gateway_custom_domain.url_prefix must be a string, got ["v1"]'),
    (_stage('websocket_api_custom_domain', {**DOMAIN,
                                            'url_prefixes': 'v1'}),
     'stages.dev.websocket_api_custom_domain.url_prefixes must be a list of strings'),
    (_stage('api_gateway_custom_domain', {'domain_name': 'API.example.com',
                                          'certificate_arn': DOMAIN['certificate_arn']}),
     'stages.dev.api_gateway_custom_domain.domain_name must be a domain name such as '
     'api.example.com in lower case'),
    (_stage('api_gateway_custom_domain', {'domain_name': 'api.example.com.',
                                          'certificate_arn': DOMAIN['certificate_arn']}),
     'stages.dev.api_gateway_custom_domain.domain_name must be a domain name such as '
     'api.example.com (letters'),
    ({'api_gateway_custom_domain': {'domain_name': 'bad_name.example.com',
                                    'certificate_arn': DOMAIN['certificate_arn']}},
     'api_gateway_custom_domain.domain_name must be a domain name'),
    (_stage('api_gateway_custom_domain', {'domain_name': '10.0.0.1',
                                          'certificate_arn': DOMAIN['certificate_arn']}),
     'api_gateway_custom_domain.domain_name must be a domain name'),
    (_stage('api_gateway_custom_domain', {'domain_name': 'api.example.com',
                                          'certificate_arn': 'arn:aws:iam::123456789012:'
                                                             'server-certificate/x'}),
     'stages.dev.api_gateway_custom_domain.certificate_arn must be the ARN of an ACM '
     'certificate (arn:aws:acm:<region>:<account id>:certificate/<id>), got "arn:aws:iam::'),
    (_stage('websocket_api_custom_domain', {'domain_name': 'api.example.com',
                                            'certificate_arn': 'my-cert'}),
     'stages.dev.websocket_api_custom_domain.certificate_arn must be the ARN of an ACM'),
    (_stage('websocket_api_custom_domain', {**DOMAIN, 'tls_version': 'TLS_1_0'}),
     'stages.dev.websocket_api_custom_domain.tls_version must be TLS_1_2 (the only TLS '
     'version API Gateway offers websocket domains), got "TLS_1_0"'),
    (_stage('websocket_api_custom_domain', {**DOMAIN, 'tls_version': 'tls1.2'}),
     'stages.dev.websocket_api_custom_domain.tls_version must be one of TLS_1_0, TLS_1_2'),
    (_stage('websocket_api_custom_domain', {**DOMAIN, 'url_prefix': 'v1/chat'}),
     'stages.dev.websocket_api_custom_domain.url_prefix must be a single-level base path'),
    (_stage('api_gateway_custom_domain', {**DOMAIN, 'url_prefix': 'v 1'}),
     "stages.dev.api_gateway_custom_domain.url_prefix must be a base path of letters"),
    (_stage('api_gateway_custom_domain', {**DOMAIN, 'url_prefix': 'a//b'}),
     "stages.dev.api_gateway_custom_domain.url_prefix must be a base path of letters"),
    (_stage('api_gateway_custom_domain', {**DOMAIN, 'url_prefixes': ['v1', 'v?']}),
     'stages.dev.api_gateway_custom_domain.url_prefixes[1] must be a base path'),
    (_stage('api_gateway_custom_domain', {**DOMAIN, 'url_prefixes': []}),
     'stages.dev.api_gateway_custom_domain.url_prefixes must be a non-empty list'),
    (_stage('api_gateway_custom_domain', {**DOMAIN, 'url_prefixes': ['v1', '/v1/']}),
     'stages.dev.api_gateway_custom_domain.url_prefixes must be a list of distinct'),
    (_stage('api_gateway_custom_domain', {**DOMAIN, 'url_prefix': 'a', 'url_prefixes': ['b']}),
     'stages.dev.api_gateway_custom_domain has both url_prefix and url_prefixes; keep one'),
    (_stage('api_gateway_custom_domain', {**DOMAIN,
                                          'tags': {'k': 1}}),
     'stages.dev.api_gateway_custom_domain.tags.k must be a string, got 1'),
    (_fn('lambda_timeout', '60'),
     'stages.dev.lambda_functions.foo.lambda_timeout must be an integer, got "60"'),
    (_fn('environment_variables', {'X': 1}, where='top'),
     'lambda_functions.foo.environment_variables.X must be a string, got 1'),
    (_fn('xray', 'on', where='top'),
     'lambda_functions.foo.xray must be true or false, got "on"'),
    (_fn('log_retention_in_days', 0),
     'stages.dev.lambda_functions.foo.log_retention_in_days must be a CloudWatch Logs'),
    (_fn('lambda_ephemeral_storage', 100),
     'stages.dev.lambda_functions.foo.lambda_ephemeral_storage must be between 512'),
    (_stage('lambda_architecture', 'aarch64'),
     'stages.dev.lambda_architecture must be one of x86_64, arm64, got "aarch64"'),
    ({'lambda_architecture': 'ARM64'},
     'lambda_architecture must be one of x86_64, arm64, got "ARM64"'),
    (_fn('lambda_architecture', ['arm64'], where='top'),
     'lambda_functions.foo.lambda_architecture must be one of x86_64, arm64, got ["arm64"]'),
])
def test_validation_errors(config, message):
    with pytest.raises(ConfigError) as exc:
        validate_config(config)
    text = str(exc.value)
    assert text.startswith('Invalid .chalice/config.json: ')
    assert message in text
    assert '\n' not in text
    assert isinstance(exc.value, ChaliceError) and exc.value.exit_code == 2


def test_validate_config_rejects_non_object():
    with pytest.raises(ConfigError, match='must contain a JSON object at the top level'):
        validate_config(['stages'])


def test_long_values_are_shortened_in_messages():
    with pytest.raises(ConfigError) as exc:
        validate_config({'lambda_timeout': 'x' * 500})
    assert len(str(exc.value)) < 200
    assert str(exc.value).endswith('...')


@pytest.mark.parametrize('value', LOG_RETENTION_DAYS)
def test_every_cloudwatch_retention_period_is_accepted(value):
    assert validate_config({'log_retention_in_days': value}) == []


@pytest.mark.parametrize('key, value', [
    ('lambda_memory_size', 128), ('lambda_memory_size', 10240),
    ('lambda_timeout', 1), ('lambda_ephemeral_storage', 512),
    ('reserved_concurrency', 0), ('reserved_concurrency', 1000),
    ('minimum_compression_size', 10485760),
    ('api_gateway_endpoint_type', 'REGIONAL'),
    ('api_gateway_endpoint_vpce', 'vpce-1'),
    ('environment_variables', {}),
    ('tags', {'a': ''}),
    ('layers', []),
    ('api_gateway_custom_domain', {**DOMAIN,
                                   'tls_version': 'TLS_1_0', 'url_prefix': 'v1',
                                   'tags': {'k': 'v'}}),
    ('websocket_api_custom_domain', {**DOMAIN,
                                     'url_prefixes': ['v1', 'v2']}),
    ('api_gateway_custom_domain', {**DOMAIN, 'url_prefixes': ['/', 'v1/orders', "a$-_.+!*'()"]}),
    ('api_gateway_custom_domain', {'domain_name': '*.xn--bcher-kva.example',
                                   'certificate_arn': 'arn:aws-cn:acm:cn-north-1:123456789012:'
                                                      'certificate/abc'}),
    ('websocket_api_custom_domain', {**DOMAIN, 'tls_version': 'TLS_1_2', 'url_prefix': '/ws'}),
    ('lambda_timeout', None),
])
def test_valid_values_give_no_errors_or_warnings(key, value):
    assert validate_config({key: value}) == []
    assert validate_config(_stage(key, value)) == []


def test_documented_example_configs_validate_cleanly():
    example = {
        'version': '2.0', 'app_name': 'app',
        'stages': {
            'dev': {'autogen_policy': True, 'api_gateway_stage': 'dev'},
            'beta': {'autogen_policy': False, 'iam_policy_file': 'beta-app-policy.json'},
            'prod': {'manage_iam_role': False, 'iam_role_arn': 'arn:aws:iam::1:role/prod-role'},
        },
    }
    assert validate_config(example) == []
    new_project = {'version': '2.0', 'app_name': 'x', 'stages': {'dev': {
        'api_gateway_stage': 'api'}}}
    assert validate_config(new_project) == []


@pytest.mark.parametrize('key', sorted(FUNCTION_KEYS))
def test_every_function_key_is_allowed_per_function(key):
    samples = {'autogen_policy': True, 'environment_variables': {'A': 'b'},
               'iam_policy_file': 'p.json', 'iam_role_arn': 'arn', 'lambda_memory_size': 256,
               'lambda_timeout': 30, 'layers': ['l'], 'manage_iam_role': False,
               'reserved_concurrency': 5, 'security_group_ids': ['sg'], 'subnet_ids': ['sn'],
               'tags': {'a': 'b'}, 'lambda_ephemeral_storage': 1024, 'xray': True,
               'log_retention_in_days': 30, 'lambda_architecture': 'arm64'}
    assert validate_config(_fn(key, samples[key])) == []
    assert validate_config(_fn(key, samples[key], where='top')) == []


# The per-function keys the Chalice documentation lists (001:L1223-1236).
DOCUMENTED_FUNCTION_KEYS = [
    'autogen_policy', 'environment_variables', 'iam_policy_file', 'iam_role_arn',
    'lambda_memory_size', 'lambda_timeout', 'layers', 'manage_iam_role',
    'reserved_concurrency', 'security_group_ids', 'subnet_ids', 'tags']
# Keys the documentation allows per stage and at the top level, but not per function.
DOCUMENTED_STAGE_ONLY_KEYS = [
    'api_gateway_endpoint_type', 'api_gateway_endpoint_vpce', 'api_gateway_policy_file',
    'api_gateway_stage', 'minimum_compression_size']


def test_documented_key_levels():
    assert set(DOCUMENTED_FUNCTION_KEYS) <= set(FUNCTION_KEYS)
    for key in DOCUMENTED_STAGE_ONLY_KEYS:
        assert key in STAGE_KEYS and key not in FUNCTION_KEYS
    # Documented stage keys at a per-function level are reported and ignored.
    for key in DOCUMENTED_STAGE_ONLY_KEYS:
        [warning] = validate_config({'lambda_functions': {'foo': {key: None}}})
        assert warning.startswith(f'lambda_functions.foo.{key} in .chalice/config.json is '
                                  'not a per-function setting and is ignored')


def test_function_keys_are_a_subset_of_stage_keys():
    assert set(FUNCTION_KEYS) <= set(STAGE_KEYS)


# ---------------------------------------------------------------------------
# Validation warnings
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('config, expected', [
    ({'stages': {'dev': {'lamda_timeout': 60}}},
     ['Unknown key in .chalice/config.json: stages.dev.lamda_timeout '
      '(did you mean lambda_timeout?)']),
    ({'frobnicate': 1}, ['Unknown key in .chalice/config.json: frobnicate']),
    ({'appname': 'x'},
     ['Unknown key in .chalice/config.json: appname (did you mean app_name?)']),
    ({'lambda_functions': {'foo': {'timeout': 3}}},
     ['Unknown key in .chalice/config.json: lambda_functions.foo.timeout']),
    ({'stages': {'dev': {'lambda_functions': {'foo': {'api_gateway_stage': 'x'}}}}},
     ['stages.dev.lambda_functions.foo.api_gateway_stage in .chalice/config.json is not a '
      'per-function setting and is ignored; move it to the stage or top level.']),
    ({'lambda_functions': {'foo': {'minimum_compression_size': 5}}},
     ['lambda_functions.foo.minimum_compression_size in .chalice/config.json is not a '
      'per-function setting and is ignored; move it to the stage or top level.']),
    ({'lambda_functions': {'foo': {'automatic_layer': True}}},
     ['lambda_functions.foo.automatic_layer in .chalice/config.json is not a per-function '
      'setting and is ignored; move it to the stage or top level.']),
    ({'stages': {'dev': {'app_name': 'other'}}},
     ['stages.dev.app_name in .chalice/config.json is ignored: "app_name" is only allowed '
      'at the top level.']),
    ({'stages': {'dev': {'stages': {}}}},
     ['stages.dev.stages in .chalice/config.json is ignored: "stages" is only allowed at '
      'the top level.']),
    ({'tags': {'aws-chalice': 'mine'}},
     ['tags.aws-chalice in .chalice/config.json is ignored: Chalice always sets the '
      'aws-chalice tag itself; use another tag name.']),
    (_stage('lambda_memory_size', 1000),
     ['stages.dev.lambda_memory_size in .chalice/config.json is 1000; the documented rule '
      'is that lambda_memory_size is a multiple of 64 MB.']),
    (_stage('api_gateway_custom_domain', {**DOMAIN,
                                          'certificate': 'x'}),
     ['Unknown key in .chalice/config.json: stages.dev.api_gateway_custom_domain.certificate '
      '(did you mean certificate_arn?)']),
    ({'frob': 1, 'stages': {'dev': {'frob': 2}, 'prod': {'frob': 3}}},
     ['Unknown key in .chalice/config.json: stages.dev.frob',
      'Unknown key in .chalice/config.json: stages.prod.frob',
      'Unknown key in .chalice/config.json: frob']),
])
def test_validation_warnings(config, expected):
    assert validate_config(config) == expected


def test_misplaced_function_keys_are_ignored_by_resolution():
    disk = {'stages': {'dev': {'lambda_functions': {'api_handler': {
        'api_gateway_stage': 'ignored', 'minimum_compression_size': 5}}}}}
    config = Config(config_from_disk=disk)
    assert config.api_gateway_stage == 'api'
    assert config.minimum_compression_size is None


def test_unknown_keys_still_validate_known_ones():
    with pytest.raises(ConfigError, match='stages.dev.lambda_timeout must be an integer'):
        validate_config({'stages': {'dev': {'lamda': 1, 'lambda_timeout': '1'}}})


# ---------------------------------------------------------------------------
# Loading from disk
# ---------------------------------------------------------------------------

def _write_config(project_dir, text):
    chalice_dir = project_dir / '.chalice'
    chalice_dir.mkdir(exist_ok=True)
    (chalice_dir / 'config.json').write_text(text, encoding='utf-8')
    return str(chalice_dir / 'config.json')


def test_load_config_file(tmp_path):
    data = {'version': '2.0', 'app_name': 'app', 'stages': {'dev': {}}}
    _write_config(tmp_path, json.dumps(data))
    assert load_config_file(str(tmp_path)) == data
    assert config_file_path(str(tmp_path)) == str(tmp_path / '.chalice' / 'config.json')


def test_load_config_file_accepts_utf8_bom(tmp_path):
    chalice_dir = tmp_path / '.chalice'
    chalice_dir.mkdir()
    (chalice_dir / 'config.json').write_bytes(b'\xef\xbb\xbf{"app_name": "x"}')
    assert load_config_file(str(tmp_path)) == {'app_name': 'x'}


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_config_file(str(tmp_path))
    message = str(exc.value)
    assert f'The project at {tmp_path} has no .chalice/config.json' in message
    assert 'run this command from a Chalice project directory' in message
    assert '\n' not in message


def test_config_path_is_a_directory(tmp_path):
    (tmp_path / '.chalice' / 'config.json').mkdir(parents=True)
    with pytest.raises(ConfigError, match='Could not read .*config.json'):
        load_config_file(str(tmp_path))


@pytest.mark.parametrize('text, where', [
    ('{\n  "version": "2.0"\n  "app_name": "x"\n}', "line 3, column 3: Expecting ',' delimiter"),
    ('{"stages": {"dev": {},}}', 'line 1, column 23: Expecting property name enclosed'),
    ('', 'line 1, column 1: Expecting value'),
    ('{"a": 1} trailing', 'line 1, column 10: Extra data'),
])
def test_invalid_json_reports_line_and_column(tmp_path, text, where):
    path = _write_config(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_config_file(str(tmp_path))
    assert str(exc.value).startswith(f'{path} is not valid JSON: {where}')


def test_invalid_utf8(tmp_path):
    chalice_dir = tmp_path / '.chalice'
    chalice_dir.mkdir()
    (chalice_dir / 'config.json').write_bytes(b'{"app_name": "\xff"}')
    with pytest.raises(ConfigError, match='is not valid UTF-8'):
        load_config_file(str(tmp_path))


@pytest.mark.parametrize('text, kind', [('[]', 'a list'), ('"x"', 'a string'),
                                        ('null', 'null'), ('3', 'a number')])
def test_top_level_must_be_an_object(tmp_path, text, kind):
    path = _write_config(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_config_file(str(tmp_path))
    assert str(exc.value).startswith(f'{path} must contain a JSON object at the top level')
    assert str(exc.value).endswith(f'got {kind}.')


def test_load_project_config(tmp_path):
    _write_config(tmp_path, json.dumps({
        'version': '2.0', 'app_name': 'app', 'lamda_timeout': 3,
        'stages': {'dev': {'lambda_timeout': 30}, 'prod': {}}}))
    config = load_project_config(str(tmp_path), 'dev', user_provided_params={'x': 1})
    assert config.project_dir == str(tmp_path)
    assert config.app_name == 'app'
    assert config.lambda_timeout == 30
    assert config.validation_warnings == (
        'Unknown key in .chalice/config.json: lamda_timeout (did you mean lambda_timeout?)',)
    scoped = config.scope('prod', 'foo')
    assert scoped.validation_warnings == config.validation_warnings
    assert scoped.lambda_timeout is None


def test_load_project_config_raises_on_invalid_values(tmp_path):
    _write_config(tmp_path, json.dumps({'stages': {'dev': {'lambda_timeout': '60'}}}))
    with pytest.raises(ConfigError, match='stages.dev.lambda_timeout must be an integer'):
        load_project_config(str(tmp_path))


# ---------------------------------------------------------------------------
# Import hygiene
# ---------------------------------------------------------------------------

def test_module_constants():
    assert DEFAULT_STAGE_NAME == 'dev'
    assert DEFAULT_HANDLER_NAME == 'api_handler'


def test_import_does_not_load_aws_sdk():
    code = ('import sys, chalice.config; '
            'print([m for m in ("boto3", "botocore") if m in sys.modules])')
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    result = subprocess.run([sys.executable, '-c', code], cwd=root, capture_output=True,
                            text=True, check=True, timeout=60)
    assert result.stdout.strip() == '[]'


def _imports_of(module):
    with open(module.__file__, encoding='utf-8') as f:
        tree = ast.parse(f.read())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    return imported


def test_module_imports_only_stdlib_and_light_chalice_modules():
    # chalice.config (and the schema it builds on) must not import chalice.app
    # (or any AWS SDK); whatever the chalice package's __init__ does is
    # outside its control.
    import chalice.config as module
    import chalice.configschema as schema

    imported = _imports_of(module)
    chalice_imports = {name for name in imported if name.split('.')[0] == 'chalice'}
    assert chalice_imports == {'chalice', 'chalice.errors', 'chalice.configschema'}
    assert not {'boto3', 'botocore'} & {name.split('.')[0] for name in imported}
    schema_imports = _imports_of(schema)
    assert {name for name in schema_imports if name.split('.')[0] == 'chalice'} == {
        'chalice.errors'}
    assert not {'boto3', 'botocore'} & {name.split('.')[0] for name in schema_imports}
