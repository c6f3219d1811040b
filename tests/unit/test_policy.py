"""Tests for chalice.policy: client calls -> IAM execution policy."""
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from chalice import policy
from chalice.policy import (
    actions_for_client_calls,
    diff_policies,
    format_policy,
    generate_policy,
    policy_actions,
    policy_from_project,
    project_source_files,
)

LOGS_STATEMENT = {
    'Effect': 'Allow',
    'Action': ['logs:CreateLogGroup', 'logs:CreateLogStream',
               'logs:PutLogEvents'],
    'Resource': 'arn:*:logs:*:*:*',
}


def analysed_statement(doc):
    matches = [s for s in doc['Statement'] if 'Sid' in s]
    assert len(matches) == 1
    return matches[0]


def _subprocess_env(**extra):
    """Environment for a child Python that can import this checkout."""
    env = dict(os.environ, **extra)
    env['PYTHONPATH'] = os.pathsep.join(p for p in sys.path if p)
    return env


# -- botocore mapping ---------------------------------------------------


@pytest.mark.parametrize('service, method, action', [
    ('dynamodb', 'get_item', 'dynamodb:GetItem'),
    ('dynamodb', 'batch_write_item', 'dynamodb:BatchWriteItem'),
    ('sqs', 'send_message', 'sqs:SendMessage'),
    ('sqs', 'get_queue_url', 'sqs:GetQueueUrl'),
    ('s3', 'get_object', 's3:GetObject'),
    ('s3', 'put_object', 's3:PutObject'),
    ('lambda', 'list_functions', 'lambda:ListFunctions'),
    ('lambda', 'get_function_configuration',
     'lambda:GetFunctionConfiguration'),
    ('sns', 'publish', 'sns:Publish'),
    # Prefix comes from the model metadata, not the client name.
    ('stepfunctions', 'start_execution', 'states:StartExecution'),
    ('sesv2', 'send_email', 'ses:SendEmail'),
    ('apigatewaymanagementapi', 'post_to_connection',
     'execute-api:ManageConnections'),
    ('cloudwatch', 'put_metric_data', 'cloudwatch:PutMetricData'),
])
def test_client_method_maps_to_iam_action(service, method, action):
    assert actions_for_client_calls({service: {method}}) == [action]


@pytest.mark.parametrize('service, method, actions', [
    # Operations IAM authorises under a differently named action.
    ('s3', 'list_buckets', ['s3:ListAllMyBuckets']),
    ('s3', 'list_objects_v2', ['s3:ListBucket']),
    ('s3', 'list_objects', ['s3:ListBucket']),
    ('s3', 'head_object', ['s3:GetObject']),
    ('s3', 'copy_object', ['s3:GetObject', 's3:PutObject']),
    ('s3', 'delete_objects', ['s3:DeleteObject']),
    ('lambda', 'invoke', ['lambda:InvokeFunction']),
])
def test_operations_with_differently_named_iam_actions(service, method,
                                                       actions):
    assert actions_for_client_calls({service: {method}}) == actions


def test_actions_are_sorted_and_deduplicated():
    calls = {'s3': {'put_object', 'list_objects', 'list_objects_v2',
                    'head_bucket'},
             'dynamodb': {'query', 'get_item'}}
    assert actions_for_client_calls(calls) == [
        'dynamodb:GetItem', 'dynamodb:Query', 's3:ListBucket',
        's3:PutObject']


def test_unknown_service_is_skipped():
    calls = {'no-such-service': {'get_item'}, 'sqs': {'send_message'},
             '': {'x'}, 'S3': {'get_object'}}
    assert actions_for_client_calls(calls) == ['sqs:SendMessage']


def test_unknown_method_is_skipped():
    calls = {'s3': {'not_an_operation', 'get_waiter', 'get_object'},
             'dynamodb': {'GetItem'}}
    assert actions_for_client_calls(calls) == ['s3:GetObject']


def test_no_calls_means_no_actions():
    assert actions_for_client_calls({}) == []
    assert actions_for_client_calls({'s3': set()}) == []


def test_importing_policy_does_not_import_botocore():
    code = ('import sys, chalice.policy, chalice.analyzer; '
            'print("botocore" in sys.modules, "boto3" in sys.modules)')
    output = subprocess.run([sys.executable, '-c', code], check=True, timeout=60,
                            capture_output=True, text=True,
                            env=_subprocess_env()).stdout
    assert output.split() == ['False', 'False']


# -- generate_policy ----------------------------------------------------


