"""``chalice package`` end to end through the CLI, with cfn-lint on the output.

cfn-lint runs the SAM transform and reports errors (E*) only here.  One rule
is suppressed: E2533 (runtime deprecated), because the runtime follows the
local interpreter and whether it is deprecated depends on today's date, not
on the template.
"""
import json
import os
import sys
import zipfile

import pytest
import yaml
from click.testing import CliRunner

from chalice.cli import cli

SUPPRESSED = {'E2533'}

EVENTS_APP = '''\
from chalice import Chalice

app = Chalice(app_name='events')


@app.authorizer()
def my_auth(auth_request):
    pass


@app.route('/private', authorizer=my_auth, cors=True)
def private():
    return {}


@app.lambda_function()
def my_function(event, context):
    pass


@app.schedule('rate(1 hour)', description='hourly')
def tick(event):
    pass


@app.on_cw_event({'source': ['aws.ec2']})
def watch(event):
    pass


@app.on_sns_message(topic='mytopic')
def on_topic(event):
    pass


@app.on_sqs_message(queue='myq', batch_size=5)
def on_queue(event):
    pass


@app.on_kinesis_record(stream='mystream')
def on_stream(event):
    pass


@app.on_dynamodb_record(
    stream_arn='arn:aws:dynamodb:us-west-2:123456789012:table/t/stream/2020')
def on_table(event):
    pass
'''

WEBSOCKET_APP = '''\
from chalice import Chalice

app = Chalice(app_name='sockets')
app.experimental_feature_flags.update(['WEBSOCKETS'])


@app.on_ws_connect()
def connect(event):
    pass


@app.on_ws_message()
def message(event):
    pass


@app.on_ws_disconnect()
def disconnect(event):
    pass
'''

S3_APP = '''\
from chalice import Chalice

app = Chalice(app_name='s3app')


@app.on_s3_event(bucket='my-bucket')
def on_upload(event):
    pass
'''


@pytest.fixture(autouse=True)
def restore_import_state(monkeypatch):
    monkeypatch.setenv('AWS_CHALICE_CLI_MODE', 'unset-by-test')
    monkeypatch.delenv('AWS_CHALICE_CLI_MODE')
    saved_path = sys.path[:]
    yield
    sys.path[:] = saved_path
    for name in list(sys.modules):
        if name == 'app' or name == 'chalicelib' or name.startswith('chalicelib.'):
            del sys.modules[name]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def new_project(workdir, name='demo', app_py=None):
    result = CliRunner().invoke(cli, ['new-project', name])
    assert result.exit_code == 0, result.output
    project = workdir / name
    if app_py is not None:
        (project / 'app.py').write_text(app_py)
    return project


def package(project, *args):
    return CliRunner().invoke(cli, ['--project-dir', str(project), 'package', *args])


def lint_errors(path):
    from cfnlint.api import lint

    with open(path) as f:
        matches = lint(f.read(), regions=['us-east-1'])
    return ['%s %s' % (m.rule.id, m.message) for m in matches
            if m.rule.id.startswith('E') and m.rule.id not in SUPPRESSED]


def test_hello_world_package(workdir):
    project = new_project(workdir)
    out = workdir / 'out'
    result = package(project, str(out))
    assert result.exit_code == 0, result.output
    assert 'Creating deployment package.' in result.output
    assert sorted(os.listdir(out)) == ['deployment.zip', 'sam.json']
    with zipfile.ZipFile(out / 'deployment.zip') as archive:
        assert 'app.py' in archive.namelist()
    template = json.loads((out / 'sam.json').read_text())
    assert template['AWSTemplateFormatVersion'] == '2010-09-09'
    assert template['Resources']['APIHandler']['Properties']['CodeUri'] == './deployment.zip'
    assert {'RestAPIId', 'APIHandlerName', 'APIHandlerArn', 'EndpointURL'} <= set(
        template['Outputs'])
    assert lint_errors(out / 'sam.json') == []


def test_events_app_lints_clean(workdir):
    project = new_project(workdir, 'events', EVENTS_APP)
    result = package(project, str(workdir / 'out'))
    assert result.exit_code == 0, result.output
    template = json.loads((workdir / 'out' / 'sam.json').read_text())
    assert {'MyFunction', 'Tick', 'Watch', 'OnTopic', 'OnQueue', 'OnStream', 'OnTable',
            'MyAuth', 'MyAuthInvokePermission'} <= set(template['Resources'])
    assert lint_errors(workdir / 'out' / 'sam.json') == []


