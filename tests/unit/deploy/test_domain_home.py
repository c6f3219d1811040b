"""The custom domain home: pure planning from hand-built remote states, the
app graph's checks, the record's URLs and the deploy summary lines.

Every planned call's parameters are checked against botocore's model
(``validate_params``), so a misspelt parameter fails here as against AWS.
"""
import dataclasses

import pytest

from chalice import Chalice
from chalice.deploy.appgraph import build_application
from chalice.deploy.deployer import write_summary
from chalice.deploy.models import (
    CustomDomain,
    DeploymentPackage,
    LambdaFunction,
    ManagedIAMRole,
    RestAPI,
    WebsocketAPI,
)
from chalice.deploy.plan import APICall, ForgetResource, Message, RecordResource, SetVar, resolve
from chalice.deploy.planner import PlanContext
from chalice.deploy.resources import home_for
from chalice.deploy.resources.domain_name import record_urls
from chalice.deploy.state import DeployedState
from chalice.errors import ConfigError
from tests.unit.deploy.fakes import RecordingUI, make_config, make_package, validate_params

REGION, ACCOUNT = 'us-west-2', '123456789012'
HOME = home_for('domain_name')
EDGE_CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/edge'
REGIONAL_CERT = 'arn:aws:acm:us-west-2:123456789012:certificate/regional'
PACKAGE = DeploymentPackage('/nowhere/deployment.zip', 'c2hh', 1)
ROLE = ManagedIAMRole('default-role', 'app-dev', {'Version': '2012-10-17', 'Statement': []})
HANDLER = LambdaFunction('api_handler', 'app-dev', 'app.app', 'python3.12', ROLE, PACKAGE)
REST = RestAPI('rest_api', 'app', {'swagger': '2.0'}, 'api', HANDLER)
WS = WebsocketAPI('websocket_api', 'app-dev-websocket-api', 'ws', message=HANDLER)
REST_DOMAIN = CustomDomain('api_gateway_custom_domain', 'api.example.com', EDGE_CERT, REST,
                           url_prefixes=('', 'v1'), tags={'team': 'web'})
WS_DOMAIN = CustomDomain('websocket_api_custom_domain', 'ws.example.com', REGIONAL_CERT, WS,
                         endpoint_type='REGIONAL', url_prefixes=('chat',))
API_ID, WS_ID = 'abc123', 'ws456'
EDGE_ALIAS, REGIONAL_ALIAS = 'd111.cloudfront.net', 'd-222.execute-api.us-west-2.amazonaws.com'


def ctx(api_known=True):
    context = PlanContext(region=REGION, account_id=ACCOUNT)
    if api_known:
        context.known.update({'rest_api.rest_api_id': API_ID,
                              'websocket_api.websocket_api_id': WS_ID})
    return context


def remote_rest(model=REST_DOMAIN, **changes):
    """What a completed deploy of ``model`` leaves in AWS (as read_remote reports it)."""
    edge = model.endpoint_type == 'EDGE'
    domain = {'endpoint_type': model.endpoint_type, 'certificate_arn': model.certificate_arn,
              'certificates': {'EDGE': model.certificate_arn if edge else None,
                               'REGIONAL': None if edge else model.certificate_arn},
              'security_policy': model.tls_version, 'hosted_zone_id': 'Z2FDTNDATAQYW2',
              'alias_domain_name': EDGE_ALIAS if edge else REGIONAL_ALIAS,
              'tags': dict(model.tags), 'arn': None}
    domain.update(changes)
    mappings = [{'key': p, 'id': p or '(none)', 'api_id': API_ID, 'stage': 'api'}
                for p in model.url_prefixes]
    return {'domain': domain, 'mappings': mappings, 'old': None}


def remote_ws(model=WS_DOMAIN):
    domain = {'endpoint_type': 'REGIONAL', 'certificate_arn': model.certificate_arn,
              'security_policy': model.tls_version, 'hosted_zone_id': 'Z2OJLYMUO9EFXC',
              'alias_domain_name': REGIONAL_ALIAS, 'tags': dict(model.tags),
              'arn': 'arn:aws:apigateway:us-west-2::/domainnames/ws.example.com'}
    mappings = [{'key': p, 'id': 'map-' + p, 'api_id': WS_ID, 'stage': 'ws'}
                for p in model.url_prefixes]
    return {'domain': domain, 'mappings': mappings, 'old': None}