def test_policy_shape():
    doc = generate_policy({'s3': {'list_buckets'}})
    assert doc['Version'] == '2012-10-17'
    assert doc['Statement'][0] == LOGS_STATEMENT
    statement = doc['Statement'][1]
    assert list(statement) == ['Action', 'Resource', 'Effect', 'Sid']
    assert statement['Action'] == ['s3:ListAllMyBuckets']
    assert statement['Resource'] == ['*']
    assert statement['Effect'] == 'Allow'
    assert re.fullmatch(r'[0-9a-f]{32}', statement['Sid'])
    assert len(doc['Statement']) == 2


def test_logs_statement_is_always_present():
    doc = generate_policy({})
    assert doc == {'Version': '2012-10-17', 'Statement': [LOGS_STATEMENT]}


def test_analysed_statement_is_omitted_when_nothing_maps():
    doc = generate_policy({'no-such-service': {'x'}, 's3': {'nope'}})
    assert doc['Statement'] == [LOGS_STATEMENT]


def test_sid_is_deterministic():
    first = generate_policy({'s3': {'get_object', 'put_object'},
                             'sqs': {'send_message'}})
    second = generate_policy({'sqs': {'send_message'},
                              's3': {'put_object', 'get_object'}})
    assert format_policy(first) == format_policy(second)


def test_sid_changes_with_the_actions():
    one = analysed_statement(generate_policy({'s3': {'get_object'}}))
    two = analysed_statement(generate_policy({'s3': {'put_object'}}))
    assert one['Sid'] != two['Sid']


def test_sid_depends_only_on_the_resulting_actions():
    # list_objects and list_objects_v2 both need s3:ListBucket.
    one = generate_policy({'s3': {'list_objects'}})
    two = generate_policy({'s3': {'list_objects_v2'}})
    assert one == two


def test_sid_is_stable_across_processes():
    code = ('from chalice.policy import generate_policy as g; '
            'print(g({"s3": {"get_object", "put_object"}})'
            '["Statement"][1]["Sid"])')
    runs = {subprocess.run([sys.executable, '-c', code], check=True, timeout=60,
                           capture_output=True, text=True,
                           env=_subprocess_env(PYTHONHASHSEED=seed)
                           ).stdout.strip()
            for seed in ('1', '2', '3')}
    local = analysed_statement(
        generate_policy({'s3': {'put_object', 'get_object'}}))['Sid']
    assert runs == {local}


def test_vpc_statement():
    doc = generate_policy({}, vpc=True)
    assert doc['Statement'][1:] == [{
        'Effect': 'Allow',
        'Action': ['ec2:CreateNetworkInterface',
                   'ec2:DescribeNetworkInterfaces',
                   'ec2:DetachNetworkInterface',
                   'ec2:DeleteNetworkInterface'],
        'Resource': '*',
    }]


def test_websocket_statement():
    doc = generate_policy({}, websockets=True)
    assert doc['Statement'][1:] == [{
        'Effect': 'Allow',
        'Action': ['execute-api:ManageConnections'],
        'Resource': 'arn:*:execute-api:*:*:*/@connections/*',
    }]


def test_xray_statement():
    doc = generate_policy({}, xray=True)
    assert doc['Statement'][1:] == [{
        'Effect': 'Allow',
        'Action': ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
        'Resource': '*',
    }]


def test_all_statements_in_order():
    doc = generate_policy({'dynamodb': {'get_item'}}, vpc=True,
                          websockets=True, xray=True)
    firsts = [s['Action'][0] for s in doc['Statement']]
    assert firsts == ['logs:CreateLogGroup', 'dynamodb:GetItem',
                      'ec2:CreateNetworkInterface',
                      'execute-api:ManageConnections', 'xray:PutTraceSegments']


def test_flags_are_keyword_only():
    with pytest.raises(TypeError):
        generate_policy({}, True)


# -- projects -------------------------------------------------------------


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def test_policy_from_project_reads_app_and_chalicelib(tmp_path):
    write(tmp_path / 'app.py', """
        import boto3
        from chalice import Chalice
        app = Chalice(app_name='demo')
        S3 = boto3.client('s3')

        @app.route('/')
        def index():
            return {'buckets': S3.list_buckets()}
    """)
    write(tmp_path / 'chalicelib' / '__init__.py', '')
    write(tmp_path / 'chalicelib' / 'db.py', """
        import boto3
        def get(key):
            return boto3.client('dynamodb').get_item(TableName='t', Key=key)
    """)
    write(tmp_path / 'chalicelib' / 'sub' / 'queue.py', """
        import boto3
        boto3.client('sqs').send_message(QueueUrl='q', MessageBody='m')
    """)
    write(tmp_path / 'chalicelib' / 'notes.txt', "boto3.client('sns')")
    write(tmp_path / 'other.py', """
        import boto3
        boto3.client('kinesis').put_record()
    """)
    doc = policy_from_project(str(tmp_path), xray=True)
    assert analysed_statement(doc)['Action'] == [
        'dynamodb:GetItem', 's3:ListAllMyBuckets', 'sqs:SendMessage']
    assert doc['Statement'][-1]['Action'][0] == 'xray:PutTraceSegments'


