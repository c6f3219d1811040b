"""Custom domains: ``chalice deploy``/``delete`` of API Gateway domain names.

Against the moto server, with the shims of ``shims_domains`` (each shown
to be needed at the end of this file).  A REST API's domain is an API
Gateway v1 domain name with base path mappings, a websocket API's an API
Gateway v2 domain name with API mappings.  The tests run the CLI, then
check its output, the state file and what moto holds: creating, redeploying
without a single write, changing the certificate, TLS version, endpoint
type, tags and base paths, renaming, taking over an unrecorded domain,
deleting; bad settings refused before any AWS call; and every call of the
deploys that add and change domains made to fail in turn.
"""
import json
import re
import socket

import pytest
from botocore.exceptions import ClientError

from tests.integration import deploy_checks
from tests.integration.conftest import REGION, make_project, run_chalice
from tests.integration.deploy_checks import (
    assert_failed_at_the_kth_call,
    assert_fault_reported,
    each_call_failing,
    first_mutating_index,
    mutating_operations,
    one_error_line,
    remove_state,
    run_ok,
    state_path,
)
from tests.integration.moto_support import aws_environment, shims_disabled

APP_NAME = 'domains'
REST_APP = '''\
from chalice import Chalice

app = Chalice(app_name='domains')


@app.route('/')
def index():
    return {'hello': 'world'}
'''
BOTH_APP = REST_APP + '''
app.experimental_feature_flags.update(['WEBSOCKETS'])


@app.on_ws_message()
def message(event):
    pass
'''
ACCOUNT = '123456789012'
EDGE_CERT = 'arn:aws:acm:us-east-1:%s:certificate/edge-1' % ACCOUNT
EDGE_CERT_2 = 'arn:aws:acm:us-east-1:%s:certificate/edge-2' % ACCOUNT
REGIONAL_CERT = 'arn:aws:acm:%s:%s:certificate/regional-1' % (REGION, ACCOUNT)
REGIONAL_CERT_2 = 'arn:aws:acm:%s:%s:certificate/regional-2' % (REGION, ACCOUNT)
REST_DOMAIN = {'domain_name': 'api.example.com', 'certificate_arn': EDGE_CERT,
               'url_prefixes': ['/', 'v1'], 'tags': {'team': 'web'}}
WS_DOMAIN = {'domain_name': 'ws.example.com', 'certificate_arn': REGIONAL_CERT,
             'url_prefix': 'chat'}
CHALICE_FIELDS = {'domain_name', 'certificate_arn', 'security_policy', 'hosted_zone_id',
                  'alias_domain_name', 'api_mapping'}
REQUIRED_KEYS = {
    'iam_role': {'role_name', 'role_arn'},
    'lambda_function': {'lambda_arn'},
    'rest_api': {'rest_api_id', 'rest_api_url'},
    'websocket_api': {'websocket_api_id', 'websocket_api_url'},
    'http_api': {'http_api_id', 'http_api_url'},
    'domain_name': CHALICE_FIELDS,
}
# The records of API Gateway v2 domains (the REST API's is a v1 domain).
V2_RECORDS = ('websocket_api_custom_domain', 'http_api_custom_domain')


def config(**stage):
    return {'version': '2.0', 'app_name': APP_NAME,
            'stages': {'dev': dict({'api_gateway_stage': 'api'}, **stage)}}


def write_config(project, **stage):
    (project / '.chalice' / 'config.json').write_text(json.dumps(config(**stage)))


def records(project):
    return deploy_checks.read_state_records(project, REQUIRED_KEYS, backend='api')


def domain_records(project):
    return {r['name']: r for r in records(project) if r['resource_type'] == 'domain_name'}


# -- what moto holds

def v1_domains(aws):
    """REST API domains: name -> settings, alias target and mappings."""
    found = {}
    for item in aws.apigateway.get_domain_names()['items']:
        name = item['domainName']
        edge = item['endpointConfiguration']['types'] == ['EDGE']
        mappings = aws.apigateway.get_base_path_mappings(domainName=name)['items']
        found[name] = {
            'types': item['endpointConfiguration']['types'],
            'certificate': item.get('certificateArn' if edge else 'regionalCertificateArn'),
            'other_certificate': item.get('regionalCertificateArn' if edge
                                          else 'certificateArn'),
            'security_policy': item['securityPolicy'], 'tags': item.get('tags') or {},
            'hosted_zone_id': item['distributionHostedZoneId' if edge
                                   else 'regionalHostedZoneId'],
            'alias': item['distributionDomainName' if edge else 'regionalDomainName'],
            'mappings': sorted((m['basePath'], m['restApiId'], m['stage']) for m in mappings)}
    return found


