"""The custom domain home for an HTTP API (``api_gateway_custom_domain`` with
``api_gateway_type`` HTTP): an API Gateway v2 domain name whose API mappings
point at the HTTP API's ``$default`` stage, recorded as
``http_api_custom_domain``.

Pure planning from hand-built remote states, as in ``test_domain_home``
(whose helpers check every planned call against botocore's model).
"""
import dataclasses

import pytest

from chalice import Chalice
from chalice.deploy.appgraph import build_application
from chalice.deploy.models import CustomDomain, HttpAPI
from chalice.deploy.plan import ForgetResource, Message, RecordResource, SetVar
from chalice.deploy.planner import PlanContext
from chalice.deploy.resources.domain_name import is_v2_record, record_urls
from chalice.errors import ConfigError
from tests.unit.deploy.fakes import make_config, make_package
from tests.unit.deploy.test_domain_home import (
    ACCOUNT,
    EDGE_CERT,
    HANDLER,
    HOME,
    REGION,
    REGIONAL_ALIAS,
    REGIONAL_CERT,
    calls,
    checked,
    last_record,
    methods,
    rendered,
    summary_lines,
)

HTTP = HttpAPI('http_api', 'app', HANDLER)
DOMAIN = CustomDomain('http_api_custom_domain', 'api.example.com', REGIONAL_CERT, HTTP,
                      endpoint_type='REGIONAL', url_prefixes=('', 'v1/items'),
                      tags={'team': 'web'})
HTTP_ID = 'http789'
ZONE = 'Z2OJLYMUO9EFXC'
ARN = 'arn:aws:apigateway:us-west-2::/domainnames/api.example.com'
OUTPUTS = {'http_api_custom_domain.hosted_zone_id': ZONE,
           'http_api_custom_domain.alias_domain_name': REGIONAL_ALIAS}


def ctx(api_known=True):
    context = PlanContext(region=REGION, account_id=ACCOUNT)
    if api_known:
        context.known['http_api.http_api_id'] = HTTP_ID
    return context


def remote(model=DOMAIN, **changes):
    """What a completed deploy of ``model`` leaves in AWS (as read_remote reports it)."""
    domain = {'endpoint_type': 'REGIONAL', 'certificate_arn': model.certificate_arn,
              'security_policy': model.tls_version, 'hosted_zone_id': ZONE,
              'alias_domain_name': REGIONAL_ALIAS, 'tags': dict(model.tags), 'arn': ARN}
    domain.update(changes)
    mappings = [{'key': p, 'id': 'map-%d' % i, 'api_id': HTTP_ID, 'stage': '$default'}
                for i, p in enumerate(model.url_prefixes)]
    return {'domain': domain, 'mappings': mappings, 'old': None}


def record_of(model=DOMAIN, found=None):
    steps = HOME.plan(model, None, found or remote(model), ctx())
    values = rendered(last_record(steps).values, **OUTPUTS)
    return dict(values, name=model.resource_name, resource_type='domain_name')


# -- create

def test_fresh_http_domain_is_a_v2_domain_mapped_to_the_default_stage():
    steps = checked(HOME.plan(DOMAIN, None, {'domain': None, 'mappings': [], 'old': None},
                              ctx()))
    assert methods(steps) == ['apigatewayv2.create_domain_name',
                              'apigatewayv2.create_api_mapping',
                              'apigatewayv2.create_api_mapping']
    create, root, items = calls(steps)
    assert create.params == {
        'DomainName': 'api.example.com', 'Tags': {'team': 'web'},
        'DomainNameConfigurations': [{'CertificateArn': REGIONAL_CERT,
                                      'EndpointType': 'REGIONAL',
                                      'SecurityPolicy': 'TLS_1_2'}]}
    assert create.outputs == {
        'http_api_custom_domain.hosted_zone_id': 'DomainNameConfigurations.0.HostedZoneId',
        'http_api_custom_domain.alias_domain_name':
            'DomainNameConfigurations.0.ApiGatewayDomainName'}
    assert create.message == 'Creating custom domain name: api.example.com'
    assert root.params == {'DomainName': 'api.example.com', 'ApiId': HTTP_ID,
                           'Stage': '$default'}
    assert items.params == dict(root.params, ApiMappingKey='v1/items')
    assert [c.message for c in calls(steps)[1:]] == ['Creating api mapping: /',
                                                     'Creating api mapping: /v1/items']
    ids = {name: 'id-%s' % path for c in calls(steps)[1:] for name, path in c.outputs.items()}
    assert sorted(ids) == ['http_api_custom_domain.api_mapping_id./',
                           'http_api_custom_domain.api_mapping_id./v1/items']
    final = rendered(last_record(steps).values, **dict(OUTPUTS, **ids))
    assert final == {
        'domain_name': 'api.example.com', 'certificate_arn': REGIONAL_CERT,
        'security_policy': 'TLS_1_2', 'hosted_zone_id': ZONE,
        'alias_domain_name': REGIONAL_ALIAS,
        'api_mapping': [
            {'key': '/', 'stage': '$default', 'api_id': HTTP_ID, 'id': 'id-ApiMappingId'},
            {'key': '/v1/items', 'stage': '$default', 'api_id': HTTP_ID,
             'id': 'id-ApiMappingId'}]}
    assert [s.text for s in steps if isinstance(s, Message)] == [
        'Custom domain URL: https://api.example.com/',
        'Custom domain URL: https://api.example.com/v1/items/']


