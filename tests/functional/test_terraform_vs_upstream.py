"""``chalice package --pkg-format terraform`` next to AWS Chalice 1.34.0's.

The real AWS Chalice (``.venv/upstream``, see tests/upstream_chalice.py; a
missing installation fails, it never skips) and ours package the same apps;
both configurations must declare the same resource addresses (``type.label``)
and the same outputs, so a user can move Terraform state from one tool to the
other (``terraform state mv`` is not even needed).  Only the deliberate
differences listed below (docs/terraform.rst says why) are taken out first;
each must still show up in at least one app, so the list cannot go stale.
"""
import json
import os
import re

import pytest
from click.testing import CliRunner

from chalice.cli import cli
from tests.integration import aws_chalice_stage
from tests.integration import test_terraform_matches_deploy as parity
from tests.upstream_chalice import run_other_chalice, upstream_chalice

# Resources only we declare: address pattern -> why.
ONLY_OURS_ADDRESSES = {
    r'aws_api_gateway_stage\.rest_api':
        'a stage resource instead of the deployment\'s deprecated stage_name',
    r'aws_api_gateway_base_path_mapping\..+_mapping-\d+':
        'each further url_prefixes entry is mapped (AWS Chalice maps only the first)',
}
# Outputs only we write: name -> why.
ONLY_OURS_OUTPUTS = {
    'WebsocketApiCustomDomainHostedZoneId':
        'the Route 53 alias target of a websocket domain (AWS Chalice gives none)',
    'WebsocketApiCustomDomainAliasDomainName':
        'the Route 53 alias target of a websocket domain (AWS Chalice gives none)',
}
# Output values written another way for the same value: (name, AWS Chalice's
# text, ours, why).
SAME_OUTPUT_VALUES = [
    ('EndpointURL', 'aws_api_gateway_deployment.rest_api.invoke_url',
     'aws_api_gateway_stage.rest_api.invoke_url',
     'the same URL, read from the stage resource'),
    ('WebsocketConnectEndpointURL', 'amazonaws.com', '${data.aws_partition.chalice.dns_suffix}',
     'the same URL in the aws partition, and right in the others'),
]
# Resource types named by one argument, which must also be the same.
NAME_ARGUMENTS = {'aws_lambda_function': 'function_name', 'aws_iam_role': 'name',
                  'aws_api_gateway_rest_api': 'name', 'aws_apigatewayv2_api': 'name',
                  'aws_api_gateway_domain_name': 'domain_name',
                  'aws_apigatewayv2_domain_name': 'domain_name',
                  'aws_sns_topic_subscription': 'topic_arn'}

STREAM_ARN = 'arn:aws:dynamodb:us-west-2:123456789012:table/t/stream/2020-01-01T00:00:00.000'
# The plain function's own policy (it gets a role of its own).
PLAIN_POLICY = {'Version': '2012-10-17', 'Statement': [
    {'Effect': 'Allow', 'Action': 's3:GetObject', 'Resource': 'arn:aws:s3:::b/*'}]}


def without_log_retention(config):
    """A copy of ``config`` without log retention (AWS Chalice's Terraform refuses it)."""
    config = json.loads(json.dumps(config))
    config.pop('log_retention_in_days', None)
    config['stages']['dev'].pop('lambda_functions', None)
    return config


def domains_config():
    """The parity app's config (both custom domains) with layers, VPC, X-Ray and
    a function with a policy file of its own."""
    config = without_log_retention(parity.CONFIG)
    config.update({'layers': ['arn:aws:lambda:us-west-2:123456789012:layer:shared:1'],
                   'subnet_ids': ['subnet-1'], 'security_group_ids': ['sg-1'], 'xray': True})
    config['stages']['dev']['lambda_functions'] = {'plain': {
        'autogen_policy': False, 'iam_policy_file': 'plain.json'}}
    return config


# No routes: no REST API, empty locals, only the functions and their sources.
NO_HTTP_APP = (
    "from chalice import Chalice\n\napp = Chalice(app_name='nohttp')\n\n\n"
    "@app.lambda_function()\ndef pure(event, context):\n    return {}\n\n\n"
    "@app.on_sns_message(topic='alerts')\ndef on_alert(event):\n    return {}\n\n\n"
    "@app.on_sqs_message(queue='jobs', batch_size=5)\ndef on_job(event):\n    return {}\n")