def test_websocket_app_yaml_lints_clean(workdir):
    project = new_project(workdir, 'sockets', WEBSOCKET_APP)
    out = workdir / 'out'
    result = package(project, '--template-format', 'yaml', str(out))
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(out)) == ['deployment.zip', 'sam.yaml']
    template = yaml.safe_load((out / 'sam.yaml').read_text())
    assert 'WebsocketConnectEndpointURL' in template['Outputs']
    assert template['Resources']['WebsocketConnect']['Type'] == 'AWS::Serverless::Function'
    assert lint_errors(out / 'sam.yaml') == []


def test_single_file(workdir):
    project = new_project(workdir)
    out = workdir / 'bundle.zip'
    result = package(project, '--single-file', str(out))
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ['deployment.zip', 'sam.json']
        template = json.loads(archive.read('sam.json'))
    assert 'APIHandler' in template['Resources']


def test_merge_template(workdir):
    project = new_project(workdir)
    extras = workdir / 'extras.json'
    extras.write_text(json.dumps({'Resources': {
        'MusicTable': {'Type': 'AWS::DynamoDB::Table', 'Properties': {
            'AttributeDefinitions': [{'AttributeName': 'Album', 'AttributeType': 'S'}],
            'KeySchema': [{'AttributeName': 'Album', 'KeyType': 'HASH'}],
            'BillingMode': 'PAY_PER_REQUEST'}},
        'APIHandler': {'Properties': {'Environment': {'Variables': {
            'MUSIC_TABLE': {'Ref': 'MusicTable'}}}}}}}))
    out = workdir / 'out'
    result = package(project, '--merge-template', str(extras), str(out))
    assert result.exit_code == 0, result.output
    template = json.loads((out / 'sam.json').read_text())
    handler = template['Resources']['APIHandler']['Properties']
    assert handler['Environment'] == {'Variables': {'MUSIC_TABLE': {'Ref': 'MusicTable'}}}
    assert handler['Handler'] == 'app.app'
    assert template['Resources']['MusicTable']['Type'] == 'AWS::DynamoDB::Table'
    assert lint_errors(out / 'sam.json') == []


def test_merge_template_yaml_and_missing(workdir):
    project = new_project(workdir)
    extras = workdir / 'extras.yaml'
    extras.write_text('Resources:\n  APIHandler:\n    Properties:\n      Timeout: 10\n')
    result = package(project, '--merge-template', str(extras), str(workdir / 'out'))
    assert result.exit_code == 0, result.output
    template = json.loads((workdir / 'out' / 'sam.json').read_text())
    assert template['Resources']['APIHandler']['Properties']['Timeout'] == 10
    result = package(project, '--merge-template', str(workdir / 'nope.json'),
                     str(workdir / 'out2'))
    assert result.exit_code == 2
    assert result.output.strip().startswith('Error: Cannot read the merge template')
    assert len(result.output.strip().splitlines()) == 1
    assert not (workdir / 'out2').exists()


def test_s3_app_fails(workdir):
    project = new_project(workdir, 's3app', S3_APP)
    result = package(project, str(workdir / 'out'))
    assert result.exit_code == 2
    assert 'on_s3_event cannot be packaged' in result.output
    # Refused before anything is built: no half-made output is left behind.
    assert not (workdir / 'out').exists()


def test_clashing_logical_ids_are_refused(workdir):
    app_py = '''\
from chalice import Chalice

app = Chalice(app_name='clash')


@app.lambda_function()
def my_func(event, context):
    pass


@app.lambda_function(name='my-func')
def other(event, context):
    pass
'''
    project = new_project(workdir, 'clash', app_py)
    result = package(project, str(workdir / 'out'))
    assert result.exit_code == 2
    assert "'my_func' and 'my-func' both become the CloudFormation logical id" in result.output


def test_switching_template_format_leaves_one_template(workdir):
    project = new_project(workdir)
    out = workdir / 'out'
    assert package(project, str(out)).exit_code == 0
    assert package(project, '--template-format', 'yaml', str(out)).exit_code == 0
    assert sorted(os.listdir(out)) == ['deployment.zip', 'sam.yaml']


def test_terraform_is_not_supported_yet(workdir):
    project = new_project(workdir)
    result = package(project, '--pkg-format', 'terraform', str(workdir / 'out'))
    assert result.exit_code == 2
    assert 'not supported yet' in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize('option', [['--single-file'], ['--merge-template', 'x.json'],
                                    ['--template-format', 'json']])
def test_terraform_with_cloudformation_options(workdir, option):
    project = new_project(workdir)
    result = package(project, '--pkg-format', 'terraform', *option, str(workdir / 'out'))
    assert result.exit_code == 2
    assert ('Terraform format does not support --merge-template, --single-file, or '
            '--template-format') in result.output
    assert not (workdir / 'out').exists()
