"""The validation pass (issue 11, section 1): every rule, through the CLI, AWS unreachable.

Each case runs the commands that load the app (``deploy``, ``package``, ``dev
plan``, ``dev appgraph``, ``generate-models`` and ``local``; fewer where a rule
only concerns some of them) with ``AWS_ENDPOINT_URL`` pointed at a port
nothing listens on, and with ``chalice.awsclient.create_session`` replaced
by a function that records the call.  Each must exit 2 with exactly the
expected ``Error:`` lines, create no AWS session, and leave the project
directory as it was (no ``.chalice/deployments`` package, no
``.chalice/deployed`` state file) and write no package output.
"""
import json
import os
import re
import signal
import socket
import sys
from dataclasses import dataclass, field

import pytest
from click.testing import CliRunner

from chalice import config as config_module
from chalice.cli import cli
from chalice.test import Client

# The CLI changes sys.path, sys.modules and os.environ; this autouse fixture undoes it.

HEADER = '''\
from chalice import (Chalice, CORSConfig, CognitoUserPoolAuthorizer, Cron,
                     CustomAuthorizer, Rate)

app = Chalice(app_name='valid')


@app.route('/')
def index():
    return {'ok': True}


'''
BASE_CONFIG = {'version': '2.0', 'app_name': 'valid'}
COMMANDS = {
    'deploy': ['deploy'],
    'package': ['package', '{out}'],
    'plan': ['dev', 'plan'],
    'appgraph': ['dev', 'appgraph'],
    'models': ['generate-models'],
    'local': ['local', '--no-autoreload', '--port', '0'],
}
ALL = tuple(COMMANDS)
BUILD = ('deploy', 'package', 'plan', 'appgraph', 'models')
CONFIG_FILE = 'Invalid .chalice/config.json: '
VALID_ROLE = 'arn:aws:iam::123456789012:role/app-role'
STREAM_ARN = 'arn:aws:dynamodb:us-west-2:123456789012:table/t/stream/2024-01-01T00:00:00.000'


@dataclass
class Case:
    id: str
    lines: list
    code: str = ''
    config: dict = field(default_factory=dict)
    args: tuple = ()
    commands: tuple = ALL
    files: dict = field(default_factory=dict)


def dev(**settings):
    return {'stages': {'dev': settings}}


def fn_code(name='foo'):
    return '@app.lambda_function()\ndef %s(event, context):\n    return {}\n' % name


RETENTION = ', '.join(str(d) for d in config_module.LOG_RETENTION_DAYS)
LONG_NAME = 'resize_every_uploaded_image_into_all_thumbnail_sizes_xl'