def v2_domains(aws):
    """Websocket domains: name -> settings, alias target and mappings."""
    found = {}
    for item in aws.apigatewayv2.get_domain_names()['Items']:
        name = item['DomainName']
        [configuration] = item['DomainNameConfigurations']
        mappings = aws.apigatewayv2.get_api_mappings(DomainName=name)['Items']
        found[name] = {
            'certificate': configuration['CertificateArn'],
            'endpoint_type': configuration['EndpointType'],
            'security_policy': configuration['SecurityPolicy'],
            'tags': item.get('Tags') or {},
            'hosted_zone_id': configuration['HostedZoneId'],
            'alias': configuration['ApiGatewayDomainName'],
            'mappings': sorted((m.get('ApiMappingKey') or '', m['ApiId'], m['Stage'],
                                m['ApiMappingId']) for m in mappings)}
    return found


def rest_api_id(aws):
    [api] = aws.apigateway.get_rest_apis()['items']
    return api['id']


def websocket_api_id(aws):
    [api] = aws.apigatewayv2.get_apis()['Items']
    return api['ApiId']


def assert_domains_match_state(project, aws):
    """Every recorded domain exists with the recorded alias target and mappings,
    and every domain that exists is recorded."""
    recorded = domain_records(project)
    v1, v2 = v1_domains(aws), v2_domains(aws)
    assert {r['domain_name'] for r in recorded.values()} == set(v1) | set(v2)
    for record in recorded.values():
        is_v2 = record['name'] in V2_RECORDS
        domain = (v2 if is_v2 else v1)[record['domain_name']]
        assert (record['hosted_zone_id'], record['alias_domain_name']) == (
            domain['hosted_zone_id'], domain['alias'])
        if is_v2:
            moto = sorted(('/' + key, api, stage, mapping_id)
                          for key, api, stage, mapping_id in domain['mappings'])
            mine = sorted((m['key'], m['api_id'], m['stage'], m['id'])
                          for m in record['api_mapping'])
        else:
            moto = sorted(('/' + ('' if path == '(none)' else path), api, stage)
                          for path, api, stage in domain['mappings'])
            mine = sorted((m['key'], m['api_id'], m['stage']) for m in record['api_mapping'])
        assert mine == moto
    return recorded


def summary(record):
    lines = ['  - Custom domain name:',
             '      HostedZoneId: %s' % record['hosted_zone_id'],
             '      AliasDomainName: %s' % record['alias_domain_name'],
             '      DomainName: %s' % record['domain_name']]
    scheme = 'wss' if record['name'] == 'websocket_api_custom_domain' else 'https'
    for mapping in record['api_mapping']:
        key = mapping['key']
        lines.append('      URL: %s://%s%s' % (scheme, record['domain_name'],
                                               key if key == '/' else key + '/'))
    return lines


DNS_NOTE = ('Route 53 records are not created: point each custom domain name at its '
            'AliasDomainName (an alias record in HostedZoneId, or a CNAME).')


def assert_redeploy_reads_only(project, aws_env, fault_injector, record, summary_lines, url):
    """An unchanged redeploy makes no write, says so, ends with the same
    summary and keeps the record; ``chalice dev plan`` agrees."""
    fault_injector.arm()
    again = run_ok(project, 'deploy', aws_env)
    assert fault_injector.mutating_calls == [], [str(c) for c in fault_injector.mutating_calls]
    lines = again.stdout.splitlines()
    assert 'No changes to custom domain name: %s' % record['domain_name'] in lines
    assert lines[-len(summary_lines):] == summary_lines
    assert domain_records(project)[record['name']] == record
    planned = run_chalice(project, 'dev', 'plan', env=aws_env)
    assert planned.returncode == 0, planned.stderr
    plan = planned.stdout.splitlines()
    assert '# Custom domain URL: %s' % url in plan
    assert plan[-1] == '0 AWS calls would change resources.'


# --------------------------------------------------------------------------
# REST API domains
# --------------------------------------------------------------------------