def test_an_api_created_in_the_same_run_is_referred_to_by_its_variable():
    steps = HOME.plan(DOMAIN, None, None, ctx(api_known=False))
    mapping = calls(steps)[1]
    assert rendered(mapping.params, **{'http_api.http_api_id': 'new-api'})['ApiId'] == 'new-api'


# -- redeploy

def test_unchanged_http_domain_plans_no_calls_and_no_record():
    steps = HOME.plan(DOMAIN, record_of(), remote(), ctx())
    assert calls(steps) == []
    assert not any(isinstance(s, RecordResource) for s in steps)
    assert 'No changes to custom domain name: api.example.com' in [
        s.text for s in steps if isinstance(s, Message)]
    assert [s.name for s in steps if isinstance(s, SetVar)] == [
        'http_api_custom_domain.hosted_zone_id', 'http_api_custom_domain.alias_domain_name']


def test_an_unrecorded_http_domain_is_taken_over_without_writes():
    steps = HOME.plan(DOMAIN, None, remote(), ctx())
    assert calls(steps) == []
    [record] = [s for s in steps if isinstance(s, RecordResource)]
    assert [(m['key'], m['id']) for m in record.values['api_mapping']] == [
        ('/', 'map-0'), ('/v1/items', 'map-1')]


def test_certificate_tags_and_base_paths_change_with_v2_calls_only():
    model = dataclasses.replace(DOMAIN, certificate_arn=REGIONAL_CERT + '-2',
                                url_prefixes=('v1/items', 'v2'), tags={'team': 'api'})
    steps = checked(HOME.plan(model, record_of(), remote(), ctx()))
    assert methods(steps) == ['apigatewayv2.update_domain_name',
                              'apigatewayv2.tag_resource',
                              'apigatewayv2.delete_api_mapping',
                              'apigatewayv2.create_api_mapping']
    update, tag, delete, create = calls(steps)
    assert update.params['DomainNameConfigurations'] == [{
        'CertificateArn': REGIONAL_CERT + '-2', 'EndpointType': 'REGIONAL',
        'SecurityPolicy': 'TLS_1_2'}]
    assert tag.params == {'ResourceArn': ARN, 'Tags': {'team': 'api'}}
    assert delete.params == {'DomainName': 'api.example.com', 'ApiMappingId': 'map-0'}
    assert create.params['ApiMappingKey'] == 'v2'
    assert last_record(steps).values['certificate_arn'] == REGIONAL_CERT + '-2'


def test_a_mapping_left_on_a_previous_api_is_repointed():
    found = remote()
    found['mappings'][1].update(api_id='old-api', stage='$default')
    record = record_of()
    steps = checked(HOME.plan(DOMAIN, record, found, ctx()))
    [update] = calls(steps)
    assert update.params == {'DomainName': 'api.example.com', 'ApiMappingId': 'map-1',
                             'ApiId': HTTP_ID, 'Stage': '$default',
                             'ApiMappingKey': 'v1/items'}
    assert update.message == 'Updating api mapping: /v1/items'