CASES = [
    # -- config values: type and range (chalice.config) ------------------------------------
    Case('lambda_timeout', [CONFIG_FILE + 'stages.dev.lambda_functions.foo.lambda_timeout '
                            'must be between 1 and 900 (seconds), got 0'],
         code=fn_code(), config={'stages': {'dev': {'lambda_functions': {
             'foo': {'lambda_timeout': 0}}}}}),
    Case('lambda_memory_size', [CONFIG_FILE + 'stages.dev.lambda_memory_size must be '
                                'between 128 and 10240 (MB), got 64'],
         config=dev(lambda_memory_size=64)),
    Case('lambda_ephemeral_storage', [CONFIG_FILE + 'lambda_ephemeral_storage must be between '
                                      '512 and 10240 (MB), got 20000'],
         config={'lambda_ephemeral_storage': 20000}),
    Case('reserved_concurrency', [CONFIG_FILE + 'lambda_functions.foo.reserved_concurrency '
                                  'must be an integer of at least 0, got -1'],
         code=fn_code(), config={'lambda_functions': {'foo': {'reserved_concurrency': -1}}}),
    Case('log_retention_in_days', [CONFIG_FILE + 'stages.dev.log_retention_in_days must be a '
                                   'CloudWatch Logs retention period in days, one of '
                                   + RETENTION + ', got 2'],
         config=dev(log_retention_in_days=2)),
    Case('lambda_architecture', [CONFIG_FILE + 'stages.dev.lambda_architecture must be one of '
                                 'x86_64, arm64, got "aarch64"'],
         config=dev(lambda_architecture='aarch64')),
    Case('api_gateway_endpoint_type', [CONFIG_FILE + 'api_gateway_endpoint_type must be one of '
                                       'EDGE, REGIONAL, PRIVATE, got "EDG"'],
         config={'api_gateway_endpoint_type': 'EDG'}),
    Case('minimum_compression_size', [CONFIG_FILE + 'stages.dev.minimum_compression_size must '
                                      'be between 0 and 10485760 (bytes), got -1'],
         config=dev(minimum_compression_size=-1)),
    Case('environment value type', [CONFIG_FILE + 'environment_variables.PORT must be a string, '
                                    'got 8080'],
         config={'environment_variables': {'PORT': 8080}}),
    Case('boolean type', [CONFIG_FILE + 'stages.dev.xray must be true or false, got "yes"'],
         config=dev(xray='yes')),
    # -- config values: AWS's limits (chalice.validation) ----------------------------------
    Case('app_name missing', [CONFIG_FILE + 'app_name is missing: add "app_name": "<name>" at '
                              'the top level (it starts the name of every AWS resource of the '
                              'app)'],
         config={'app_name': None}),
    Case('app_name characters', [CONFIG_FILE + "app_name must be letters, digits, '-' and '_' "
                                 '(it starts every Lambda function name), got "my app"'],
         config={'app_name': 'my app'}),
    Case('app_name type', [CONFIG_FILE + 'app_name must be a string, got 5'],
         config={'app_name': 5}),
    Case('version', [CONFIG_FILE + 'version must be "2.0" (the config format this chalice '
                     'reads), got "3.0"'],
         config={'version': '3.0'}),
    Case('stage name', [CONFIG_FILE + "stages.my.stage is not a valid stage name: use letters, "
                        "digits, '-' and '_' (the stage name is part of every Lambda function "
                        "name)"],
         config={'stages': {'my.stage': {}}}),
    Case('api_gateway_stage', [CONFIG_FILE + 'stages.dev.api_gateway_stage must be an API '
                               "Gateway stage name: 1-128 letters, digits, '-' and '_', got "
                               '"v1.0"'],
         config=dev(api_gateway_stage='v1.0')),
    Case('websocket_api_stage', [CONFIG_FILE + 'websocket_api_stage must be an API Gateway '
                                 "stage name: 1-128 letters, digits, '-' and '_', got \"\""],
         config={'websocket_api_stage': ''}),
    Case('iam_role_arn', [CONFIG_FILE + 'stages.dev.iam_role_arn must be an IAM role ARN '
                          '(arn:aws:iam::ACCOUNT:role/NAME), got "my-role"'],
         config=dev(iam_role_arn='my-role', manage_iam_role=False)),
    Case('layers ARN', [CONFIG_FILE + 'layers[1] must be a layer version ARN (arn:aws:lambda:'
                        'REGION:ACCOUNT:layer:NAME:VERSION), got "arn:aws:lambda:us-west-2:'
                        '123456789012:layer:x"'],
         config={'layers': ['arn:aws:lambda:us-west-2:123456789012:layer:x:1',
                            'arn:aws:lambda:us-west-2:123456789012:layer:x']}),
    Case('layers count', [CONFIG_FILE + 'stages.dev.layers must list at most 5, got 6'],
         config=dev(layers=['arn:aws:lambda:us-west-2:123456789012:layer:x:%d' % i
                            for i in range(1, 7)])),
    Case('subnet_ids', [CONFIG_FILE + 'subnet_ids[0] must be a subnet id (subnet-...), got '
                        '"vpc-123"'],
         config={'subnet_ids': ['vpc-123'], 'security_group_ids': ['sg-1']}),
    Case('subnet_ids count', [CONFIG_FILE + 'subnet_ids must list at most 16, got 17'],
         config={'subnet_ids': ['subnet-%x' % i for i in range(17)],
                 'security_group_ids': ['sg-1']}),
    Case('security_group_ids', [CONFIG_FILE + 'security_group_ids must list at most 5, got 6',
                                CONFIG_FILE + 'security_group_ids[5] must be a security group '
                                'id (sg-...), got "default"'],
         config={'subnet_ids': ['subnet-1'],
                 'security_group_ids': ['sg-1', 'sg-2', 'sg-3', 'sg-4', 'sg-5', 'default']}),
    Case('api_gateway_endpoint_vpce', [CONFIG_FILE + 'api_gateway_endpoint_vpce must be a VPC '
                                       'endpoint id (vpce-...), got "vpc-1"'],
         config={'api_gateway_endpoint_type': 'PRIVATE', 'api_gateway_endpoint_vpce': 'vpc-1'}),
    Case('environment name', [CONFIG_FILE + 'environment_variables.1ST is not a valid '
                              "environment variable name: a letter, then one or more letters, "
                              "digits and '_'"],
         config={'environment_variables': {'1ST': 'x'}}),
    Case('environment reserved', [CONFIG_FILE + 'stages.dev.lambda_functions.foo.'
                                  'environment_variables.AWS_REGION is reserved: Lambda sets '
                                  'it itself; use another name'],
         code=fn_code(), config={'stages': {'dev': {'lambda_functions': {'foo': {
             'environment_variables': {'AWS_REGION': 'eu-west-1'}}}}}}),
    Case('tag key', [CONFIG_FILE + 'tags.team#1 is not a valid tag key: 1-128 letters, digits, '
                     'spaces and _ . : / = + - @'],
         config={'tags': {'team#1': 'x'}}),
    Case('tag key reserved', [CONFIG_FILE + 'stages.dev.tags.aws:owner is reserved: tag keys '
                              'starting with "aws:" belong to AWS'],
         config=dev(tags={'aws:owner': 'me'})),
    Case('tag value', [CONFIG_FILE + 'tags.team must be at most 256 letters, digits, spaces and '
                       '_ . : / = + - @, got "' + 'v' * 56 + '...'],
         config={'tags': {'team': 'v' * 257}}),
    Case('iam_policy_file', [CONFIG_FILE + 'iam_policy_file must be a file name (relative to '
                             '.chalice), got ""'],
         config={'iam_policy_file': ' '}),
    # -- the settings each function resolves to ---------------------------------------------
    Case('subnets without groups', [CONFIG_FILE + 'stages.dev.subnet_ids is set but '
                                    'security_group_ids is not: a Lambda function in a VPC '
                                    'needs both (add security_group_ids or remove subnet_ids)'],
         config=dev(subnet_ids=['subnet-1'])),
    Case('groups without subnets', [CONFIG_FILE + 'lambda_functions.foo.security_group_ids is '
                                    'set but subnet_ids is not: a Lambda function in a VPC '
                                    'needs both (add subnet_ids or remove security_group_ids)'],
         code=fn_code(), config={'lambda_functions': {'foo': {'security_group_ids': ['sg-1']}}}),
    Case('manage_iam_role', [CONFIG_FILE + 'stages.dev.manage_iam_role is false but no '
                             'iam_role_arn is set: add "iam_role_arn" (the role the functions '
                             'run as) or set manage_iam_role to true'],
         config=dev(manage_iam_role=False)),
    Case('environment size', [CONFIG_FILE + 'environment_variables of function api_handler in '
                              'stage dev take 4101 bytes; Lambda allows 4096 in total (names '
                              'and values)'],
         config={'environment_variables': {'BIG': 'x' * 4098}}),
    Case('tag count', [CONFIG_FILE + 'tags of function api_handler in stage dev come to 51 with '
                       'the aws-chalice tag; Lambda allows 50'],
         config={'tags': {'t%d' % i: 'v' for i in range(50)}}),
    Case('api handler name length', [CONFIG_FILE + 'app_name makes the Lambda function name '
                                     + 'a' * 61 + '-dev (app_name-stage) 65 characters long; '
                                     'Lambda allows 64: shorten app_name or the stage name'],
         config={'app_name': 'a' * 61}),
    Case('handler name length', ['Invalid app.py:{line} (handler %s): the Lambda function name '
                                 'valid-dev-%s (app_name-stage-name) is 65 characters long; '
                                 'Lambda allows 64: use a shorter name=..., app_name or stage '
                                 'name' % (LONG_NAME, LONG_NAME)],
         code=fn_code(LONG_NAME)),
    Case('private endpoint', [CONFIG_FILE + 'stages.dev.api_gateway_endpoint_type is PRIVATE '
                              'but no api_gateway_endpoint_vpce is set: add the VPC endpoint '
                              'id(s) or an api_gateway_policy_file'],
         config=dev(api_gateway_endpoint_type='PRIVATE')),
    Case('policy file', ['Automatic policy generation is off (--no-autogen-policy or '
                         'autogen_policy: false) but the policy file .chalice/policy-dev.json '
                         'does not exist. Create it (chalice gen-policy > '
                         '.chalice/policy-dev.json is a starting point) or turn autogen_policy '
                         'back on.'],
         config=dev(autogen_policy=False), commands=BUILD),
    Case('api policy file', ['Cannot read the api_gateway_policy_file {project}/.chalice/'
                             'api-policy.json: No such file or directory'],
         config={'api_gateway_policy_file': 'api-policy.json'}, commands=BUILD),
    Case('api policy JSON', ['The api_gateway_policy_file {project}/.chalice/api-policy.json is '
                             'not valid JSON: Expecting value: line 1 column 1 (char 0)'],
         config={'api_gateway_policy_file': 'api-policy.json'}, commands=BUILD,
         files={'.chalice/api-policy.json': 'nope'}),
    # -- command-line options -------------------------------------------------------------
    Case('--stage', ["Invalid --stage: must be letters, digits, '-' and '_' (the stage name is "
                     'part of every Lambda function name), got "prod/eu"'],
         args=('--stage', 'prod/eu'), commands=BUILD),
    Case('--api-gateway-stage', ["Invalid --api-gateway-stage: must be an API Gateway stage "
                                 "name: 1-128 letters, digits, '-' and '_', got \"v 2\""],
         args=('--api-gateway-stage', 'v 2'), commands=('deploy', 'plan', 'appgraph')),
    Case('--connection-timeout', ['Invalid --connection-timeout: must be a number of seconds '
                                  'of at least 1, got 0'],
         args=('--connection-timeout', '0'), commands=('deploy',)),
    # -- the app ----------------------------------------------------------------------------
    Case('app object', ["Invalid app.py: 'app' must be the Chalice application "
                        "(app = Chalice(app_name='...')), got dict"],
         code='app = {}\n'),
    Case('function name', ["Invalid app.py:{line} (handler my fn): the Lambda function name "
                           "'my fn' may only contain letters, digits, '-' and '_' (pass "
                           "name=... to the decorator)"],
         code="@app.lambda_function(name='my fn')\ndef fn(event, context):\n    pass\n"),
    Case('rate unit', ["Invalid app.py:{line} (handler tick): schedule: Invalid rate expression "
                       "'rate(5 minute)': EventBridge wants 'minutes' with 5 (rate(5 minutes))"],
         code="@app.schedule('rate(5 minute)')\ndef tick(event):\n    pass\n"),
    Case('rate form', ["Invalid app.py:{line} (handler tick): schedule: Invalid rate expression "
                       "'rate(0 hours)': the value must be a positive whole number and the unit "
                       "minutes, hours or days"],
         code="@app.schedule('rate(0 hours)')\ndef tick(event):\n    pass\n"),
    Case('schedule form', ["Invalid app.py:{line} (handler tick): schedule: Invalid schedule "
                           "expression 'every 5 minutes': use rate(...) or cron(...)"],
         code="@app.schedule('every 5 minutes')\ndef tick(event):\n    pass\n"),
    Case('cron fields', ["Invalid app.py:{line} (handler tick): schedule: Invalid cron expression "
                         "'cron(0 12 * * *)': EventBridge wants six fields, cron(minutes hours "
                         "day-of-month month day-of-week year), e.g. cron(0 12 * * ? *)"],
         code="@app.schedule('cron(0 12 * * *)')\ndef tick(event):\n    pass\n"),
    Case('cron field value', ["Invalid app.py:{line} (handler tick): schedule: The hours value 25 "
                              "is out of range (0-23)"],
         code="@app.schedule(Cron(0, 25, '?', '*', 'MON-FRI', '*'))\ndef tick(event):\n"
              "    pass\n"),
    Case('cron day fields', ["Invalid app.py:{line} (handler tick): schedule: Invalid cron "
                             "expression 'cron(0 12 ? * ? *)': exactly one of day-of-month and "
                             "day-of-week must be '?'"],
         code="@app.schedule('cron(0 12 ? * ? *)')\ndef tick(event):\n    pass\n"),
    Case('cron never fires', ["Invalid app.py:{line} (handler tick): schedule: The cron "
                              "expression 'cron(0 0 31 2 ? *)' never fires"],
         code="@app.schedule('cron(0 0 31 2 ? *)')\ndef tick(event):\n    pass\n"),
    Case('schedule length', ["Invalid app.py:{line} (handler tick): schedule expression is 271 "
                             "characters long; EventBridge allows 256"],
         code="@app.schedule('cron(0 12 * * ? ' + '2024,' * 50 + '2025)')\n"
              "def tick(event):\n    pass\n"),
    Case('schedule type', ["Invalid app.py:{line} (handler tick): schedule: A schedule expression "
                           "must be a Rate, a Cron or a string, got 5"],
         code="@app.schedule(5)\ndef tick(event):\n    pass\n"),
    Case('schedule description', ["Invalid app.py:{line} (handler tick): schedule description "
                                  "must be a string of at most 512 characters, got '"
                                  + 'd' * 56 + '...'],
         code="@app.schedule(Rate(1, Rate.HOURS), description='d' * 513)\ndef tick(event):\n"
              "    pass\n"),
    Case('event pattern type', ["Invalid app.py:{line} (handler watch): on_cw_event "
                                "event_pattern must be a non-empty JSON object (a dict such as "
                                "{{'source': ['aws.ec2']}}), got 'aws.ec2'"],
         code="@app.on_cw_event('aws.ec2')\ndef watch(event):\n    pass\n"),
    Case('event pattern field', ["Invalid app.py:{line} (handler watch): on_cw_event "
                                 "event_pattern field 'detail.state' must be a non-empty list "
                                 "of values to match or an object of fields, got 'stopped'"],
         code="@app.on_cw_event({'source': ['aws.ec2'], 'detail': {'state': 'stopped'}})\n"
              "def watch(event):\n    pass\n"),
    Case('event pattern size', ["Invalid app.py:{line} (handler watch): on_cw_event "
                                "event_pattern is 4116 characters as JSON; EventBridge allows "
                                "4096"],
         code="@app.on_cw_event({'source': ['x' * 4100]})\ndef watch(event):\n    pass\n"),
    Case('event pattern JSON', ["Invalid app.py:{line} (handler watch): on_cw_event "
                                "event_pattern must be JSON data: Object of type set is not "
                                "JSON serializable"],
         code="@app.on_cw_event({'source': {'aws.ec2'}})\ndef watch(event):\n    pass\n"),
    Case('bucket', ["Invalid app.py:{line} (handler resize): on_s3_event bucket must be an S3 "
                    "bucket name (3-63 lower-case letters, digits, '.' and '-', starting and "
                    "ending with a letter or digit), got 's3://photos'"],
         code="@app.on_s3_event('s3://photos')\ndef resize(event):\n    pass\n"),
    Case('s3 event type', ["Invalid app.py:{line} (handler resize): on_s3_event events contains "
                           "'s3:ObjectCreated:Upload', which is not an S3 event type (did you "
                           "mean s3:ObjectCreated:*?); use types such as s3:ObjectCreated:* or "
                           "s3:ObjectRemoved:Delete"],
         code="@app.on_s3_event('photos', events=['s3:ObjectCreated:Upload'])\n"
              "def resize(event):\n    pass\n"),
    Case('s3 filter', ["Invalid app.py:{line} (handler resize): on_s3_event suffix must be a "
                       "string of at most 1024 bytes, got 5"],
         code="@app.on_s3_event('photos', suffix=5)\ndef resize(event):\n    pass\n"),
    Case('sns topic', ["Invalid app.py:{line} (handler notify): on_sns_message topic must be "
                       "an SNS topic name (1-256 letters, digits, '_' and '-') or a topic ARN, "
                       "got ''"],
         code="@app.on_sns_message('')\ndef notify(event):\n    pass\n"),
    Case('sqs queue', ["Invalid app.py:{line} (handler work): on_sqs_message queue must be an "
                       "SQS queue name (1-80 letters, digits, '_' and '-', FIFO queues ending "
                       "in .fifo), got 'https://sqs.us-west-2.amazonaws.com/1/q'"],
         code="@app.on_sqs_message(queue='https://sqs.us-west-2.amazonaws.com/1/q')\n"
              "def work(event):\n    pass\n"),
    Case('sqs queue_arn', ["Invalid app.py:{line} (handler work): on_sqs_message queue_arn "
                           "must be an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME), got "
                           "'jobs'"],
         code="@app.on_sqs_message(queue_arn='jobs')\ndef work(event):\n    pass\n"),
    Case('sqs batch_size', ["Invalid app.py:{line} (handler work): on_sqs_message batch_size "
                            "must be an integer from 1 to 10000, got 0"],
         code="@app.on_sqs_message(queue='jobs', batch_size=0)\ndef work(event):\n    pass\n"),
    Case('sqs fifo batch_size', ["Invalid app.py:{line} (handler work): on_sqs_message "
                                 "batch_size must be an integer from 1 to 10, got 20 (a FIFO "
                                 "queue takes at most 10)"],
         code="@app.on_sqs_message(queue='jobs.fifo', batch_size=20, "
              "maximum_batching_window_in_seconds=5)\ndef work(event):\n    pass\n"),
    Case('sqs batching window needed', ["Invalid app.py:{line} (handler work): on_sqs_message "
                                        "batch_size 50 needs maximum_batching_window_in_seconds "
                                        "of at least 1: SQS batches over 10 messages need a "
                                        "batching window"],
         code="@app.on_sqs_message(queue='jobs', batch_size=50)\ndef work(event):\n    pass\n"),
    Case('sqs batching window', ["Invalid app.py:{line} (handler work): on_sqs_message "
                                 "maximum_batching_window_in_seconds must be an integer from 0 "
                                 "to 300, got 301"],
         code="@app.on_sqs_message(queue='jobs', maximum_batching_window_in_seconds=301)\n"
              "def work(event):\n    pass\n"),
    Case('sqs maximum_concurrency', ["Invalid app.py:{line} (handler work): on_sqs_message "
                                     "maximum_concurrency must be an integer from 2 to 1000, "
                                     "got 1"],
         code="@app.on_sqs_message(queue='jobs', maximum_concurrency=1)\ndef work(event):\n"
              "    pass\n"),
    Case('kinesis stream', ["Invalid app.py:{line} (handler consume): on_kinesis_record stream "
                            "must be a Kinesis stream name (1-128 letters, digits, '_', '.' and "
                            "'-'), got 'my stream'"],
         code="@app.on_kinesis_record('my stream')\ndef consume(event):\n    pass\n"),
    Case('kinesis batch_size', ["Invalid app.py:{line} (handler consume): on_kinesis_record "
                                "batch_size must be an integer from 1 to 10000, got 10001"],
         code="@app.on_kinesis_record('clicks', batch_size=10001)\ndef consume(event):\n"
              "    pass\n"),
    Case('kinesis starting_position', ["Invalid app.py:{line} (handler consume): "
                                       "on_kinesis_record starting_position must be "
                                       "TRIM_HORIZON or LATEST, got 'AT_TIMESTAMP'"],
         code="@app.on_kinesis_record('clicks', starting_position='AT_TIMESTAMP')\n"
              "def consume(event):\n    pass\n"),
    Case('kinesis batching window', ["Invalid app.py:{line} (handler consume): "
                                     "on_kinesis_record maximum_batching_window_in_seconds must "
                                     "be an integer from 0 to 300, got -1"],
         code="@app.on_kinesis_record('clicks', maximum_batching_window_in_seconds=-1)\n"
              "def consume(event):\n    pass\n"),
    Case('dynamodb stream_arn', ["Invalid app.py:{line} (handler changes): on_dynamodb_record "
                                 "stream_arn must be a DynamoDB stream ARN (arn:aws:dynamodb:"
                                 "REGION:ACCOUNT:table/TABLE/stream/LABEL), got 'my-table'"],
         code="@app.on_dynamodb_record('my-table')\ndef changes(event):\n    pass\n"),
    Case('dynamodb batch_size', ["Invalid app.py:{line} (handler changes): on_dynamodb_record "
                                 "batch_size must be an integer from 1 to 10000, got 20000"],
         code="@app.on_dynamodb_record(%r, batch_size=20000)\ndef changes(event):\n"
              "    pass\n" % STREAM_ARN),
    Case('dynamodb starting_position', ["Invalid app.py:{line} (handler changes): "
                                        "on_dynamodb_record starting_position must be "
                                        "TRIM_HORIZON or LATEST, got 'latest'"],
         code="@app.on_dynamodb_record(%r, starting_position='latest')\n"
              "def changes(event):\n    pass\n" % STREAM_ARN),
    Case('authorizer ttl', ["Invalid app.py:{line} (handler check): authorizer ttl_seconds must "
                            "be an integer from 0 to 3600, got 7200"],
         code="@app.authorizer(ttl_seconds=7200)\ndef check(request):\n    pass\n"),
    Case('authorizer role', ["Invalid app.py:{line} (handler check): authorizer execution_role "
                             "must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME), got "
                             "'invoker'"],
         code="@app.authorizer(execution_role='invoker')\ndef check(request):\n    pass\n"),
    Case('authorizer header', ["Invalid app.py:{line} (handler check): authorizer header must "
                               "be an HTTP header name, got 'X Token'"],
         code="@app.authorizer(header='X Token')\ndef check(request):\n    pass\n"),
    Case('cognito provider_arns', ["Invalid app.py:{line} (handler me): route /me "
                                   "CognitoUserPoolAuthorizer provider_arns must be a non-empty "
                                   "list of user pool ARNs (arn:aws:cognito-idp:REGION:ACCOUNT:"
                                   "userpool/ID), got ['us-west-2_abc']"],
         code="pool = CognitoUserPoolAuthorizer('pool', provider_arns=['us-west-2_abc'])\n\n\n"
              "@app.route('/me', authorizer=pool)\ndef me():\n    return {}\n"),
    Case('custom authorizer', ["Invalid app.py:{line} (handler me): route /me CustomAuthorizer "
                               "authorizer_uri must be an API Gateway invocation URI (arn:aws:"
                               "apigateway:REGION:lambda:path/...), got 'my-function'",
                               "Invalid app.py:{line} (handler me): route /me CustomAuthorizer "
                               "ttl_seconds must be an integer from 0 to 3600, got 86400",
                               "Invalid app.py:{line} (handler me): route /me CustomAuthorizer "
                               "invoke_role_arn must be an IAM role ARN (arn:aws:iam::ACCOUNT:"
                               "role/NAME), got 'role'"],
         code="custom = CustomAuthorizer('custom', 'my-function', ttl_seconds=86400, "
              "invoke_role_arn='role')\n\n\n"
              "@app.route('/me', authorizer=custom)\ndef me():\n    return {}\n"),
    Case('authorizer scopes', ["Invalid app.py:{line} (handler me): route /me "
                               "CognitoUserPoolAuthorizer scopes must be a list of OAuth scope "
                               "names, got ['read', '']"],
         code="pool = CognitoUserPoolAuthorizer('pool', provider_arns=["
              "'arn:aws:cognito-idp:us-west-2:123456789012:userpool/us-west-2_abc'], "
              "scopes=['read', ''])\n\n\n"
              "@app.route('/me', authorizer=pool)\ndef me():\n    return {}\n"),
    Case('api_key_required', ["Invalid app.py:{line} (handler me): route /me api_key_required "
                              "must be True or False, got 'yes'"],
         code="@app.route('/me', api_key_required='yes')\ndef me():\n    return {}\n"),
    Case('content_types', ["Invalid app.py:{line} (handler upload): route /upload "
                           "content_types entry 'json' must be a media type such as "
                           "'application/json'"],
         code="@app.route('/upload', methods=['POST'], content_types=['json'])\n"
              "def upload():\n    return {}\n"),
    Case('cors', ["Invalid app.py:{line} (handler me): route /me CORSConfig allow_origin must "
                  "be '*' or an origin such as 'https://example.com', got ''",
                  "Invalid app.py:{line} (handler me): route /me CORSConfig max_age must be a "
                  "whole number of seconds, got -5",
                  "Invalid app.py:{line} (handler me): route /me CORSConfig allow_credentials "
                  "must be True or False, got 'yes'",
                  "Invalid app.py:{line} (handler me): route /me CORSConfig allow_headers entry "
                  "'X Bad' must be an HTTP header name"],
         code="@app.route('/me', cors=CORSConfig(allow_origin='', max_age=-5, "
              "allow_credentials='yes', allow_headers=['X-Ok', 'X Bad']))\n"
              "def me():\n    return {}\n"),
    Case('bare decorator', ["Invalid app.py:{line}: @app.on_ws_message needs parentheses: "
                            "without them message is not registered; write "
                            "@app.on_ws_message(...)",
                            "Invalid app.py:17: @app.schedule needs parentheses: without them "
                            "tick is not registered; write @app.schedule(...)"],
         code="@app.on_ws_message\ndef message(event):\n    pass\n\n\n"
              "@app.schedule\ndef tick(event):\n    pass\n"),
    Case('binary_types', ["Invalid app.py: app.api.binary_types entry 'png' must be a media "
                          "type such as 'image/png' or '*/*'"],
         code="app.api.binary_types.append('png')\n"),
]