def test_rest_domain_create_redeploy_update_and_remove(tmp_path, aws_env, aws_clients,
                                                       fault_injector):
    project = make_project(tmp_path, REST_APP, config=config(
        api_gateway_custom_domain=REST_DOMAIN), app_name=APP_NAME)
    result = run_ok(project, 'deploy', aws_env)
    api_id = rest_api_id(aws_clients)
    [domain] = v1_domains(aws_clients).values()
    assert domain == {
        'types': ['EDGE'], 'certificate': EDGE_CERT, 'other_certificate': None,
        'security_policy': 'TLS_1_2', 'tags': {'team': 'web'},
        'hosted_zone_id': 'Z2FDTNDATAQYW2', 'alias': domain['alias'],
        'mappings': [('(none)', api_id, 'api'), ('v1', api_id, 'api')]}
    assert domain['alias'].endswith('.cloudfront.net')

    # The record: Chalice's fields, as AWS reports them.
    record = assert_domains_match_state(project, aws_clients)['api_gateway_custom_domain']
    assert {k: record[k] for k in CHALICE_FIELDS - {'api_mapping'}} == {
        'domain_name': 'api.example.com', 'certificate_arn': EDGE_CERT,
        'security_policy': 'TLS_1_2', 'hosted_zone_id': 'Z2FDTNDATAQYW2',
        'alias_domain_name': domain['alias']}
    assert [m['key'] for m in record['api_mapping']] == ['/', '/v1']
    assert [r['name'] for r in records(project)][-2:] == ['rest_api',
                                                         'api_gateway_custom_domain']

    # The output: what was made, then where DNS must point.
    lines = result.stdout.splitlines()
    assert lines[lines.index('Creating Rest API') + 1:lines.index('Resources deployed:')] == [
        'Creating custom domain name: api.example.com',
        'Creating api mapping: /', 'Creating api mapping: /v1',
        'Custom domain URL: https://api.example.com/',
        'Custom domain URL: https://api.example.com/v1/']
    expected = summary(record) + [DNS_NOTE]
    assert lines[-len(expected):] == expected
    assert '  - Rest API URL: https://%s.execute-api.%s.amazonaws.com/api/' % (
        api_id, REGION) in lines

    # chalice url keeps printing the execute-api URL.
    url = run_ok(project, 'url', aws_env)
    assert url.stdout == 'https://%s.execute-api.%s.amazonaws.com/api/\n' % (api_id, REGION)

    # An unchanged redeploy reads only, and says so.
    assert_redeploy_reads_only(project, aws_env, fault_injector, record, expected,
                               'https://api.example.com/v1/')

    # Certificate, TLS version, tags and base paths change: only those calls.
    write_config(project, api_gateway_custom_domain=dict(
        REST_DOMAIN, certificate_arn=EDGE_CERT_2, tls_version='TLS_1_0',
        url_prefixes=['v1', 'v2'], tags={'team': 'api', 'cost': 'x'}))
    fault_injector.arm()
    updated = run_ok(project, 'deploy', aws_env)
    assert mutating_operations(fault_injector) == [
        'CreateBasePathMapping', 'DeleteBasePathMapping', 'TagResource', 'UpdateDomainName']
    lines = updated.stdout.splitlines()
    assert ['Updating custom domain name: api.example.com', 'Deleting api mapping: /',
            'Creating api mapping: /v2'] == [
        line for line in lines if line.startswith(('Updating', 'Deleting', 'Creating api'))]
    [domain] = v1_domains(aws_clients).values()
    assert (domain['certificate'], domain['security_policy'], domain['tags']) == (
        EDGE_CERT_2, 'TLS_1_0', {'team': 'api', 'cost': 'x'})
    assert domain['mappings'] == [('v1', api_id, 'api'), ('v2', api_id, 'api')]
    record = assert_domains_match_state(project, aws_clients)['api_gateway_custom_domain']
    assert (record['certificate_arn'], record['security_policy']) == (EDGE_CERT_2, 'TLS_1_0')

    # A tag removed is untagged.
    write_config(project, api_gateway_custom_domain=dict(
        REST_DOMAIN, certificate_arn=EDGE_CERT_2, tls_version='TLS_1_0',
        url_prefixes=['v1', 'v2'], tags={'team': 'api'}))
    fault_injector.arm()
    run_ok(project, 'deploy', aws_env)
    assert mutating_operations(fault_injector) == ['UntagResource']
    assert v1_domains(aws_clients)['api.example.com']['tags'] == {'team': 'api'}

    # Without the setting, the mappings and then the domain are deleted.
    write_config(project)
    fault_injector.arm()
    removed = run_ok(project, 'deploy', aws_env)
    assert [c.operation for c in fault_injector.mutating_calls] == [
        'DeleteBasePathMapping', 'DeleteBasePathMapping', 'DeleteDomainName']
    assert 'Deleting custom domain name: api.example.com' in removed.stdout.splitlines()
    assert v1_domains(aws_clients) == {}
    assert domain_records(project) == {}
    assert 'Custom domain name' not in removed.stdout


