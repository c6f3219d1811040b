"""The validation pass as functions: what it accepts matters as much as what it refuses.

Every refusal is exercised through the CLI in
tests/functional/test_cli_validation.py; here the rules meet the valid
values real projects use (ARNs with paths, other partitions, EC2 ids of
both lengths, cron expressions from the AWS documentation ...), which must
all pass.
"""
import pytest

from chalice import Chalice, CognitoUserPoolAuthorizer, CORSConfig, Cron, CustomAuthorizer, Rate
from chalice.appcheck import argument_problems, schedule_expression_problem
from chalice.config import Config
from chalice.validation import Problems, check_config_file, check_options, check_project

ROLE = 'arn:aws:iam::123456789012:role/service-role/my-role_1'
STREAM = 'arn:aws:dynamodb:us-west-2:123456789012:table/orders/stream/2024-01-01T00:00:00.000'


def config_problems(disk):
    problems = Problems()
    warnings = check_config_file(disk, problems)
    return problems.lines, warnings


def app_problems(app):
    return [str(error) for error in argument_problems(app)]


# -- the config file ---------------------------------------------------------------------

VALID_SETTINGS = {
    'api_gateway_stage': 'v1_beta-2',
    'websocket_api_stage': 'ws',
    'iam_role_arn': ROLE,
    'manage_iam_role': False,
    'layers': ['arn:aws:lambda:us-west-2:123456789012:layer:deps:12',
               'arn:aws-cn:lambda:cn-north-1:123456789012:layer:deps:1',
               'arn:aws-us-gov:lambda:us-gov-west-1:123456789012:layer:x_y-z:3'],
    'subnet_ids': ['subnet-0123abcd', 'subnet-0123456789abcdef0'],
    'security_group_ids': ['sg-0123abcd', 'sg-0123456789abcdef0'],
    'environment_variables': {'DATABASE_URL': 'postgres://x', 'Ab': '', 'LOG_LEVEL': 'info'},
    'tags': {'team': 'data eng', 'cost-center': '1234', 'owner@x': 'a/b:c=d+e_f.g',
             'aws-chalice': 'ignored with a warning'},
    'api_gateway_endpoint_type': 'PRIVATE',
    'api_gateway_endpoint_vpce': ['vpce-0123456789abcdef0', 'vpce-1a2b3c4d'],
    'iam_policy_file': 'policy-prod.json',
}


def test_valid_values_pass_at_every_level():
    function_keys = {k: v for k, v in VALID_SETTINGS.items()
                     if not k.startswith(('api_gateway', 'websocket'))}
    disk = dict(VALID_SETTINGS, version='2.0', app_name='my_app-2',
                lambda_functions={'worker': function_keys},
                stages={'prod-eu_1': dict(VALID_SETTINGS,
                                          lambda_functions={'worker': function_keys})})
    lines, warnings = config_problems(disk)
    assert lines == []
    assert all('aws-chalice' in warning for warning in warnings)


def test_null_values_are_not_set():
    assert config_problems({'app_name': 'a', 'api_gateway_stage': None, 'layers': None,
                            'stages': {'dev': {'tags': None}}})[0] == []


def test_version_may_be_absent():
    assert config_problems({'app_name': 'a'})[0] == []


def test_values_of_the_wrong_type_are_reported_once():
    lines, _ = config_problems({'app_name': 'a', 'api_gateway_stage': 5, 'layers': 'x',
                                'tags': ['a']})
    assert lines == [
        'Invalid .chalice/config.json: api_gateway_stage must be a string, got 5',
        'Invalid .chalice/config.json: layers must be a list of strings, got "x"',
        'Invalid .chalice/config.json: tags must be an object mapping names to strings, '
        'got ["a"]',
    ]


@pytest.mark.parametrize('stage', ['dev', 'prod-2', 'Feature_X'])
def test_valid_stage_options_pass(stage):
    problems = Problems()
    check_options(problems, stage, api_gateway_stage='api', connection_timeout=1)
    assert problems.lines == []