# -- delete

def test_delete_removes_the_v2_mappings_then_the_domain():
    record = record_of()
    assert is_v2_record(record)
    steps = checked(HOME.plan_delete(record, remote(), ctx()))
    assert methods(steps) == ['apigatewayv2.delete_api_mapping',
                              'apigatewayv2.delete_api_mapping',
                              'apigatewayv2.delete_domain_name']
    assert [c.params.get('ApiMappingId') for c in calls(steps)] == ['map-0', 'map-1', None]
    assert calls(steps)[-1].message == 'Deleting custom domain name: api.example.com'
    assert isinstance(steps[-1], ForgetResource)
    # Without what AWS holds, the recorded mapping ids are used.
    fallback = checked(HOME.plan_delete(record, None, ctx()))
    assert [c.params.get('ApiMappingId') for c in calls(fallback)] == ['map-0', 'map-1', None]


def test_a_renamed_http_domain_deletes_the_recorded_one_first():
    model = dataclasses.replace(DOMAIN, domain_name='www.example.com')
    found = {'domain': None, 'mappings': [], 'old': {
        'domain': remote()['domain'], 'mappings': remote()['mappings']}}
    steps = checked(HOME.plan(model, record_of(), found, ctx()))
    assert methods(steps) == ['apigatewayv2.delete_api_mapping',
                              'apigatewayv2.delete_api_mapping',
                              'apigatewayv2.delete_domain_name',
                              'apigatewayv2.create_domain_name',
                              'apigatewayv2.create_api_mapping',
                              'apigatewayv2.create_api_mapping']


# -- the record's URLs and the deploy summary

def test_summary_lines_are_those_of_a_rest_domain(tmp_path):
    record = record_of()
    assert record_urls(record) == ['https://api.example.com/',
                                   'https://api.example.com/v1/items/']
    assert summary_lines(tmp_path, {
        'name': 'http_api', 'resource_type': 'http_api', 'http_api_id': HTTP_ID,
        'http_api_url': 'https://http789.execute-api.us-west-2.amazonaws.com/'}, record) == [
        'Resources deployed:',
        '  - HTTP API URL: https://http789.execute-api.us-west-2.amazonaws.com/',
        '  - Custom domain name:',
        '      HostedZoneId: %s' % ZONE,
        '      AliasDomainName: %s' % REGIONAL_ALIAS,
        '      DomainName: api.example.com',
        '      URL: https://api.example.com/',
        '      URL: https://api.example.com/v1/items/',
        'Route 53 records are not created: point each custom domain name at its '
        'AliasDomainName (an alias record in HostedZoneId, or a CNAME).',
    ]


# -- the app graph

def http_domains(tmp_path, **domain):
    app = Chalice(app_name='demo')

    @app.route('/')
    def index():
        return {}

    config = make_config(app, tmp_path, stages={'dev': {
        'api_gateway_type': 'HTTP', 'api_gateway_custom_domain': dict(
            {'domain_name': 'api.example.com', 'certificate_arn': REGIONAL_CERT}, **domain)}})
    ordered = build_application(config, make_package(tmp_path), region=REGION).ordered()
    return ordered, [m for m in ordered if m.resource_type == 'domain_name']


def test_app_graph_builds_an_http_domain_after_the_http_api(tmp_path):
    ordered, [domain] = http_domains(tmp_path, url_prefixes=['/', 'v1/'], tags={'a': 'b'})
    names = [m.resource_name for m in ordered]
    assert names.index('http_api') < names.index('http_api_custom_domain')
    assert 'rest_api' not in names
    assert domain.api.resource_name == 'http_api' and domain.v2 and not domain.websocket
    assert (domain.endpoint_type, domain.tls_version, domain.url_prefixes, domain.tags) == (
        'REGIONAL', 'TLS_1_2', ('', 'v1'), {'a': 'b'})


def test_app_graph_wants_the_certificate_in_the_apis_region(tmp_path):
    with pytest.raises(ConfigError) as excinfo:
        http_domains(tmp_path, certificate_arn=EDGE_CERT)
    assert ('api_gateway_custom_domain.certificate_arn is in us-east-1 but REGIONAL custom '
            'domains need an ACM certificate in us-west-2') in str(excinfo.value)