def test_regional_domain_and_moving_it_to_edge(tmp_path, aws_env, aws_clients,
                                               fault_injector):
    regional = dict(REST_DOMAIN, certificate_arn=REGIONAL_CERT, url_prefixes=['v1'])
    project = make_project(tmp_path, REST_APP, config=config(
        api_gateway_endpoint_type='REGIONAL', api_gateway_custom_domain=regional),
        app_name=APP_NAME)
    run_ok(project, 'deploy', aws_env)
    [domain] = v1_domains(aws_clients).values()
    assert (domain['types'], domain['certificate'], domain['other_certificate']) == (
        ['REGIONAL'], REGIONAL_CERT, None)
    assert domain['alias'].endswith('.execute-api.%s.amazonaws.com' % REGION)
    record = assert_domains_match_state(project, aws_clients)['api_gateway_custom_domain']
    assert record['alias_domain_name'] == domain['alias']

    write_config(project, api_gateway_endpoint_type='EDGE', api_gateway_custom_domain=dict(
        regional, certificate_arn=EDGE_CERT))
    fault_injector.arm()
    run_ok(project, 'deploy', aws_env)
    assert mutating_operations(fault_injector) == ['CreateDeployment', 'UpdateDomainName',
                                                   'UpdateRestApi']
    [domain] = v1_domains(aws_clients).values()
    assert (domain['types'], domain['certificate'], domain['other_certificate']) == (
        ['EDGE'], EDGE_CERT, None)
    # The alias target moved to CloudFront, and the record says so.
    record = assert_domains_match_state(project, aws_clients)['api_gateway_custom_domain']
    assert record['alias_domain_name'].endswith('.cloudfront.net')


def test_unrecorded_domain_is_taken_over_and_repointed(tmp_path, aws_env, aws_clients,
                                                       fault_injector):
    project = make_project(tmp_path, REST_APP, config=config(
        api_gateway_custom_domain=REST_DOMAIN), app_name=APP_NAME)
    run_ok(project, 'deploy', aws_env)
    old_api = rest_api_id(aws_clients)
    # The state file is lost and the old API deleted: a new API, the same domain.
    remove_state(project)
    aws_clients.apigateway.delete_rest_api(restApiId=old_api)
    fault_injector.arm()
    result = run_ok(project, 'deploy', aws_env)
    operations = mutating_operations(fault_injector)
    assert 'CreateDomainName' not in operations
    assert operations.count('UpdateBasePathMapping') == 2
    new_api = rest_api_id(aws_clients)
    assert v1_domains(aws_clients)['api.example.com']['mappings'] == [
        ('(none)', new_api, 'api'), ('v1', new_api, 'api')]
    assert 'Updating api mapping: /v1' in result.stdout.splitlines()
    assert_domains_match_state(project, aws_clients)


def test_renamed_domain_replaces_the_old_one(tmp_path, aws_env, aws_clients, fault_injector):
    project = make_project(tmp_path, REST_APP, config=config(
        api_gateway_custom_domain=REST_DOMAIN), app_name=APP_NAME)
    run_ok(project, 'deploy', aws_env)
    write_config(project, api_gateway_custom_domain=dict(REST_DOMAIN,
                                                         domain_name='www.example.com'))
    fault_injector.arm()
    run_ok(project, 'deploy', aws_env)
    assert [c.operation for c in fault_injector.mutating_calls] == [
        'DeleteBasePathMapping', 'DeleteBasePathMapping', 'DeleteDomainName',
        'CreateDomainName', 'CreateBasePathMapping', 'CreateBasePathMapping']
    assert set(v1_domains(aws_clients)) == {'www.example.com'}
    assert domain_records(project)['api_gateway_custom_domain']['domain_name'] == \
        'www.example.com'
    assert_domains_match_state(project, aws_clients)


def test_two_stages_share_one_domain(tmp_path, aws_env, aws_clients, fault_injector):
    shared = dict(REST_DOMAIN, url_prefixes=None)
    project = make_project(tmp_path, REST_APP, config={
        'version': '2.0', 'app_name': APP_NAME, 'stages': {
            'dev': {'api_gateway_custom_domain': dict(shared, url_prefix='dev')},
            'prod': {'api_gateway_custom_domain': dict(shared, url_prefix='prod')}}},
        app_name=APP_NAME)
    run_ok(project, 'deploy', aws_env)
    prod = run_chalice(project, 'deploy', '--stage', 'prod', env=aws_env)
    assert prod.returncode == 0, prod.stderr
    assert [m[0] for m in v1_domains(aws_clients)['api.example.com']['mappings']] == [
        'dev', 'prod']
    # Each stage keeps to its own mapping: a redeploy of dev writes nothing.
    fault_injector.arm()
    run_ok(project, 'deploy', aws_env)
    assert fault_injector.mutating_calls == []
    # Deleting dev leaves the domain to prod; deleting prod removes it.
    deleted = run_ok(project, 'delete', aws_env)
    assert ('Keeping custom domain name api.example.com: other APIs are mapped to it '
            '(/prod)') in deleted.stdout.splitlines()
    assert [m[0] for m in v1_domains(aws_clients)['api.example.com']['mappings']] == ['prod']
    gone = run_chalice(project, 'delete', '--stage', 'prod', env=aws_env)
    assert gone.returncode == 0, gone.stderr
    assert v1_domains(aws_clients) == {}


# --------------------------------------------------------------------------
# websocket API domains, and delete
# --------------------------------------------------------------------------