@pytest.fixture
def closed_port():
    """A loopback port nothing listens on (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def aws_unreachable(monkeypatch, closed_port):
    monkeypatch.setenv('AWS_ENDPOINT_URL', 'http://127.0.0.1:%d' % closed_port)
    monkeypatch.setenv('AWS_MAX_ATTEMPTS', '1')
    saved_env = dict(os.environ)
    saved_sigterm = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, saved_sigterm)  # `chalice local` installs its own
    os.environ.clear()
    os.environ.update(saved_env)


@pytest.fixture
def sessions(monkeypatch):
    """Records every AWS session a command tries to create (and refuses it)."""
    import chalice.awsclient

    made = []

    def refuse(profile=None):
        made.append(profile)
        raise AssertionError('an AWS session was created')

    monkeypatch.setattr(chalice.awsclient, 'create_session', refuse)
    return made


def write_project(root, code='', config=None, files=None):
    project = root / 'proj'
    (project / '.chalice').mkdir(parents=True)
    full = dict(BASE_CONFIG, **(config or {}))
    (project / '.chalice' / 'config.json').write_text(json.dumps(full))
    (project / 'app.py').write_text(HEADER + code)
    for relative, content in (files or {}).items():
        (project / relative).write_text(content)
    return project


def snapshot(directory):
    found = {}
    for root, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            with open(path, 'rb') as f:
                found[os.path.relpath(path, directory)] = f.read()
    return found


def decorator_line(code):
    """The line of app.py where the case's first decorator is."""
    lines = (HEADER + code).splitlines()
    return next(i for i, line in enumerate(lines, 1)
                if line.startswith('@') and i > HEADER.count('\n'))


