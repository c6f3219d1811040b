"""Custom domains of HTTP APIs: ``api_gateway_custom_domain`` with ``"api_gateway_type": "HTTP"``.

Against the moto server, with the shims of ``shims_domains`` and
``shims_httpapi`` (each shown to be needed in the tests of those areas).
The domain is an API Gateway v2 domain name whose API mappings point at the
HTTP API's ``$default`` stage.  The tests run the CLI and check its output,
the state file and what moto holds: creating, redeploying without a single
write, changing the certificate, tags and base paths, taking over an
unrecorded domain, removing and deleting; bad settings refused before any
AWS call; every call of the deploys that add and change the domain made to
fail in turn; failed deletes resumed.  The helpers are those of the REST
and websocket domain tests (``test_deploy_domains``).
"""
import pytest

from tests.integration import test_deploy_domains
from tests.integration.conftest import REGION, make_project
from tests.integration.deploy_checks import (
    mutating_operations,
    remove_state,
    run_ok,
)
from tests.integration.test_deploy_domains import (
    _DOMAIN_OPERATION,
    APP_NAME,
    CHALICE_FIELDS,
    DNS_NOTE,
    REGIONAL_CERT,
    REGIONAL_CERT_2,
    REST_APP,
    assert_domains_match_state,
    assert_failed_deletes_resume,
    assert_redeploy_reads_only,
    assert_refused_before_any_aws_call,
    config,
    domain_records,
    records,
    run_fault_loop,
    summary,
    v1_domains,
    v2_domains,
    write_config,
)

# The fixture of an AWS endpoint that refuses connections.
closed_port_env = test_deploy_domains.closed_port_env

HTTP = {'api_gateway_type': 'HTTP'}
DOMAIN = {'domain_name': 'api.example.com', 'certificate_arn': REGIONAL_CERT,
          'url_prefixes': ['/', 'v1/items'], 'tags': {'team': 'web'}}
CHANGED = dict(DOMAIN, certificate_arn=REGIONAL_CERT_2, url_prefixes=['v1/items', 'v2'],
               tags={'team': 'api', 'cost': 'x'})


def http_api_ids(aws):
    return [api['ApiId'] for api in aws.apigatewayv2.get_apis()['Items']
            if api['ProtocolType'] == 'HTTP']


def http_config(**domain):
    return config(api_gateway_type='HTTP', **domain)


def deploy_project(tmp_path, aws_env, domain=DOMAIN):
    project = make_project(tmp_path, REST_APP, config=http_config(
        api_gateway_custom_domain=domain), app_name=APP_NAME)
    return project, run_ok(project, 'deploy', aws_env)