def test_websocket_domain_create_redeploy_update_and_delete(tmp_path, aws_env, aws_clients,
                                                            fault_injector):
    project = make_project(tmp_path, BOTH_APP, config=config(
        websocket_api_custom_domain=WS_DOMAIN, api_gateway_custom_domain=REST_DOMAIN),
        app_name=APP_NAME)
    result = run_ok(project, 'deploy', aws_env)
    ws_id = websocket_api_id(aws_clients)
    [domain] = v2_domains(aws_clients).values()
    assert {k: v for k, v in domain.items() if k not in ('alias', 'mappings')} == {
        'certificate': REGIONAL_CERT, 'endpoint_type': 'REGIONAL',
        'security_policy': 'TLS_1_2', 'tags': {}, 'hosted_zone_id': domain['hosted_zone_id']}
    [(key, api, stage, _)] = domain['mappings']
    assert (key, api, stage) == ('chat', ws_id, 'api')
    recorded = assert_domains_match_state(project, aws_clients)
    assert set(recorded) == {'websocket_api_custom_domain', 'api_gateway_custom_domain'}
    ws_record = recorded['websocket_api_custom_domain']
    assert ws_record['alias_domain_name'] == domain['alias']
    lines = result.stdout.splitlines()
    assert 'Creating custom domain name: ws.example.com' in lines
    assert 'Custom domain URL: wss://ws.example.com/chat/' in lines
    # The REST API's domain first: the REST API is deployed before the websocket API.
    summary_lines = summary(recorded['api_gateway_custom_domain']) + summary(ws_record)
    assert lines[-len(summary_lines) - 1:] == summary_lines + [DNS_NOTE]

    fault_injector.arm()
    again = run_ok(project, 'deploy', aws_env)
    assert fault_injector.mutating_calls == [], [str(c) for c in fault_injector.mutating_calls]
    assert 'No changes to custom domain name: ws.example.com' in again.stdout.splitlines()

    write_config(project, api_gateway_custom_domain=REST_DOMAIN,
                 websocket_api_custom_domain=dict(
                     WS_DOMAIN, certificate_arn=REGIONAL_CERT_2, url_prefix=None,
                     url_prefixes=['chat', 'v2'], tags={'a': 'b'}))
    fault_injector.arm()
    run_ok(project, 'deploy', aws_env)
    assert mutating_operations(fault_injector) == ['CreateApiMapping', 'TagResource',
                                                   'UpdateDomainName']
    [domain] = v2_domains(aws_clients).values()
    assert (domain['certificate'], domain['tags']) == (REGIONAL_CERT_2, {'a': 'b'})
    assert [m[0] for m in domain['mappings']] == ['chat', 'v2']
    assert_domains_match_state(project, aws_clients)

    fault_injector.arm()
    deleted = run_ok(project, 'delete', aws_env)
    operations = [c.operation for c in fault_injector.mutating_calls]
    # Each domain's mappings go before the domain, the domains before their
    # APIs; the websocket API, deployed last, is deleted first.
    assert operations[:4] == ['DeleteApiMapping', 'DeleteApiMapping', 'DeleteDomainName',
                              'DeleteApi']
    rest_domain = operations.index('DeleteDomainName', 4)
    assert operations[rest_domain - 2:rest_domain] == ['DeleteBasePathMapping'] * 2
    assert rest_domain < operations.index('DeleteRestApi')
    assert 'Deleting custom domain name: ws.example.com' in deleted.stdout.splitlines()
    assert v1_domains(aws_clients) == {} and v2_domains(aws_clients) == {}
    assert records(project) == []


# --------------------------------------------------------------------------
# bad settings: refused before any AWS call
# --------------------------------------------------------------------------