def run(project, out, command, args=()):
    argv = [part.format(out=out) for part in COMMANDS[command]] + list(args)
    return CliRunner().invoke(cli, ['--project-dir', str(project)] + argv)


def error_lines(result):
    return [line for line in result.stderr.splitlines() if line.strip()]


def refused(tmp_path, sessions, command, code='', config=None, args=(), files=None):
    """Run ``command``, check that it stopped before AWS and touched nothing."""
    project = write_project(tmp_path, code, config, files)
    out = tmp_path / 'out'
    before = snapshot(project)
    result = run(project, out, command, args)
    assert result.exit_code == 2, result.output
    assert 'Traceback' not in result.output
    assert sessions == []
    assert snapshot(project) == before
    assert not out.exists()
    return project, result


RUNS = [(case, command) for case in CASES for command in case.commands]


@pytest.mark.parametrize('case, command', RUNS,
                         ids=['%s-%s' % (case.id, command) for case, command in RUNS])
def test_rule(tmp_path, sessions, case, command):
    project, result = refused(tmp_path, sessions, command, case.code, case.config, case.args,
                              case.files)
    line = decorator_line(case.code) if '{line}' in ''.join(case.lines) else None
    expected = ['Error: ' + text.format(line=line, project=project) for text in case.lines]
    assert error_lines(result) == expected