def record_of(model, remote):
    """The record a completed deploy leaves (what the no-op plan compares with)."""
    steps = HOME.plan(model, None, remote, ctx())
    record = [s for s in steps if isinstance(s, RecordResource)][-1]
    return dict(rendered(record.values), name=model.resource_name, resource_type='domain_name')


def rendered(value, **extra):
    values = {'rest_api.rest_api_id': API_ID, 'websocket_api.websocket_api_id': WS_ID}
    values.update(extra)
    return resolve(value, lambda var: values[var.name])


def calls(steps):
    return [s for s in steps if isinstance(s, APICall)]


def last_record(steps):
    return [s for s in steps if isinstance(s, RecordResource)][-1]


def methods(steps):
    return ['%s.%s' % (s.service, s.method) for s in calls(steps)]


def checked(steps):
    """The steps, after checking every call's parameters against botocore."""
    for step in calls(steps):
        params = rendered(step.params, **{name: 'x' for name in (
            'api_gateway_custom_domain.hosted_zone_id',
            'api_gateway_custom_domain.alias_domain_name')})
        validate_params(step.service, step.method, params)
    return steps


# -- create

def test_fresh_rest_domain_is_created_recorded_then_mapped():
    steps = checked(HOME.plan(REST_DOMAIN, None, {'domain': None, 'mappings': [], 'old': None},
                              ctx(api_known=False)))
    assert methods(steps) == ['apigateway.create_domain_name',
                              'apigateway.create_base_path_mapping',
                              'apigateway.create_base_path_mapping']
    create = steps[0]
    assert create.params == {
        'domainName': 'api.example.com', 'endpointConfiguration': {'types': ['EDGE']},
        'securityPolicy': 'TLS_1_2', 'certificateArn': EDGE_CERT, 'tags': {'team': 'web'}}
    assert create.outputs == {
        'api_gateway_custom_domain.hosted_zone_id': 'distributionHostedZoneId',
        'api_gateway_custom_domain.alias_domain_name': 'distributionDomainName'}
    assert create.message == 'Creating custom domain name: api.example.com'
    # Recorded the moment it exists, then after each mapping.
    assert isinstance(steps[1], RecordResource) and steps[1].values['api_mapping'] == []
    root, v1 = calls(steps)[1:]
    assert rendered(root.params) == {'domainName': 'api.example.com', 'restApiId': API_ID,
                                     'stage': 'api'}
    assert rendered(v1.params)['basePath'] == 'v1'
    final = rendered(last_record(steps).values, **{
        'api_gateway_custom_domain.hosted_zone_id': 'Z2FDTNDATAQYW2',
        'api_gateway_custom_domain.alias_domain_name': EDGE_ALIAS})
    assert final == {
        'domain_name': 'api.example.com', 'certificate_arn': EDGE_CERT,
        'security_policy': 'TLS_1_2', 'hosted_zone_id': 'Z2FDTNDATAQYW2',
        'alias_domain_name': EDGE_ALIAS,
        'api_mapping': [{'key': '/', 'stage': 'api', 'api_id': API_ID},
                        {'key': '/v1', 'stage': 'api', 'api_id': API_ID}]}
    assert [s.text for s in steps if isinstance(s, Message)] == [
        'Custom domain URL: https://api.example.com/',
        'Custom domain URL: https://api.example.com/v1/']


def test_regional_rest_domain_takes_the_regional_certificate_and_alias():
    model = dataclasses.replace(REST_DOMAIN, endpoint_type='REGIONAL',
                                certificate_arn=REGIONAL_CERT, tls_version='TLS_1_0')
    create = calls(checked(HOME.plan(model, None, None, ctx())))[0]
    assert create.params['regionalCertificateArn'] == REGIONAL_CERT
    assert 'certificateArn' not in create.params
    assert create.params['securityPolicy'] == 'TLS_1_0'
    assert set(create.outputs.values()) == {'regionalHostedZoneId', 'regionalDomainName'}