# -- schedules ---------------------------------------------------------------------------

@pytest.mark.parametrize('expression', [
    'rate(1 minute)', 'rate(5 minutes)', 'rate(1 hour)', 'rate(12 hours)', 'rate(1 day)',
    'rate(365 days)',
    'cron(0 10 * * ? *)', 'cron(15 12 * * ? *)', 'cron(0 18 ? * MON-FRI *)',
    'cron(0 8 1 * ? *)', 'cron(0/15 * * * ? *)', 'cron(0/10 * ? * MON-FRI *)',
    'cron(0/5 8-17 ? * MON-FRI *)', 'cron(0 9 ? * 2#1 *)', 'cron(0 0 L * ? *)',
    'cron(0 0 ? * 6L *)', 'cron(0 0 LW * ? *)', 'cron(0 0 15W * ? *)', 'cron(0 0 ? * L *)',
    'cron(0 12 ? JAN,JUL MON *)', 'cron(30 2 ? * SUN 2025-2030)', 'cron(* * * * ? *)',
    'cron(0 12 ? * fri#2 *)', 'cron(5,35 14 * * ? *)', 'cron(0 0 1/2 * ? *)',
    Cron(0, 18, '?', '*', 'MON-FRI', '*').to_string(), Rate(1, Rate.HOURS).to_string(),
    Rate(90, Rate.MINUTES).to_string(),
])
def test_valid_schedule_expressions(expression):
    assert schedule_expression_problem(expression) is None


@pytest.mark.parametrize('expression, problem', [
    ('rate(1 minutes)', 'rate(1 minute)'),
    ('rate(2 day)', 'rate(2 days)'),
    ('rate(5 weeks)', 'the unit minutes, hours or days'),
    ('rate(-1 hours)', 'use rate(N minutes|hours|days)'),
    ('rate(1.5 hours)', 'use rate(N minutes|hours|days)'),
    ('rate(5minutes)', 'use rate(N minutes|hours|days)'),
    ('cron(0 12 * * ? * *)', 'wants six fields'),
    ('cron(60 12 * * ? *)', 'minutes value 60 is out of range (0-59)'),
    ('cron(0 12 32 * ? *)', 'day-of-month value 32 is out of range (1-31)'),
    ('cron(0 12 ? 13 MON *)', 'month value 13 is out of range (1-12)'),
    ('cron(0 12 ? * MOON *)', "Invalid day-of-week value 'MOON'"),
    ('cron(0 12 ? * MON 1969)', 'year value 1969 is out of range (1970-2199)'),
    ('cron(0/0 12 * * ? *)', "Invalid increment '0/0'"),
    ('cron(? 12 * * ? *)', "Invalid minutes field '?'"),
    ('cron(0 12 * * MON *)', "exactly one of day-of-month and day-of-week must be '?'"),
    ('cron(0 12 1 * 2 *)', "exactly one of day-of-month and day-of-week must be '?'"),
    ('cron(0 0 30 2 ? *)', 'never fires'),
    ('at(2024-01-01T00:00:00)', 'use rate(...) or cron(...)'),
    ('cron(%s)' % ' '.join(['0'] * 300), 'EventBridge allows 256'),
    (7, 'must be a Rate, a Cron or a string'),
])
def test_invalid_schedule_expressions(expression, problem):
    assert problem in schedule_expression_problem(expression)


# -- decorator arguments -----------------------------------------------------------------

def handler(event, context=None):
    return {}