@pytest.fixture
def closed_port_env(aws_env):
    """An environment whose AWS endpoint refuses connections (bound, not listening)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    try:
        yield aws_environment('http://127.0.0.1:%d' % sock.getsockname()[1], base=aws_env)
    finally:
        sock.close()


@pytest.mark.parametrize('key, domain, message', [
    ('api_gateway_custom_domain', dict(REST_DOMAIN, domain_name='Bad_Name.example.com'),
     'stages.dev.api_gateway_custom_domain.domain_name must be a domain name such as '
     'api.example.com in lower case'),
    ('api_gateway_custom_domain', dict(REST_DOMAIN, certificate_arn=(
        'arn:aws:iam::123456789012:server-certificate/mine')),
     'stages.dev.api_gateway_custom_domain.certificate_arn must be the ARN of an ACM '
     'certificate'),
    ('websocket_api_custom_domain', dict(WS_DOMAIN, tls_version='TLS_1_3'),
     'stages.dev.websocket_api_custom_domain.tls_version must be one of TLS_1_0, TLS_1_2, '
     'got "TLS_1_3"'),
    ('api_gateway_custom_domain', dict(REST_DOMAIN, certificate_arn=REGIONAL_CERT),
     'api_gateway_custom_domain.certificate_arn is in us-west-2 but EDGE custom domains '
     'need an ACM certificate in us-east-1'),
])
def test_bad_domain_settings_fail_before_any_aws_call(tmp_path, closed_port_env, key, domain,
                                                      message):
    project = make_project(tmp_path, BOTH_APP, config=config(**{key: domain}),
                           app_name=APP_NAME)
    assert_refused_before_any_aws_call(project, closed_port_env, message)


def assert_refused_before_any_aws_call(project, env, message):
    """deploy and dev plan stop with exit code 2 and one line holding ``message``,
    without trying the (unreachable) AWS endpoint of ``env``, and no state file."""
    for command in ('deploy', 'dev plan'):
        result = run_chalice(project, *command.split(), env=env, timeout=60)
        assert result.returncode == 2, (command, result.stderr)
        line = one_error_line(result)
        assert message in line, line
        assert 'Could not connect' not in result.stderr
    assert deploy_checks.load_state(project) is None


# --------------------------------------------------------------------------
# crash safety
# --------------------------------------------------------------------------

def delete_all_domains(aws):
    for name in v1_domains(aws):
        for mapping in aws.apigateway.get_base_path_mappings(domainName=name)['items']:
            aws.apigateway.delete_base_path_mapping(domainName=name,
                                                    basePath=mapping['basePath'])
        aws.apigateway.delete_domain_name(domainName=name)
    for name in v2_domains(aws):
        for mapping in aws.apigatewayv2.get_api_mappings(DomainName=name)['Items']:
            aws.apigatewayv2.delete_api_mapping(DomainName=name,
                                                ApiMappingId=mapping['ApiMappingId'])
        aws.apigatewayv2.delete_domain_name(DomainName=name)


def domain_snapshot(aws):
    """The domains without the alias names moto makes up anew for each domain."""
    v1 = {name: dict(d, alias=None) for name, d in v1_domains(aws).items()}
    v2 = {name: dict(d, alias=None) for name, d in v2_domains(aws).items()}
    return v1, v2


_DOMAIN_OPERATION = re.compile(r'DomainName|BasePathMapping|ApiMapping|Tag')


def run_fault_loop(project, aws_env, aws_clients, fault_injector, before, after, base=None):
    """Fail each call of the deploy from config ``before`` to ``after``, in turn:
    every call of the domain home and every write (the other homes' reads
    fail in their own loops).  ``base``: stage settings both configs share.

    ``before`` (None: no domains) is restored before every run: the domains
    are deleted in moto and, unless it is None, deployed again.  Each failed
    run leaves a state file that records exactly the domains that exist,
    and a rerun converges on what the uninterrupted deploy made.
    """
    saved = {}

    def restore():
        delete_all_domains(aws_clients)
        state_file = state_path(project)
        if 'state' in saved:
            with open(state_file, 'w') as f:
                f.write(saved['state'])
        if before is not None:
            write_config(project, **base, **before)
            run_ok(project, 'deploy', aws_env)
        write_config(project, **base, **after)

    def deploy():
        return run_chalice(project, 'deploy', env=aws_env)

    base = base or {}
    write_config(project, **base)
    run_ok(project, 'deploy', aws_env)  # the APIs, without domains
    with open(state_path(project)) as f:
        saved['state'] = f.read()
    restore()
    fault_injector.arm()
    run_ok(project, 'deploy', aws_env)
    calls = fault_injector.calls
    reference = domain_snapshot(aws_clients)
    first_mutating = first_mutating_index(calls)
    chosen = [k for k, call in enumerate(calls, 1)
              if call.mutating or _DOMAIN_OPERATION.search(call.operation)]
    checked = 0
    for attempt in each_call_failing(calls, fault_injector, restore, deploy, chosen):
        context = attempt.context
        assert_failed_at_the_kth_call(attempt)
        assert_fault_reported(attempt, project, first_mutating, run_again=True)
        assert_domains_match_state(project, aws_clients)
        rerun = deploy()
        assert rerun.returncode == 0, (context, rerun.stderr)
        assert_domains_match_state(project, aws_clients)
        assert domain_snapshot(aws_clients) == reference, context
        checked += 1
    return calls, checked


def test_every_failed_call_of_adding_domains_is_recoverable(tmp_path, aws_env, aws_clients,
                                                            fault_injector):
    project = make_project(tmp_path, BOTH_APP, config=config(), app_name=APP_NAME)
    after = {'api_gateway_custom_domain': REST_DOMAIN, 'websocket_api_custom_domain': WS_DOMAIN}
    calls, checked = run_fault_loop(project, aws_env, aws_clients, fault_injector, None, after)
    domain_calls = [c.operation for c in calls if _DOMAIN_OPERATION.search(c.operation)]
    assert sorted(domain_calls) == [
        'CreateApiMapping', 'CreateBasePathMapping', 'CreateBasePathMapping',
        'CreateDomainName', 'CreateDomainName', 'GetDomainName', 'GetDomainName']
    # ... and every other write: none, the APIs exist already.
    assert checked == len(domain_calls) == len([c for c in calls if c.mutating]) + 2


def test_every_failed_call_of_changing_domains_is_recoverable(tmp_path, aws_env,
                                                               aws_clients, fault_injector):
    project = make_project(tmp_path, BOTH_APP, config=config(), app_name=APP_NAME)
    before = {'api_gateway_custom_domain': REST_DOMAIN, 'websocket_api_custom_domain': WS_DOMAIN}
    after = {'api_gateway_custom_domain': dict(
        REST_DOMAIN, certificate_arn=EDGE_CERT_2, tls_version='TLS_1_0',
        url_prefixes=['v1', 'v2'], tags={'team': 'api'}),
        'websocket_api_custom_domain': dict(WS_DOMAIN, certificate_arn=REGIONAL_CERT_2,
                                            url_prefix='v2', tags={'a': 'b'})}
    calls, checked = run_fault_loop(project, aws_env, aws_clients, fault_injector, before,
                                    after)
    domain_calls = [c.operation for c in calls if _DOMAIN_OPERATION.search(c.operation)]
    assert checked == len(domain_calls)
    assert sorted(c.operation for c in calls if c.operation.startswith('Get') and
                  c.operation in domain_calls) == [
        'GetApiMappings', 'GetBasePathMappings', 'GetDomainName', 'GetDomainName']
    assert sorted(c.operation for c in calls if c.mutating) == [
        'CreateApiMapping', 'CreateBasePathMapping', 'DeleteApiMapping',
        'DeleteBasePathMapping', 'TagResource', 'TagResource', 'UpdateDomainName',
        'UpdateDomainName']


def test_failed_domain_deletes_are_recorded_and_resumable(tmp_path, aws_env, aws_clients,
                                                          fault_injector):
    project = make_project(tmp_path, BOTH_APP, config=config(
        api_gateway_custom_domain=REST_DOMAIN, websocket_api_custom_domain=WS_DOMAIN),
        app_name=APP_NAME)
    assert_failed_deletes_resume(project, aws_env, aws_clients, fault_injector, (
        'DeleteBasePathMapping', 'DeleteDomainName', 'DeleteApiMapping'))


def assert_failed_deletes_resume(project, aws_env, aws_clients, fault_injector, operations):
    """For each operation: deploy, make ``chalice delete`` fail at it (the state
    file names what is left), then delete again, which removes everything."""
    for operation in operations:
        run_ok(project, 'deploy', aws_env)
        fault_injector.fail_when(lambda call, op=operation: call.operation == op)
        failed = run_chalice(project, 'delete', env=aws_env)
        fault_injector.disarm()
        assert failed.returncode == 1, (operation, failed.stderr)
        assert state_path(project) in one_error_line(failed)
        assert_domains_match_state(project, aws_clients)
        run_ok(project, 'delete', aws_env)
        assert v1_domains(aws_clients) == {} and v2_domains(aws_clients) == {}
        assert records(project) == []


# --------------------------------------------------------------------------
# the moto gaps shimmed for these tests (shims_domains.py)
# --------------------------------------------------------------------------

def _create_v1_domain(aws, name='shim.example.com'):
    return aws.apigateway.create_domain_name(
        domainName=name, certificateArn=EDGE_CERT, securityPolicy='TLS_1_2',
        endpointConfiguration={'types': ['EDGE']}, tags={'a': '1'})


def _create_v2_domain(aws, name='shim.example.com'):
    return aws.apigatewayv2.create_domain_name(DomainName=name, DomainNameConfigurations=[{
        'CertificateArn': REGIONAL_CERT, 'EndpointType': 'REGIONAL',
        'SecurityPolicy': 'TLS_1_2'}], Tags={'a': '1'})


def _status(excinfo):
    return excinfo.value.response['ResponseMetadata']['HTTPStatusCode']


def test_shim_base_path_mappings_of_a_new_domain(aws_clients):
    _create_v1_domain(aws_clients)
    assert aws_clients.apigateway.get_base_path_mappings(
        domainName='shim.example.com')['items'] == []
    with shims_disabled('apigateway-base-path-mappings-of-a-new-domain'):
        with pytest.raises(ClientError) as excinfo:
            aws_clients.apigateway.get_base_path_mappings(domainName='shim.example.com')
    assert _status(excinfo) == 500


def test_shim_v1_update_domain_name(aws_clients):
    _create_v1_domain(aws_clients)
    updated = aws_clients.apigateway.update_domain_name(
        domainName='shim.example.com', patchOperations=[
            {'op': 'replace', 'path': '/securityPolicy', 'value': 'TLS_1_0'},
            {'op': 'replace', 'path': '/endpointConfiguration/types/EDGE', 'value': 'REGIONAL'},
            {'op': 'add', 'path': '/regionalCertificateArn', 'value': REGIONAL_CERT}])
    assert (updated['securityPolicy'], updated['endpointConfiguration']['types'],
            updated['regionalCertificateArn']) == ('TLS_1_0', ['REGIONAL'], REGIONAL_CERT)
    assert 'certificateArn' not in updated
    with shims_disabled('apigateway-update-domain-name'):
        with pytest.raises(ClientError) as excinfo:
            aws_clients.apigateway.update_domain_name(
                domainName='shim.example.com', patchOperations=[
                    {'op': 'replace', 'path': '/securityPolicy', 'value': 'TLS_1_2'}])
    assert _status(excinfo) == 500


def test_shim_v1_domain_tags(aws_clients):
    _create_v1_domain(aws_clients)
    arn = 'arn:aws:apigateway:%s::/domainnames/shim.example.com' % REGION
    aws_clients.apigateway.tag_resource(resourceArn=arn, tags={'b': '2'})
    aws_clients.apigateway.untag_resource(resourceArn=arn, tagKeys=['a'])
    assert aws_clients.apigateway.get_domain_name(domainName='shim.example.com')['tags'] == {
        'b': '2'}
    with shims_disabled('apigateway-domain-tags'):
        with pytest.raises(ClientError):
            aws_clients.apigateway.tag_resource(resourceArn=arn, tags={'c': '3'})
    assert 'c' not in aws_clients.apigateway.get_domain_name(
        domainName='shim.example.com')['tags']


def test_shim_v2_domain_configuration_has_the_alias_target(aws_clients):
    [configuration] = _create_v2_domain(aws_clients)['DomainNameConfigurations']
    assert configuration['ApiGatewayDomainName'].endswith('.execute-api.%s.amazonaws.com'
                                                          % REGION)
    assert configuration['HostedZoneId'] and configuration['DomainNameStatus'] == 'AVAILABLE'
    with shims_disabled('apigatewayv2-domain-configuration'):
        [plain] = aws_clients.apigatewayv2.get_domain_name(
            DomainName='shim.example.com')['DomainNameConfigurations']
    assert 'ApiGatewayDomainName' not in plain and 'HostedZoneId' not in plain


def test_shim_v2_update_domain_name(aws_clients):
    _create_v2_domain(aws_clients)
    updated = aws_clients.apigatewayv2.update_domain_name(
        DomainName='shim.example.com', DomainNameConfigurations=[{
            'CertificateArn': REGIONAL_CERT_2, 'EndpointType': 'REGIONAL',
            'SecurityPolicy': 'TLS_1_2'}])
    assert updated['DomainNameConfigurations'][0]['CertificateArn'] == REGIONAL_CERT_2
    with shims_disabled('apigatewayv2-update-domain-name'):
        with pytest.raises(ClientError) as excinfo:
            aws_clients.apigatewayv2.update_domain_name(DomainName='shim.example.com')
    assert _status(excinfo) == 500


def test_shim_v2_update_api_mapping(aws_clients):
    _create_v2_domain(aws_clients)
    v2 = aws_clients.apigatewayv2
    api_id = v2.create_api(Name='x', ProtocolType='WEBSOCKET',
                           RouteSelectionExpression='$request.body.action')['ApiId']
    mapping = v2.create_api_mapping(DomainName='shim.example.com', ApiId=api_id, Stage='api')
    updated = v2.update_api_mapping(DomainName='shim.example.com', ApiId=api_id,
                                    ApiMappingId=mapping['ApiMappingId'], Stage='v2')
    assert updated['Stage'] == 'v2'
    assert v2.get_api_mappings(DomainName='shim.example.com')['Items'][0]['Stage'] == 'v2'
    with shims_disabled('apigatewayv2-update-api-mapping'):
        with pytest.raises(ClientError) as excinfo:
            v2.update_api_mapping(DomainName='shim.example.com', ApiId=api_id,
                                  ApiMappingId=mapping['ApiMappingId'], Stage='api')
    assert _status(excinfo) == 500


def test_shim_v2_domain_tags(aws_clients):
    _create_v2_domain(aws_clients)
    v2 = aws_clients.apigatewayv2
    arn = 'arn:aws:apigateway:%s::/domainnames/shim.example.com' % REGION
    v2.tag_resource(ResourceArn=arn, Tags={'b': '2'})
    v2.untag_resource(ResourceArn=arn, TagKeys=['a'])
    assert v2.get_domain_name(DomainName='shim.example.com')['Tags'] == {'b': '2'}
    with shims_disabled('apigatewayv2-domain-tags'):
        v2.tag_resource(ResourceArn=arn, Tags={'c': '3'})
    assert v2.get_domain_name(DomainName='shim.example.com')['Tags'] == {'b': '2'}