def test_fresh_websocket_domain_is_a_v2_domain_with_api_mappings():
    steps = checked(HOME.plan(WS_DOMAIN, None, None, ctx()))
    assert methods(steps) == ['apigatewayv2.create_domain_name',
                              'apigatewayv2.create_api_mapping']
    create, mapping = calls(steps)
    assert create.params == {'DomainName': 'ws.example.com', 'DomainNameConfigurations': [{
        'CertificateArn': REGIONAL_CERT, 'EndpointType': 'REGIONAL',
        'SecurityPolicy': 'TLS_1_2'}]}
    assert create.outputs == {
        'websocket_api_custom_domain.hosted_zone_id': 'DomainNameConfigurations.0.HostedZoneId',
        'websocket_api_custom_domain.alias_domain_name':
            'DomainNameConfigurations.0.ApiGatewayDomainName'}
    assert mapping.params == {'DomainName': 'ws.example.com', 'ApiId': WS_ID, 'Stage': 'ws',
                              'ApiMappingKey': 'chat'}
    [(id_var, path)] = mapping.outputs.items()
    assert path == 'ApiMappingId'
    final = rendered(last_record(steps).values, **{
        id_var: 'm1', 'websocket_api_custom_domain.hosted_zone_id': 'Z',
        'websocket_api_custom_domain.alias_domain_name': REGIONAL_ALIAS})
    assert final['api_mapping'] == [{'key': '/chat', 'stage': 'ws', 'api_id': WS_ID,
                                     'id': 'm1'}]
    assert steps[-1].text == 'Custom domain URL: wss://ws.example.com/chat/'


# -- redeploy

@pytest.mark.parametrize('model, remote', [(REST_DOMAIN, remote_rest()),
                                           (WS_DOMAIN, remote_ws())])
def test_unchanged_domain_plans_no_calls(model, remote):
    record = record_of(model, remote)
    steps = HOME.plan(model, record, remote, ctx())
    assert calls(steps) == []
    assert not any(isinstance(s, RecordResource) for s in steps)
    assert 'No changes to custom domain name: %s' % model.domain_name in [
        s.text for s in steps if isinstance(s, Message)]
    # The alias target is known from AWS for later steps.
    assert [s.name for s in steps if isinstance(s, SetVar)] == [
        model.resource_name + '.hosted_zone_id', model.resource_name + '.alias_domain_name']


def test_an_unrecorded_domain_is_taken_over_without_writes():
    remote = remote_rest()
    steps = HOME.plan(REST_DOMAIN, None, remote, ctx())
    assert calls(steps) == []
    [record] = [s for s in steps if isinstance(s, RecordResource)]
    assert record.values['alias_domain_name'] == EDGE_ALIAS
    assert [m['key'] for m in record.values['api_mapping']] == ['/', '/v1']


def test_certificate_and_tls_change_is_one_update():
    remote = remote_rest()
    model = dataclasses.replace(REST_DOMAIN, certificate_arn=EDGE_CERT + '-new',
                                tls_version='TLS_1_0')
    steps = checked(HOME.plan(model, record_of(REST_DOMAIN, remote), remote, ctx()))
    assert methods(steps) == ['apigateway.update_domain_name']
    update = calls(steps)[0]
    assert update.params == {'domainName': 'api.example.com', 'patchOperations': [
        {'op': 'replace', 'path': '/certificateArn', 'value': EDGE_CERT + '-new'},
        {'op': 'replace', 'path': '/securityPolicy', 'value': 'TLS_1_0'}]}
    assert update.message == 'Updating custom domain name: api.example.com'
    record = last_record(steps)
    assert record.values['certificate_arn'] == EDGE_CERT + '-new'
    assert record.values['security_policy'] == 'TLS_1_0'


def test_edge_to_regional_moves_the_endpoint_and_adds_the_regional_certificate():
    remote = remote_rest()
    model = dataclasses.replace(REST_DOMAIN, endpoint_type='REGIONAL',
                                certificate_arn=REGIONAL_CERT)
    update = calls(checked(HOME.plan(model, None, remote, ctx())))[0]
    assert update.params['patchOperations'] == [
        {'op': 'replace', 'path': '/endpointConfiguration/types/EDGE', 'value': 'REGIONAL'},
        {'op': 'add', 'path': '/regionalCertificateArn', 'value': REGIONAL_CERT}]
    # The alias target changes with the endpoint: taken from the update's response.
    assert set(update.outputs.values()) == {'regionalHostedZoneId', 'regionalDomainName'}