def test_every_rule_is_in_the_docs():
    """docs/cli.rst gives the message of every rule above (up to the value found)."""
    docs_path = os.path.join(os.path.dirname(__file__), '..', '..', 'docs', 'cli.rst')
    with open(docs_path) as f:
        docs = ' '.join(f.read().split())
    for case in CASES:
        for text in case.lines:
            fixed = text.format(line='{line}', project='{project}').split(', got ')[0]
            pattern = re.escape(fixed).replace(re.escape('{line}'), r'\d+').replace(
                re.escape('{project}'), r'\S+')
            assert re.search(pattern, docs), (case.id, fixed)


def test_every_problem_is_reported_in_one_run(tmp_path, sessions):
    code = ("@app.on_sqs_message(queue='jobs', batch_size=0)\ndef work(event):\n    pass\n\n\n"
            "@app.schedule('rate(1 hours)')\ndef tick(event):\n    pass\n")
    config = {'app_name': 'my app', 'stages': {'dev': {'lambda_timeout': 0,
                                                       'subnet_ids': ['subnet-1']}}}
    _, result = refused(tmp_path, sessions, 'deploy', code, config)
    first = decorator_line(code)
    assert error_lines(result) == [
        'Error: ' + CONFIG_FILE + 'stages.dev.lambda_timeout must be between 1 and 900 '
        '(seconds), got 0',
        'Error: ' + CONFIG_FILE + "app_name must be letters, digits, '-' and '_' (it starts "
        'every Lambda function name), got "my app"',
        'Error: Invalid app.py:%d (handler work): on_sqs_message batch_size must be an integer '
        'from 1 to 10000, got 0' % first,
        "Error: Invalid app.py:%d (handler tick): schedule: Invalid rate expression "
        "'rate(1 hours)': EventBridge wants 'hour' with 1 (rate(1 hour))" % (first + 5),
        'Error: ' + CONFIG_FILE + 'stages.dev.subnet_ids is set but security_group_ids is not: '
        'a Lambda function in a VPC needs both (add security_group_ids or remove subnet_ids)',
    ]


