"""``api_gateway_type`` and ``local_jwks`` in .chalice/config.json."""
import json

import pytest

from chalice.config import Config, validate_config
from chalice.errors import ConfigError


def test_rest_is_the_default_and_http_resolves_per_stage():
    disk = {'api_gateway_type': 'HTTP', 'stages': {'dev': {}, 'old': {'api_gateway_type': 'REST'}}}
    assert Config().api_gateway_type == 'REST'
    assert Config('dev', config_from_disk=disk).api_gateway_type == 'HTTP'
    assert Config('old', config_from_disk=disk).api_gateway_type == 'REST'
    assert validate_config(disk) == []


@pytest.mark.parametrize('value', ['http', 'WEBSOCKET', 1, True])
def test_only_rest_or_http(value):
    with pytest.raises(ConfigError) as error:
        validate_config({'stages': {'dev': {'api_gateway_type': value}}})
    assert str(error.value) == (
        'Invalid .chalice/config.json: stages.dev.api_gateway_type must be one of REST, HTTP, '
        'got %s' % json.dumps(value))


@pytest.mark.parametrize('key, value, reason', [
    ('api_gateway_policy_file', 'policy.json', 'resource policies are a REST API feature'),
    ('api_gateway_endpoint_vpce', 'vpce-1', 'VPC endpoints serve private REST APIs only'),
    ('minimum_compression_size', 100, 'HTTP APIs do not compress responses'),
])
@pytest.mark.parametrize('layout', ['stage', 'top', 'top-type-stage-key'])
def test_rest_only_keys_are_refused_for_http(key, value, reason, layout):
    if layout == 'stage':
        config, path = {'stages': {'prod': {'api_gateway_type': 'HTTP', key: value}}}, \
            'stages.prod.' + key
    elif layout == 'top':
        config, path = {'api_gateway_type': 'HTTP', key: value, 'stages': {'prod': {}}}, key
    else:
        config, path = {'api_gateway_type': 'HTTP', 'stages': {'prod': {key: value}}}, \
            'stages.prod.' + key
    with pytest.raises(ConfigError) as error:
        validate_config(config)
    message = str(error.value)
    assert message.startswith('Invalid .chalice/config.json: %s cannot be used with '
                              'api_gateway_type HTTP' % path)
    assert reason in message
    assert message.endswith('remove it or set api_gateway_type to REST.')
    assert '\n' not in message
    # The same settings are fine for a REST API.
    rest = json.loads(json.dumps(config).replace('"HTTP"', '"REST"'))
    assert validate_config(rest) == []


def test_a_rest_stage_keeps_its_rest_settings_beside_an_http_stage():
    config = {'stages': {'http': {'api_gateway_type': 'HTTP'},
                         'rest': {'api_gateway_policy_file': 'p.json',
                                  'api_gateway_endpoint_type': 'PRIVATE',
                                  'api_gateway_endpoint_vpce': 'vpce-1'}}}
    assert validate_config(config) == []


@pytest.mark.parametrize('endpoint, words', [
    ('PRIVATE', 'HTTP APIs have no private endpoints'),
    ('EDGE', 'HTTP APIs are always REGIONAL'),
])
def test_endpoint_types_other_than_regional_are_refused(endpoint, words):
    with pytest.raises(ConfigError) as error:
        validate_config({'api_gateway_type': 'HTTP', 'api_gateway_endpoint_type': endpoint})
    assert str(error.value) == (
        'Invalid .chalice/config.json: api_gateway_endpoint_type is %s, but %s '
        '(api_gateway_type HTTP, the top level): set it to REGIONAL or remove it, or set '
        'api_gateway_type to REST.' % (endpoint, words))
    assert validate_config({'api_gateway_type': 'HTTP',
                            'api_gateway_endpoint_type': 'REGIONAL'}) == []


DOMAIN = {'domain_name': 'api.example.com',
          'certificate_arn': 'arn:aws:acm:us-west-2:123456789012:certificate/abc'}


@pytest.mark.parametrize('tls_version', [None, 'TLS_1_2'])
def test_a_custom_domain_is_accepted_for_an_http_api(tls_version):
    domain = dict(DOMAIN, tls_version=tls_version, url_prefixes=['/', 'v1/items'],
                  tags={'team': 'web'})
    assert validate_config({'stages': {'dev': {'api_gateway_type': 'HTTP',
                                               'api_gateway_custom_domain': domain}}}) == []