def test_websocket_certificate_change_replaces_the_configuration():
    remote = remote_ws()
    model = dataclasses.replace(WS_DOMAIN, certificate_arn=REGIONAL_CERT + '-2')
    steps = checked(HOME.plan(model, None, remote, ctx()))
    assert methods(steps) == ['apigatewayv2.update_domain_name']
    assert calls(steps)[0].params['DomainNameConfigurations'][0]['CertificateArn'] == \
        REGIONAL_CERT + '-2'


def test_tags_added_changed_and_removed():
    remote = remote_rest(tags={'team': 'old', 'gone': 'x'})
    model = dataclasses.replace(REST_DOMAIN, tags={'team': 'web', 'new': 'y'})
    steps = checked(HOME.plan(model, None, remote, ctx()))
    arn = 'arn:aws:apigateway:us-west-2::/domainnames/api.example.com'
    assert [(s.method, s.params) for s in calls(steps)] == [
        ('untag_resource', {'resourceArn': arn, 'tagKeys': ['gone']}),
        ('tag_resource', {'resourceArn': arn, 'tags': {'team': 'web', 'new': 'y'}})]
    ws = checked(HOME.plan(dataclasses.replace(WS_DOMAIN, tags={'a': 'b'}), None,
                           remote_ws(), ctx()))
    assert [(s.method, s.params) for s in calls(ws)] == [
        ('tag_resource', {'ResourceArn': remote_ws()['domain']['arn'], 'Tags': {'a': 'b'}})]


def test_mappings_deleted_first_then_repointed_and_created():
    remote = remote_rest()
    remote['mappings'][1]['api_id'] = 'old-api'  # v1 points at a previous API
    model = dataclasses.replace(REST_DOMAIN, url_prefixes=('v1', 'v2'))
    steps = checked(HOME.plan(model, None, remote, ctx()))
    assert methods(steps) == ['apigateway.delete_base_path_mapping',
                              'apigateway.update_base_path_mapping',
                              'apigateway.create_base_path_mapping']
    delete, update, create = calls(steps)
    assert delete.params == {'domainName': 'api.example.com', 'basePath': '(none)'}
    assert delete.ignore_errors == ('NotFoundException',)
    assert update.params['basePath'] == 'v1' and update.params['patchOperations'] == [
        {'op': 'replace', 'path': '/restapiId', 'value': API_ID},
        {'op': 'replace', 'path': '/stage', 'value': 'api'}]
    assert create.params['basePath'] == 'v2'
    # The record follows each mapping change.
    kinds = [type(s).__name__ for s in steps if not isinstance(s, (SetVar, Message))]
    assert kinds == ['APICall', 'RecordResource'] * 3
    assert [m['key'] for m in last_record(steps).values['api_mapping']] == ['/v1', '/v2']


def test_websocket_mapping_moved_to_another_stage_is_updated():
    remote = remote_ws()
    model = dataclasses.replace(WS_DOMAIN, api=dataclasses.replace(WS, api_gateway_stage='v2'))
    update = calls(checked(HOME.plan(model, None, remote, ctx())))[0]
    assert update.params == {'DomainName': 'ws.example.com', 'ApiMappingId': 'map-chat',
                             'ApiId': WS_ID, 'Stage': 'v2', 'ApiMappingKey': 'chat'}


def test_a_renamed_domain_deletes_the_recorded_one_first():
    record = record_of(REST_DOMAIN, remote_rest())
    model = dataclasses.replace(REST_DOMAIN, domain_name='new.example.com')
    remote = {'domain': None, 'mappings': [], 'old': {
        'domain': remote_rest()['domain'], 'mappings': remote_rest()['mappings']}}
    steps = checked(HOME.plan(model, record, remote, ctx()))
    assert methods(steps)[:4] == ['apigateway.delete_base_path_mapping',
                                  'apigateway.delete_base_path_mapping',
                                  'apigateway.delete_domain_name',
                                  'apigateway.create_domain_name']
    assert [type(s).__name__ for s in steps[:6]] == [
        'APICall', 'RecordResource', 'APICall', 'RecordResource', 'APICall', 'ForgetResource']
    assert [m['key'] for m in steps[1].values['api_mapping']] == ['/v1']
    assert steps[3].values['api_mapping'] == []
    assert calls(steps)[2].params == {'domainName': 'api.example.com'}


