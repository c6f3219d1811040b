"""Partial batch responses deployed: ``report_batch_item_failures`` against moto.

The mappings of the three kinds of polled source get
``FunctionResponseTypes=['ReportBatchItemFailures']`` when their handler asks
for partial batch responses, a redeploy changes nothing, and turning the
option off updates the mapping in place.  The handler's side of the
contract (what it returns) is checked locally in
tests/functional/test_local_events.py.
"""
from tests.integration.conftest import make_project
from tests.integration.deploy_checks import mutating_operations, run_ok
from tests.integration.test_deploy_mappings import (
    APP_NAME,
    create_sources,
    mappings_of,
    operations,
    read_records,
)

APP_TEMPLATE = '''\
import os

from chalice import Chalice

app = Chalice(app_name='mappings')
STREAM_ARN = os.environ['MAPPINGS_STREAM_ARN']


@app.on_sqs_message(queue='q', batch_size=5, report_batch_item_failures={sqs})
def on_queue(event):
    return [record for record in event if record.body == 'bad']


@app.on_kinesis_record(stream='s', report_batch_item_failures=True)
def on_stream(event):
    return []


@app.on_dynamodb_record(stream_arn=STREAM_ARN, report_batch_item_failures=True)
def on_table(event):
    return None
'''
FUNCTIONS = ('mappings-dev-on_queue', 'mappings-dev-on_stream', 'mappings-dev-on_table')


def response_types(aws_clients, function_name):
    [mapping] = mappings_of(aws_clients, function_name)
    # Read back by UUID as well: GetEventSourceMapping is what a user would call.
    described = aws_clients['lambda'].get_event_source_mapping(UUID=mapping['UUID'])
    assert described.get('FunctionResponseTypes') == mapping.get('FunctionResponseTypes')
    return list(described.get('FunctionResponseTypes') or [])


def test_mappings_report_batch_item_failures(tmp_path, aws_env, aws_clients, fault_injector):
    create_sources(aws_clients, aws_env)
    project = make_project(tmp_path, APP_TEMPLATE.format(sqs=True), app_name=APP_NAME)
    result = run_ok(project, 'deploy', aws_env)
    assert 'Traceback' not in result.stderr
    for name in FUNCTIONS:
        assert response_types(aws_clients, name) == ['ReportBatchItemFailures'], name
    records = read_records(project)
    uuids = {r['name']: r['event_uuid'] for r in records if 'event_uuid' in r}
    assert len(uuids) == 3

    # A redeploy of the same app writes nothing.
    fault_injector.arm()
    run_ok(project, 'deploy', aws_env)
    assert fault_injector.mutating_calls == [], mutating_operations(fault_injector)

    # Turning the option off updates the SQS mapping in place, and only it.
    (project / 'app.py').write_text(APP_TEMPLATE.format(sqs=False))
    fault_injector.arm()
    result = run_ok(project, 'deploy', aws_env)
    assert operations(fault_injector).count('UpdateEventSourceMapping') == 1
    assert 'Updating subscription of mappings-dev-on_queue to SQS queue q' in \
        result.stdout.splitlines()
    assert response_types(aws_clients, 'mappings-dev-on_queue') == []
    assert response_types(aws_clients, 'mappings-dev-on_stream') == ['ReportBatchItemFailures']
    [mapping] = mappings_of(aws_clients, 'mappings-dev-on_queue')
    assert mapping['UUID'] == uuids['on_queue-sqs-event-source']

    # And on again.
    (project / 'app.py').write_text(APP_TEMPLATE.format(sqs=True))
    run_ok(project, 'deploy', aws_env)
    assert response_types(aws_clients, 'mappings-dev-on_queue') == ['ReportBatchItemFailures']