def test_an_import_failure_is_reported_with_the_config_problems(tmp_path, sessions):
    _, result = refused(tmp_path, sessions, 'package', 'raise RuntimeError("boom")\n',
                        dev(lambda_timeout=0))
    assert error_lines(result) == [
        'Error: ' + CONFIG_FILE + 'stages.dev.lambda_timeout must be between 1 and 900 '
        '(seconds), got 0',
        'Error: Unable to import your app.py file: RuntimeError: boom (app.py:12)',
    ]


def test_an_import_failure_alone_keeps_its_debug_traceback(tmp_path, sessions):
    project = write_project(tmp_path, 'raise RuntimeError("boom")\n')
    result = CliRunner().invoke(cli, ['--project-dir', str(project), '--debug', 'package',
                                      str(tmp_path / 'out')])
    assert result.exit_code == 2
    assert 'raise RuntimeError("boom")' in result.stderr
    assert error_lines(result)[-1] == ('Error: Unable to import your app.py file: '
                                       'RuntimeError: boom (app.py:12)')


@pytest.mark.parametrize('command', ['deploy', 'plan', 'delete'])
def test_state_record_missing_a_field(tmp_path, sessions, command):
    project = write_project(tmp_path)
    state = project / '.chalice' / 'deployed' / 'dev.json'
    state.parent.mkdir()
    state.write_text(json.dumps({'schema_version': '2.0', 'backend': 'api', 'resources': [
        {'name': 'default-role', 'resource_type': 'iam_role', 'role_name': 'valid-dev',
         'role_arn': VALID_ROLE},
        {'name': 'api_handler', 'resource_type': 'lambda_function'}]}))
    before = snapshot(project)
    argv = ['delete'] if command == 'delete' else COMMANDS[command]
    result = CliRunner().invoke(cli, ['--project-dir', str(project)] + argv)
    assert result.exit_code == 2, result.output
    assert error_lines(result) == [
        'Error: The deployed state file %s is missing the field "lambda_arn" in the record of '
        'api_handler (lambda_function). Restore the file from a backup or add the field; it '
        'was left untouched.' % state]
    assert sessions == []
    assert snapshot(project) == before