def test_http_domain_create_redeploy_update_and_remove(tmp_path, aws_env, aws_clients,
                                                       fault_injector):
    project, result = deploy_project(tmp_path, aws_env)
    [api_id] = http_api_ids(aws_clients)
    assert v1_domains(aws_clients) == {}
    [domain] = v2_domains(aws_clients).values()
    assert {k: v for k, v in domain.items() if k not in ('alias', 'mappings')} == {
        'certificate': REGIONAL_CERT, 'endpoint_type': 'REGIONAL',
        'security_policy': 'TLS_1_2', 'tags': {'team': 'web'},
        'hosted_zone_id': domain['hosted_zone_id']}
    assert [m[:3] for m in domain['mappings']] == [('', api_id, '$default'),
                                                   ('v1/items', api_id, '$default')]

    # The record: Chalice's fields (and each mapping's id), as AWS reports them.
    record = assert_domains_match_state(project, aws_clients)['http_api_custom_domain']
    assert {k: record[k] for k in CHALICE_FIELDS - {'api_mapping'}} == {
        'domain_name': 'api.example.com', 'certificate_arn': REGIONAL_CERT,
        'security_policy': 'TLS_1_2', 'hosted_zone_id': domain['hosted_zone_id'],
        'alias_domain_name': domain['alias']}
    assert [(m['key'], m['stage']) for m in record['api_mapping']] == [
        ('/', '$default'), ('/v1/items', '$default')]
    assert [r['name'] for r in records(project)][-2:] == ['http_api', 'http_api_custom_domain']

    # The output: the lines of a REST API's domain.
    lines = result.stdout.splitlines()
    assert [line for line in lines if 'custom domain' in line.lower() or 'mapping' in line][
        :5] == ['Creating custom domain name: api.example.com',
                'Creating api mapping: /', 'Creating api mapping: /v1/items',
                'Custom domain URL: https://api.example.com/',
                'Custom domain URL: https://api.example.com/v1/items/']
    expected = summary(record) + [DNS_NOTE]
    assert lines[-len(expected):] == expected
    execute_api = 'https://%s.execute-api.%s.amazonaws.com/' % (api_id, REGION)
    assert '  - HTTP API URL: %s' % execute_api in lines
    assert run_ok(project, 'url', aws_env).stdout == execute_api + '\n'

    # An unchanged redeploy reads only, and says so.
    assert_redeploy_reads_only(project, aws_env, fault_injector, record, expected,
                               'https://api.example.com/v1/items/')

    # Certificate, tags and base paths change: only those calls.
    write_config(project, **HTTP, api_gateway_custom_domain=CHANGED)
    fault_injector.arm()
    updated = run_ok(project, 'deploy', aws_env)
    assert mutating_operations(fault_injector) == [
        'CreateApiMapping', 'DeleteApiMapping', 'TagResource', 'UpdateDomainName']
    assert [line for line in updated.stdout.splitlines()
            if line.startswith(('Updating custom', 'Deleting api', 'Creating api'))] == [
        'Updating custom domain name: api.example.com', 'Deleting api mapping: /',
        'Creating api mapping: /v2']
    [domain] = v2_domains(aws_clients).values()
    assert (domain['certificate'], domain['tags']) == (REGIONAL_CERT_2,
                                                       {'team': 'api', 'cost': 'x'})
    assert [m[:3] for m in domain['mappings']] == [('v1/items', api_id, '$default'),
                                                   ('v2', api_id, '$default')]
    assert assert_domains_match_state(project, aws_clients)['http_api_custom_domain'][
        'certificate_arn'] == REGIONAL_CERT_2

    # A tag removed is untagged.
    write_config(project, **HTTP, api_gateway_custom_domain=dict(CHANGED, tags={'team': 'api'}))
    fault_injector.arm()
    run_ok(project, 'deploy', aws_env)
    assert mutating_operations(fault_injector) == ['UntagResource']
    assert v2_domains(aws_clients)['api.example.com']['tags'] == {'team': 'api'}

    # Without the setting, the mappings and then the domain are deleted; the API stays.
    write_config(project, **HTTP)
    fault_injector.arm()
    removed = run_ok(project, 'deploy', aws_env)
    assert [c.operation for c in fault_injector.mutating_calls] == [
        'DeleteApiMapping', 'DeleteApiMapping', 'DeleteDomainName']
    assert 'Deleting custom domain name: api.example.com' in removed.stdout.splitlines()
    assert v2_domains(aws_clients) == {} and domain_records(project) == {}
    assert http_api_ids(aws_clients) == [api_id]


def test_delete_removes_the_domain_before_the_http_api(tmp_path, aws_env, aws_clients,
                                                       fault_injector):
    project, _ = deploy_project(tmp_path, aws_env)
    fault_injector.arm()
    deleted = run_ok(project, 'delete', aws_env)
    operations = [c.operation for c in fault_injector.mutating_calls]
    assert operations[:3] == ['DeleteApiMapping', 'DeleteApiMapping', 'DeleteDomainName']
    assert operations.index('DeleteDomainName') < operations.index('DeleteApi')
    assert 'Deleting custom domain name: api.example.com' in deleted.stdout.splitlines()
    assert v2_domains(aws_clients) == {} and http_api_ids(aws_clients) == []
    assert records(project) == []