def test_valid_decorator_arguments_pass():
    app = Chalice('valid')
    pool = CognitoUserPoolAuthorizer(
        'pool', ['arn:aws:cognito-idp:us-west-2:123456789012:userpool/us-west-2_aBc123'],
        scopes=['orders/read'])
    custom = CustomAuthorizer(
        'custom', 'arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/'
                  'arn:aws:lambda:us-west-2:123456789012:function:auth/invocations',
        ttl_seconds=0, invoke_role_arn=ROLE, header='X-Token')
    app.route('/a', authorizer=pool, cors=CORSConfig(
        allow_origin='https://example.com', allow_headers=['X-Special'], max_age=600,
        expose_headers=['X-Expose'], allow_credentials=True))(handler)
    app.route('/b', methods=['PUT'], authorizer=custom, api_key_required=True,
              content_types=['application/json', 'application/x-www-form-urlencoded'],
              name='b')(handler)
    app.route('/c', content_types=['*/*'], name='c')(handler)
    app.api.binary_types.append('application/vnd.ms-excel')
    app.authorizer(ttl_seconds=3600, execution_role=ROLE, header='Authorization')(handler)
    app.lambda_function(name='pure-fn_1')(handler)
    app.schedule(Rate(5, Rate.MINUTES), name='s1', description='every five')(handler)
    app.schedule(Cron('0/5', '8-17', '?', '*', 'MON-FRI', '*'), name='s2')(handler)
    app.schedule('cron(0 12 * * ? *)', name='s3')(handler)
    app.on_cw_event({'source': ['aws.ec2'], 'detail-type': ['EC2 Instance State-change'],
                     'detail': {'state': ['running', {'anything-but': 'x'}],
                                'size': [{'numeric': ['>', 0]}]}}, name='cw')(handler)
    app.on_s3_event('my.bucket-1', events=['s3:ObjectCreated:Put', 's3:ObjectRemoved:*'],
                    prefix='images/', suffix='.jpg', name='s3a')(handler)
    app.on_s3_event('Legacy_Bucket', name='s3b')(handler)
    app.on_sns_message('my-topic_1', name='sns1')(handler)
    app.on_sns_message('arn:aws:sns:us-west-2:123456789012:my-topic', name='sns2')(handler)
    app.on_sqs_message(queue='jobs', batch_size=10, name='q1')(handler)
    app.on_sqs_message(queue='jobs', batch_size=10000, maximum_batching_window_in_seconds=300,
                       maximum_concurrency=1000, name='q2')(handler)
    app.on_sqs_message(queue='jobs.fifo', batch_size=10, maximum_concurrency=2,
                       name='q3')(handler)
    app.on_sqs_message(queue_arn='arn:aws:sqs:us-west-2:123456789012:jobs.fifo',
                       name='q4')(handler)
    app.on_kinesis_record('clicks.v2', batch_size=1, starting_position='TRIM_HORIZON',
                          maximum_batching_window_in_seconds=60, name='k')(handler)
    app.on_dynamodb_record(STREAM, batch_size=10000, name='d')(handler)
    app.on_ws_connect()(handler)
    assert app_problems(app) == []


def test_every_argument_problem_is_reported_not_only_the_first():
    app = Chalice('bad')
    app.on_sqs_message(queue='bad queue', batch_size=0, maximum_batching_window_in_seconds=900,
                       maximum_concurrency=5000, name='q')(handler)
    assert app_problems(app) == [
        "on_sqs_message queue must be an SQS queue name (1-80 letters, digits, '_' and '-', "
        "FIFO queues ending in .fifo), got 'bad queue'",
        'on_sqs_message batch_size must be an integer from 1 to 10000, got 0',
        'on_sqs_message maximum_batching_window_in_seconds must be an integer from 0 to 300, '
        'got 900',
        'on_sqs_message maximum_concurrency must be an integer from 2 to 1000, got 5000',
    ]