def test_unknown_function_settings_are_a_warning(tmp_path, sessions):
    project = write_project(tmp_path, fn_code('worker'), {
        'lambda_functions': {'wroker': {'lambda_timeout': 30}}})
    result = run(project, tmp_path / 'out', 'appgraph')
    assert result.exit_code == 0, result.output
    assert error_lines(result) == [
        'Warning: lambda_functions.wroker in .chalice/config.json names no Lambda function of '
        'app.py (its functions: api_handler, worker); its settings are not used.']


def test_a_valid_project_reaches_aws_at_the_closed_port(tmp_path):
    """Without validation errors deploy gets as far as AWS, and the port refuses it."""
    project = write_project(tmp_path, fn_code())
    result = run(project, tmp_path / 'out', 'deploy')
    assert result.exit_code != 0
    assert 'Could not connect to the endpoint URL' in result.stderr
    assert not (project / '.chalice' / 'deployed').exists()


@pytest.mark.parametrize('case', [case for case in CASES if case.code],
                         ids=[case.id for case in CASES if case.code])
def test_the_apps_still_import_and_run_in_the_test_client(tmp_path, monkeypatch, case):
    """Chalice 1.34 imports such apps: so do Lambda and chalice.test.Client here."""
    (tmp_path / 'app.py').write_text(HEADER + case.code)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop('app', None)
    try:
        import app as module
    finally:
        sys.modules.pop('app', None)
    if not hasattr(module.app, 'routes'):
        return  # 'app' is not a Chalice object: nothing to call
    with Client(module.app, project_dir=str(tmp_path)) as client:
        assert client.http.get('/').json_body == {'ok': True}