APPS = {
    'nohttp': (NO_HTTP_APP, {'version': '2.0', 'app_name': 'nohttp', 'stages': {'dev': {}}}, {}),
    # Every kind of handler, a built-in authorizer, the three websocket routes.
    'takeover': (aws_chalice_stage.APP_SOURCE, without_log_retention(aws_chalice_stage.CONFIG),
                 {}),
    # Custom domains for both APIs, shared settings, a role of a function's own.
    'domains': (parity.APP, domains_config(), {'plain.json': PLAIN_POLICY}),
}


@pytest.fixture(scope='module')
def upstream():
    return upstream_chalice()


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv(aws_chalice_stage.STREAM_ARN_VARIABLE, STREAM_ARN)
    monkeypatch.setenv('AWS_DEFAULT_REGION', 'us-west-2')
    return dict(os.environ)


def write_project(directory, source, config, policies):
    chalice_dir = directory / '.chalice'
    chalice_dir.mkdir(parents=True)
    (directory / 'app.py').write_text(source)
    (chalice_dir / 'config.json').write_text(json.dumps(config))
    for name, policy in policies.items():
        (chalice_dir / name).write_text(json.dumps(policy))
    return directory


def aws_chalice_configuration(upstream, project, out, env):
    result = run_other_chalice(upstream, project, 'package', '--pkg-format', 'terraform',
                               str(out), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((out / 'chalice.tf.json').read_text())


def our_configuration(project, out):
    result = CliRunner().invoke(cli, ['--project-dir', str(project), 'package',
                                      '--pkg-format', 'terraform', str(out)])
    assert result.exit_code == 0, result.output
    return json.loads((out / 'chalice.tf.json').read_text())


def addresses(document):
    return {'%s.%s' % (rtype, label)
            for rtype, by_label in document['resource'].items() for label in by_label}


def names(document):
    """``{address: name}`` of the resources named by one argument."""
    return {'%s.%s' % (rtype, label): arguments[NAME_ARGUMENTS[rtype]]
            for rtype, by_label in document['resource'].items() if rtype in NAME_ARGUMENTS
            for label, arguments in by_label.items()}


def without_deliberate(theirs, ours, used):
    """Both sides' (addresses, outputs) with the deliberate differences taken out."""
    ours_addresses = set()
    for address in addresses(ours):
        reasons = [pattern for pattern in ONLY_OURS_ADDRESSES
                   if re.fullmatch(pattern, address)]
        used.update(reasons)
        if not reasons:
            ours_addresses.add(address)
    ours_outputs = {name: output['value'] for name, output in ours.get('output', {}).items()}
    theirs_outputs = {name: output['value']
                      for name, output in theirs.get('output', {}).items()}
    for name in ONLY_OURS_OUTPUTS:
        if ours_outputs.pop(name, None) is not None:
            used.add(name)
    for name, their_text, our_text, _ in SAME_OUTPUT_VALUES:
        if name in theirs_outputs and their_text in theirs_outputs[name]:
            theirs_outputs[name] = theirs_outputs[name].replace(their_text, our_text)
            used.add(name)
    return (addresses(theirs), theirs_outputs), (ours_addresses, ours_outputs)


def test_the_same_addresses_and_outputs_as_aws_chalice(tmp_path, upstream, env):
    used = set()
    for app, (source, config, policies) in APPS.items():
        project = write_project(tmp_path / app, source, config, policies)
        theirs = aws_chalice_configuration(upstream, project, tmp_path / ('%s-aws' % app), env)
        ours = our_configuration(project, tmp_path / ('%s-ours' % app))
        (their_addresses, their_outputs), (our_addresses, our_outputs) = \
            without_deliberate(theirs, ours, used)
        assert our_addresses == their_addresses, (app, {
            'only AWS Chalice': sorted(their_addresses - our_addresses),
            'only ours': sorted(our_addresses - their_addresses)})
        assert our_outputs == their_outputs, app
        assert names(ours) == names(theirs), app
        # AWS Chalice always declares locals; the REST API's definition is one.
        assert set(ours['locals']) == set(theirs['locals']), app
    # Every deliberate difference is still one (else drop it from the lists).
    assert used == set(ONLY_OURS_ADDRESSES) | set(ONLY_OURS_OUTPUTS) | {
        name for name, _, _, _ in SAME_OUTPUT_VALUES}
