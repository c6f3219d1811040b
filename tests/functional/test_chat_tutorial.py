"""The websocket chat-server tutorial's packaging step, as an acceptance test.

The tutorial keeps its state in a DynamoDB table that Chalice does not
manage: ``chalice package --merge-template resources.json out`` adds the
table, points every websocket function's ``TABLE`` variable at it and
replaces the role's policy.  Written here in the tutorial's shape (a boto3
``Session`` on ``app.websocket_api``, the ``WEBSOCKETS`` opt-in, handlers in
``chalicelib``); the template must merge as described and lint clean.
"""
import json

import pytest
from click.testing import CliRunner

from chalice.cli import cli
from tests.functional.test_cli_package import lint_errors

APP_PY = '''\
from boto3.session import Session

from chalice import Chalice

from chalicelib import Rooms

app = Chalice(app_name='chat-example')
app.websocket_api.session = Session()
app.experimental_feature_flags.update(['WEBSOCKETS'])

ROOMS = Rooms.from_env(app)


@app.on_ws_connect()
def connect(event):
    ROOMS.connected(event.connection_id)


@app.on_ws_disconnect()
def disconnect(event):
    ROOMS.disconnected(event.connection_id)


@app.on_ws_message()
def message(event):
    ROOMS.said(event.connection_id, event.body)
'''
CHALICELIB = '''\
import os

import boto3


class Rooms:
    def __init__(self, app, table):
        self._app = app
        self._table = table

    @classmethod
    def from_env(cls, app):
        # TABLE is only set in Lambda; loading the app to package it sees ''.
        return cls(app, boto3.resource('dynamodb').Table(os.environ.get('TABLE', '')))

    def connected(self, connection_id):
        self._table.put_item(Item={'PK': connection_id, 'SK': 'username_'})

    def disconnected(self, connection_id):
        self._table.delete_item(Key={'PK': connection_id, 'SK': 'username_'})

    def said(self, connection_id, text):
        self._app.websocket_api.send(connection_id, 'You said: %s' % text)
'''
TABLE_REF = {'Ref': 'ChatTable'}
TABLE_ARN = {'Fn::Sub': 'arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${ChatTable}'}
KEYS = [{'AttributeName': 'PK', 'KeyType': 'HASH'}, {'AttributeName': 'SK', 'KeyType': 'RANGE'}]
ROLE_POLICY = {
    'PolicyName': 'ChatPolicy',
    'PolicyDocument': {'Version': '2012-10-17', 'Statement': [
        {'Effect': 'Allow', 'Action': ['logs:CreateLogGroup', 'logs:CreateLogStream',
                                       'logs:PutLogEvents'],
         'Resource': 'arn:aws:logs:*:*:*'},
        {'Effect': 'Allow', 'Action': ['execute-api:ManageConnections'],
         'Resource': 'arn:aws:execute-api:*:*:*/@connections/*'},
        {'Effect': 'Allow', 'Action': ['dynamodb:PutItem', 'dynamodb:DeleteItem',
                                       'dynamodb:Query'],
         'Resource': [TABLE_ARN]},
    ]},
}
WEBSOCKET_FUNCTIONS = {'WebsocketConnect': 'app.connect', 'WebsocketMessage': 'app.message',
                       'WebsocketDisconnect': 'app.disconnect'}
RESOURCES = {'Resources': dict({
    'ChatTable': {'Type': 'AWS::DynamoDB::Table', 'Properties': {
        'AttributeDefinitions': [{'AttributeName': 'PK', 'AttributeType': 'S'},
                                 {'AttributeName': 'SK', 'AttributeType': 'S'}],
        'KeySchema': KEYS,
        'BillingMode': 'PAY_PER_REQUEST',
    }},
    'DefaultRole': {'Properties': {'Policies': [ROLE_POLICY]}},
}, **{name: {'Properties': {'Environment': {'Variables': {'TABLE': TABLE_REF}}}}
      for name in WEBSOCKET_FUNCTIONS})}


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ['new-project', 'chat-example'])
    assert result.exit_code == 0, result.output
    root = tmp_path / 'chat-example'
    (root / 'app.py').write_text(APP_PY)
    (root / 'chalicelib').mkdir()
    (root / 'chalicelib' / '__init__.py').write_text(CHALICELIB)
    (root / 'resources.json').write_text(json.dumps(RESOURCES, indent=2))
    return root


def test_package_merges_the_table_variables_and_role(project, tmp_path):
    out = tmp_path / 'out'
    result = CliRunner().invoke(cli, ['--project-dir', str(project), 'package',
                                      '--merge-template', str(project / 'resources.json'),
                                      str(out)])
    assert result.exit_code == 0, result.output
    template = json.loads((out / 'sam.json').read_text())
    resources = template['Resources']
    assert resources['ChatTable'] == RESOURCES['Resources']['ChatTable']
    for name, handler in WEBSOCKET_FUNCTIONS.items():
        properties = resources[name]['Properties']
        assert resources[name]['Type'] == 'AWS::Serverless::Function'
        assert properties['Handler'] == handler  # Chalice's own settings are kept
        assert properties['Environment']['Variables']['TABLE'] == TABLE_REF
        assert properties['Role'] == {'Fn::GetAtt': ['DefaultRole', 'Arn']}
    role = resources['DefaultRole']
    assert role['Type'] == 'AWS::IAM::Role'
    assert 'AssumeRolePolicyDocument' in role['Properties']
    # A list in the merge template replaces Chalice's list.
    assert role['Properties']['Policies'] == [ROLE_POLICY]
    assert 'WebsocketConnectEndpointURL' in template['Outputs']
    assert lint_errors(out / 'sam.json') == []