def test_a_missing_opt_in_is_one_line_among_the_other_problems(tmp_path, sessions):
    code = "@app.on_ws_message()\ndef message(event):\n    pass\n"
    _, result = refused(tmp_path, sessions, 'deploy', code, dev(lambda_timeout=0))
    lines = error_lines(result)
    assert lines[0] == ('Error: ' + CONFIG_FILE + 'stages.dev.lambda_timeout must be between 1 '
                        'and 900 (seconds), got 0')
    assert len(lines) == 2
    assert lines[1].startswith('Error: You are using experimental features without explicitly '
                               'opting in.')
    assert "app.experimental_feature_flags.update([ 'WEBSOCKETS' ])" in lines[1]


@pytest.mark.parametrize('command', ['deploy', 'package', 'appgraph'])
def test_what_an_http_api_cannot_serve_is_one_line_among_the_other_problems(
        tmp_path, sessions, command):
    """The HTTP API checks run in the validation pass, before any package is built."""
    code = "@app.route('/keyed', api_key_required=True)\ndef keyed():\n    return {}\n"
    _, result = refused(tmp_path, sessions, command, code,
                        dev(api_gateway_type='HTTP', lambda_timeout=0))
    assert error_lines(result) == [
        'Error: ' + CONFIG_FILE + 'stages.dev.lambda_timeout must be between 1 and 900 '
        '(seconds), got 0',
        "Error: HTTP APIs have no API keys: view 'keyed' (GET /keyed) has "
        'api_key_required=True; remove it or set api_gateway_type to REST.',
    ]