# -- delete

def test_delete_removes_the_mappings_then_the_domain():
    record = record_of(WS_DOMAIN, remote_ws())
    steps = checked(HOME.plan_delete(record, remote_ws(), ctx()))
    assert methods(steps) == ['apigatewayv2.delete_api_mapping',
                              'apigatewayv2.delete_domain_name']
    assert calls(steps)[0].params == {'DomainName': 'ws.example.com', 'ApiMappingId': 'map-chat'}
    assert all(s.ignore_errors == ('NotFoundException',) for s in calls(steps))
    # The record follows the mappings deleted, so a failed delete leaves it exact.
    assert isinstance(steps[1], RecordResource) and steps[1].values['api_mapping'] == []
    assert steps[1].values['domain_name'] == 'ws.example.com'
    assert isinstance(steps[-1], ForgetResource)


def test_delete_of_a_vanished_domain_only_forgets_it():
    record = record_of(REST_DOMAIN, remote_rest())
    steps = HOME.plan_delete(record, {'domain': None, 'mappings': []}, ctx())
    assert calls(steps) == [] and isinstance(steps[-1], ForgetResource)


def test_delete_without_remote_falls_back_on_the_record():
    record = record_of(REST_DOMAIN, remote_rest())
    steps = checked(HOME.plan_delete(record, None, ctx()))
    assert [s.params.get('basePath') for s in calls(steps)] == ['(none)', 'v1', None]


# -- records, URLs, the summary

def test_record_urls():
    record = {'name': 'api_gateway_custom_domain', 'domain_name': 'api.example.com',
              'api_mapping': [{'key': '/'}, {'key': '/v1'}]}
    assert record_urls(record) == ['https://api.example.com/', 'https://api.example.com/v1/']
    ws = {'name': 'websocket_api_custom_domain', 'domain_name': 'ws.example.com',
          'api_mapping': []}
    assert record_urls(ws) == ['wss://ws.example.com/']
    assert WS_DOMAIN.urls() == ['wss://ws.example.com/chat/']


def summary_lines(tmp_path, *records):
    """What the deploy summary prints for a state of ``records``."""
    ui = RecordingUI()
    write_summary(DeployedState(str(tmp_path / 'dev.json'), list(records)), ui)
    return ui.lines


def test_summary_prints_the_alias_target_and_says_dns_is_up_to_the_user(tmp_path):
    assert summary_lines(tmp_path, {
        'name': 'rest_api', 'resource_type': 'rest_api', 'rest_api_id': API_ID,
        'rest_api_url': 'https://abc123.execute-api.us-west-2.amazonaws.com/api/'},
        dict(record_of(REST_DOMAIN, remote_rest()))) == [
        'Resources deployed:',
        '  - Rest API URL: https://abc123.execute-api.us-west-2.amazonaws.com/api/',
        '  - Custom domain name:',
        '      HostedZoneId: Z2FDTNDATAQYW2',
        '      AliasDomainName: d111.cloudfront.net',
        '      DomainName: api.example.com',
        '      URL: https://api.example.com/',
        '      URL: https://api.example.com/v1/',
        'Route 53 records are not created: point each custom domain name at its '
        'AliasDomainName (an alias record in HostedZoneId, or a CNAME).',
    ]


# -- the app graph

def hello_app():
    app = Chalice(app_name='demo')

    @app.route('/')
    def index():
        return {}

    return app


def domains_of(tmp_path, region=REGION, **stage):
    config = make_config(hello_app(), tmp_path, stages={'dev': stage})
    application = build_application(config, make_package(tmp_path), region=region)
    return [m for m in application.ordered() if m.resource_type == 'domain_name']