def test_project_source_files_are_sorted(tmp_path):
    write(tmp_path / 'app.py', '')
    write(tmp_path / 'chalicelib' / 'b.py', '')
    write(tmp_path / 'chalicelib' / 'a' / 'z.py', '')
    write(tmp_path / 'chalicelib' / '__pycache__' / 'x.py', '')
    files = project_source_files(str(tmp_path))
    relative = [f[len(str(tmp_path)) + 1:].replace('\\', '/') for f in files]
    assert relative == ['app.py', 'chalicelib/a/z.py', 'chalicelib/b.py']


def test_project_syntax_error_propagates(tmp_path):
    write(tmp_path / 'app.py', 'def broken(:\n')
    with pytest.raises(SyntaxError):
        policy_from_project(str(tmp_path))


def test_policy_from_project_is_byte_identical_on_rerun(tmp_path):
    write(tmp_path / 'app.py', """
        import boto3
        c = boto3.client('s3')
        c.get_object(); c.put_object(); c.delete_object()
    """)
    outputs = {format_policy(policy_from_project(str(tmp_path)))
               for _ in range(3)}
    assert len(outputs) == 1


# -- policy_actions / diff_policies ---------------------------------------


def test_policy_actions_handles_string_and_list_forms():
    doc = {'Statement': [
        {'Effect': 'Allow', 'Action': 's3:GetObject', 'Resource': '*'},
        {'Effect': 'Allow', 'Action': ['sqs:SendMessage', 's3:GetObject']},
        {'Effect': 'Deny', 'Action': ['s3:DeleteObject']},
    ]}
    assert policy_actions(doc) == {'s3:GetObject', 'sqs:SendMessage'}


def test_policy_actions_single_statement_and_empty():
    assert policy_actions({'Statement': {'Effect': 'Allow',
                                         'Action': 'x:Y'}}) == {'x:Y'}
    assert policy_actions({}) == set()
    assert policy_actions(None) == set()


def test_diff_policies_reports_added_and_removed():
    old = generate_policy({'s3': {'get_object', 'put_object'}})
    new = generate_policy({'s3': {'get_object', 'list_objects_v2'},
                           'sqs': {'send_message'}})
    added, removed = diff_policies(old, new)
    assert added == ['s3:ListBucket', 'sqs:SendMessage']
    assert removed == ['s3:PutObject']


def test_diff_policies_no_change():
    doc = generate_policy({'s3': {'get_object'}}, vpc=True)
    assert diff_policies(doc, json.loads(format_policy(doc))) == ([], [])


def test_diff_policies_from_nothing():
    added, removed = diff_policies({}, generate_policy({}))
    assert added == ['logs:CreateLogGroup', 'logs:CreateLogStream',
                     'logs:PutLogEvents']
    assert removed == []


# -- format_policy --------------------------------------------------------


def test_format_policy_matches_gen_policy_layout():
    doc = {'Version': '2012-10-17', 'Statement': [{
        'Action': ['s3:ListAllMyBuckets'], 'Resource': ['*'],
        'Effect': 'Allow', 'Sid': '9155de6ad1d74e4c8b1448255770e60c'}]}
    assert format_policy(doc) == textwrap.dedent("""\
        {
          "Version": "2012-10-17",
          "Statement": [
            {
              "Action": [
                "s3:ListAllMyBuckets"
              ],
              "Resource": [
                "*"
              ],
              "Effect": "Allow",
              "Sid": "9155de6ad1d74e4c8b1448255770e60c"
            }
          ]
        }""")


def test_format_policy_round_trips():
    doc = generate_policy({'s3': {'get_object'}}, websockets=True)
    assert json.loads(format_policy(doc)) == doc


def test_module_constants_match_statements():
    doc = generate_policy({}, vpc=True, websockets=True, xray=True)
    assert policy_actions(doc) == set(
        policy.LOGS_ACTIONS + policy.VPC_ACTIONS + policy.WEBSOCKET_ACTIONS
        + policy.XRAY_ACTIONS)