def test_unrecorded_http_domain_is_taken_over_and_repointed(tmp_path, aws_env, aws_clients,
                                                            fault_injector):
    project, _ = deploy_project(tmp_path, aws_env)
    [old_api] = http_api_ids(aws_clients)
    remove_state(project)  # the state file is lost: a new API, the same domain
    fault_injector.arm()
    result = run_ok(project, 'deploy', aws_env)
    [new_api] = [api for api in http_api_ids(aws_clients) if api != old_api]
    domain_writes = [c.operation for c in fault_injector.mutating_calls
                     if _DOMAIN_OPERATION.search(c.operation)]
    assert domain_writes == ['UpdateApiMapping', 'UpdateApiMapping']  # no CreateDomainName
    assert [m[:3] for m in v2_domains(aws_clients)['api.example.com']['mappings']] == [
        ('', new_api, '$default'), ('v1/items', new_api, '$default')]
    assert 'Updating api mapping: /v1/items' in result.stdout.splitlines()
    assert_domains_match_state(project, aws_clients)


@pytest.mark.parametrize('stage, message', [
    ({'api_gateway_custom_domain': dict(DOMAIN, tls_version='TLS_1_0')},
     'stages.dev.api_gateway_custom_domain.tls_version is TLS_1_0, but API Gateway offers '
     'HTTP API custom domains TLS_1_2 only (api_gateway_type HTTP, stage dev): set it to '
     'TLS_1_2 or remove it, or set api_gateway_type to REST.'),
    ({'api_gateway_endpoint_type': 'EDGE', 'api_gateway_custom_domain': DOMAIN},
     'stages.dev.api_gateway_endpoint_type is EDGE, but HTTP APIs are always REGIONAL '
     '(api_gateway_type HTTP, stage dev): set it to REGIONAL or remove it'),
    ({'api_gateway_custom_domain': dict(DOMAIN, certificate_arn=test_deploy_domains.EDGE_CERT)},
     'api_gateway_custom_domain.certificate_arn is in us-east-1 but REGIONAL custom domains '
     'need an ACM certificate in %s' % REGION),
])
def test_bad_http_domain_settings_fail_before_any_aws_call(tmp_path, closed_port_env, stage,
                                                           message):
    project = make_project(tmp_path, REST_APP, config=http_config(**stage), app_name=APP_NAME)
    assert_refused_before_any_aws_call(project, closed_port_env, message)


# --------------------------------------------------------------------------
# crash safety
# --------------------------------------------------------------------------

def test_every_failed_call_of_adding_an_http_domain_is_recoverable(
        tmp_path, aws_env, aws_clients, fault_injector):
    project = make_project(tmp_path, REST_APP, config=http_config(), app_name=APP_NAME)
    calls, checked = run_fault_loop(project, aws_env, aws_clients, fault_injector, None,
                                    {'api_gateway_custom_domain': DOMAIN}, base=HTTP)
    domain_calls = [c.operation for c in calls if _DOMAIN_OPERATION.search(c.operation)]
    assert sorted(domain_calls) == ['CreateApiMapping', 'CreateApiMapping', 'CreateDomainName',
                                    'GetDomainName']
    # ... and no other write: the HTTP API exists already.
    assert checked == len(domain_calls) == len([c for c in calls if c.mutating]) + 1


def test_every_failed_call_of_changing_an_http_domain_is_recoverable(
        tmp_path, aws_env, aws_clients, fault_injector):
    project = make_project(tmp_path, REST_APP, config=http_config(), app_name=APP_NAME)
    calls, checked = run_fault_loop(project, aws_env, aws_clients, fault_injector,
                                    {'api_gateway_custom_domain': DOMAIN},
                                    {'api_gateway_custom_domain': CHANGED}, base=HTTP)
    domain_calls = [c.operation for c in calls if _DOMAIN_OPERATION.search(c.operation)]
    assert checked == len(domain_calls)
    assert sorted(c.operation for c in calls if c.mutating) == [
        'CreateApiMapping', 'DeleteApiMapping', 'TagResource', 'UpdateDomainName']


def test_failed_http_domain_deletes_are_recorded_and_resumable(tmp_path, aws_env, aws_clients,
                                                               fault_injector):
    project = make_project(tmp_path, REST_APP, config=http_config(
        api_gateway_custom_domain=DOMAIN), app_name=APP_NAME)
    assert_failed_deletes_resume(project, aws_env, aws_clients, fault_injector,
                                 ('DeleteApiMapping', 'DeleteDomainName'))
    assert http_api_ids(aws_clients) == []