def test_app_graph_builds_the_domain_after_its_api(tmp_path):
    config = make_config(hello_app(), tmp_path, stages={'dev': {'api_gateway_custom_domain': {
        'domain_name': 'api.example.com', 'certificate_arn': EDGE_CERT, 'url_prefix': '/v1/',
        'tags': {'a': 'b'}}}})
    ordered = build_application(config, make_package(tmp_path), region=REGION).ordered()
    names = [m.resource_name for m in ordered]
    assert names.index('rest_api') < names.index('api_gateway_custom_domain')
    [domain] = [m for m in ordered if m.resource_type == 'domain_name']
    assert (domain.endpoint_type, domain.tls_version, domain.url_prefixes, domain.tags) == (
        'EDGE', 'TLS_1_2', ('v1',), {'a': 'b'})
    assert domain.api.resource_name == 'rest_api'


def test_no_domain_without_the_setting_or_without_routes(tmp_path):
    assert domains_of(tmp_path) == []
    app = Chalice(app_name='demo')
    app.lambda_function()(lambda event, context: None)
    config = make_config(app, tmp_path, api_gateway_custom_domain={
        'domain_name': 'api.example.com', 'certificate_arn': EDGE_CERT})
    application = build_application(config, make_package(tmp_path), region=REGION)
    assert [m for m in application.ordered() if m.resource_type == 'domain_name'] == []


@pytest.mark.parametrize('stage, message', [
    ({'api_gateway_custom_domain': {'domain_name': 'a.example.com',
                                    'certificate_arn': REGIONAL_CERT}},
     'api_gateway_custom_domain.certificate_arn is in us-west-2 but EDGE custom domains '
     'need an ACM certificate in us-east-1'),
    ({'api_gateway_endpoint_type': 'REGIONAL',
      'api_gateway_custom_domain': {'domain_name': 'a.example.com', 'certificate_arn': EDGE_CERT}},
     'api_gateway_custom_domain.certificate_arn is in us-east-1 but REGIONAL custom domains '
     'need an ACM certificate in us-west-2'),
    ({'api_gateway_endpoint_type': 'PRIVATE', 'api_gateway_endpoint_vpce': 'vpce-1',
      'api_gateway_custom_domain': {'domain_name': 'a.example.com', 'certificate_arn': EDGE_CERT}},
     'api_gateway_custom_domain cannot be set up for a PRIVATE API'),
])
def test_app_graph_refuses_what_api_gateway_would(tmp_path, stage, message):
    with pytest.raises(ConfigError) as excinfo:
        domains_of(tmp_path, **stage)
    assert message in str(excinfo.value)


def test_packaging_does_not_know_the_region_so_regional_certificates_pass(tmp_path):
    [domain] = domains_of(tmp_path, region='${AWS::Region}', api_gateway_endpoint_type='REGIONAL',
                          api_gateway_custom_domain={'domain_name': 'a.example.com',
                                                     'certificate_arn': EDGE_CERT})
    assert domain.endpoint_type == 'REGIONAL'


# -- a domain shared with another stage's API

def foreign_mapping(key='prod'):
    return {'key': key, 'id': key, 'api_id': 'other-api', 'stage': 'api'}


def test_mappings_of_other_apis_are_left_alone_and_not_recorded():
    remote = remote_rest()
    remote['mappings'].append(foreign_mapping())
    record = record_of(REST_DOMAIN, remote_rest())
    steps = HOME.plan(REST_DOMAIN, record, remote, ctx())
    assert calls(steps) == []
    assert not any(isinstance(s, RecordResource) for s in steps)
    # A base path the config claims is taken over, though.
    claimed = dataclasses.replace(REST_DOMAIN, url_prefixes=('', 'v1', 'prod'))
    steps = checked(HOME.plan(claimed, record, remote, ctx()))
    assert methods(steps) == ['apigateway.update_base_path_mapping']
    assert [m['key'] for m in last_record(steps).values['api_mapping']] == ['/', '/prod', '/v1']


def test_delete_keeps_a_domain_other_apis_are_mapped_to():
    record = record_of(REST_DOMAIN, remote_rest())
    remote = remote_rest()
    remote['mappings'].append(foreign_mapping())
    steps = checked(HOME.plan_delete(record, remote, ctx()))
    assert methods(steps) == ['apigateway.delete_base_path_mapping'] * 2
    assert [s.params['basePath'] for s in calls(steps)] == ['(none)', 'v1']
    assert 'Keeping custom domain name api.example.com: other APIs are mapped to it (/prod)' in [
        s.text for s in steps if isinstance(s, Message)]
    assert isinstance(steps[-1], ForgetResource)