@pytest.mark.parametrize('layout', ['stage', 'top', 'top-type-stage-key'])
def test_an_http_api_custom_domain_takes_tls_1_2_only(layout):
    domain = dict(DOMAIN, tls_version='TLS_1_0')
    if layout == 'stage':
        config, path, where = {'stages': {'prod': {
            'api_gateway_type': 'HTTP', 'api_gateway_custom_domain': domain}}}, \
            'stages.prod.api_gateway_custom_domain', 'stage prod'
    elif layout == 'top':
        config, path, where = {'api_gateway_type': 'HTTP', 'api_gateway_custom_domain': domain,
                               'stages': {'prod': {}}}, 'api_gateway_custom_domain', \
            'the top level'
    else:
        config, path, where = {'api_gateway_type': 'HTTP', 'stages': {'prod': {
            'api_gateway_custom_domain': domain}}}, 'stages.prod.api_gateway_custom_domain', \
            'stage prod'
    with pytest.raises(ConfigError) as error:
        validate_config(config)
    assert str(error.value) == (
        'Invalid .chalice/config.json: %s.tls_version is TLS_1_0, but API Gateway offers '
        'HTTP API custom domains TLS_1_2 only (api_gateway_type HTTP, %s): set it to TLS_1_2 '
        'or remove it, or set api_gateway_type to REST.' % (path, where))
    # A REST API's domain may keep TLS 1.0.
    rest = json.loads(json.dumps(config).replace('"HTTP"', '"REST"'))
    assert validate_config(rest) == []


def test_an_unknown_tls_version_is_reported_once_for_an_http_api():
    with pytest.raises(ConfigError) as error:
        validate_config({'api_gateway_type': 'HTTP', 'api_gateway_custom_domain': dict(
            DOMAIN, tls_version='TLS_1_3')})
    assert str(error.value) == (
        'Invalid .chalice/config.json: api_gateway_custom_domain.tls_version must be one of '
        'TLS_1_0, TLS_1_2, got "TLS_1_3"')


def test_a_stage_name_is_ignored_with_a_warning_unless_it_is_the_default():
    config = {'api_gateway_type': 'HTTP', 'stages': {
        'dev': {'api_gateway_stage': 'api'}, 'prod': {'api_gateway_stage': 'v1'}}}
    assert validate_config(config) == [
        'stages.prod.api_gateway_stage in .chalice/config.json is ignored: an HTTP API '
        'serves every request from its $default stage, whose URL has no stage name in it.']
    # One warning for a top-level value that every stage inherits.
    shared = {'api_gateway_type': 'HTTP', 'api_gateway_stage': 'v1',
              'stages': {'a': {}, 'b': {}}}
    assert len(validate_config(shared)) == 1


def test_local_jwks_inline_or_a_file(tmp_path):
    keys = {'keys': [{'kty': 'RSA', 'kid': 'k1', 'n': 'AQAB', 'e': 'AQAB'}]}
    assert validate_config({'local_jwks': keys}) == []
    assert validate_config({'stages': {'dev': {'local_jwks': 'jwks.json'}}}) == []
    assert Config(config_from_disk={'local_jwks': keys}).local_jwks_document() == keys
    (tmp_path / '.chalice').mkdir()
    (tmp_path / '.chalice' / 'jwks.json').write_text(json.dumps(keys))
    config = Config(config_from_disk={'local_jwks': 'jwks.json'},
                    user_provided_params={'project_dir': str(tmp_path)})
    assert config.local_jwks_document() == keys
    assert Config().local_jwks_document() is None


@pytest.mark.parametrize('value, message', [
    ({'keys': 'x'}, 'local_jwks must be a JSON Web Key Set file name'),
    ([], 'local_jwks must be a JSON Web Key Set file name'),
    ({'keys': [{'n': '1'}]}, 'local_jwks.keys[0] must be a JSON Web Key'),
])
def test_bad_local_jwks(value, message):
    with pytest.raises(ConfigError) as error:
        validate_config({'local_jwks': value})
    assert message in str(error.value)


def test_unreadable_local_jwks_file(tmp_path):
    (tmp_path / '.chalice').mkdir()
    config = Config(config_from_disk={'local_jwks': 'missing.json'},
                    user_provided_params={'project_dir': str(tmp_path)})
    with pytest.raises(ConfigError) as error:
        config.local_jwks_document()
    assert 'Cannot read the local_jwks file' in str(error.value)
    (tmp_path / '.chalice' / 'missing.json').write_text('{')
    with pytest.raises(ConfigError) as error:
        config.local_jwks_document()
    assert 'is not valid JSON' in str(error.value)