def test_topic_arns_of_other_regions_partitions_and_accounts_pass():
    app = Chalice('ok')
    for index, arn in enumerate(('arn:aws:sns:us-east-1:123456789012:alerts',
                                 'arn:aws:sns:eu-central-1:999999999999:their-topic',
                                 'arn:aws-cn:sns:cn-north-1:123456789012:t',
                                 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:t')):
        app.on_sns_message(arn, name='sns%d' % index)(handler)
    assert app_problems(app) == []


@pytest.mark.parametrize('topic', [
    'arn:aws:sns::123456789012:no-region',
    'arn:aws:sns:us-east-1:1234:short-account',
    'arn:aws:sqs:us-east-1:123456789012:a-queue',
    'arn:aws:sns:us-east-1:123456789012:',
])
def test_malformed_topic_arns_get_one_line(topic):
    app = Chalice('bad')
    app.on_sns_message(topic, name='sns')(handler)
    assert app_problems(app) == [
        "on_sns_message topic must be an SNS topic name (1-256 letters, digits, '_' and '-') "
        "or a topic ARN, got %r" % topic]


def test_queue_names_longer_than_sqs_allows():
    app = Chalice('bad')
    app.on_sqs_message(queue='q' * 81, name='q')(handler)
    assert len(app_problems(app)) == 1


def test_blueprint_handlers_are_located_in_their_own_file(tmp_path):
    from chalice import Blueprint
    from chalice.appcheck import find_problems, problem_line

    source = tmp_path / 'chalicelib' / 'blue.py'
    source.parent.mkdir()
    source.write_text("from chalice import Blueprint\n\nbp = Blueprint(__name__)\n\n\n"
                      "@bp.on_sns_message('')\ndef notify(event):\n    pass\n")
    namespace = {'__name__': 'chalicelib.blue'}
    exec(compile(source.read_text(), str(source), 'exec'), namespace)
    app = Chalice('app')
    app.register_blueprint(namespace['bp'])
    assert isinstance(namespace['bp'], Blueprint)
    lines = [problem_line(error, str(tmp_path)) for error in find_problems(app)]
    assert lines == ["Invalid chalicelib/blue.py:6 (handler notify): on_sns_message topic must "
                     "be an SNS topic name (1-256 letters, digits, '_' and '-') or a topic "
                     "ARN, got ''"]


# -- the resolved settings ---------------------------------------------------------------

def project_config(app, disk, stage='dev', project_dir='/nonexistent', **params):
    params.update(chalice_app=app, project_dir=project_dir, app_name=disk.get('app_name'))
    return Config(stage, user_provided_params=params, config_from_disk=disk)


def test_a_function_override_can_complete_the_vpc_settings():
    app = Chalice('vpc')
    app.lambda_function(name='inside')(handler)
    disk = {'app_name': 'vpc', 'subnet_ids': ['subnet-1'], 'security_group_ids': ['sg-1'],
            'lambda_functions': {'inside': {'security_group_ids': ['sg-2']}}}
    problems = Problems()
    assert check_project(project_config(app, disk), problems) == []
    assert problems.lines == []


def test_policy_files_are_checked_only_for_commands_that_build_resources(tmp_path):
    app = Chalice('p')
    app.route('/')(handler)
    disk = {'app_name': 'p', 'autogen_policy': False, 'api_gateway_policy_file': 'x.json'}
    config = project_config(app, disk, project_dir=str(tmp_path))
    local = Problems()
    check_project(config, local, resources=False)
    assert local.lines == []
    build = Problems()
    check_project(config, build, resources=True)
    assert len(build.lines) == 2
    assert 'policy-dev.json does not exist' in build.lines[0]
    assert build.lines[1].startswith('Cannot read the api_gateway_policy_file')


def test_a_cli_value_is_named_by_its_option():
    app = Chalice('o')
    app.lambda_function(name='f')(handler)
    problems = Problems()
    check_project(project_config(app, {'app_name': 'o'}, manage_iam_role=False), problems)
    assert problems.lines == [
        'Invalid --manage-iam-role: is false but no iam_role_arn is set: add "iam_role_arn" '
        '(the role the functions run as) or set manage_iam_role to true']
