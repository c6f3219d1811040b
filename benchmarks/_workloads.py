"""Benchmark workloads, run in a child process by the benchmark drivers.

This file uses only the standard library and chalice's *public* API
(``Chalice``, its decorators, ``chalice.test.Client``), so the drivers can run
the very same workload under another installation of chalice (for example
AWS Chalice 1.34 in a throwaway venv, given with ``--compare-venv``) and
compare, without knowing anything of how that installation works.

Usage (the drivers build these command lines)::

    python _workloads.py cold PROJECT_DIR [UNTIL] # one cold start, phases in ms
    python _workloads.py warm NAME NUMBER REPEAT # us per call, one value per repeat
    python _workloads.py app ROUTES              # print an app.py with ROUTES routes

Every command prints one JSON object on stdout.
"""
import json
import sys
import time

# ---------------------------------------------------------------- events


def rest_event(path, resource, params, method='GET', body=None, query=None):
    """An API Gateway REST proxy event, in the shape API Gateway sends it."""
    headers = {'Accept': '*/*', 'Host': 'abc123.execute-api.us-west-2.amazonaws.com',
               'User-Agent': 'bench/1.0', 'X-Forwarded-For': '1.2.3.4'}
    if body is not None:
        headers['Content-Type'] = 'application/json'
    return {
        'resource': resource,
        'path': path,
        'httpMethod': method,
        'headers': headers,
        'multiValueHeaders': {name: [value] for name, value in headers.items()},
        'queryStringParameters': query,
        'multiValueQueryStringParameters': (
            {name: [value] for name, value in query.items()} if query else None),
        'pathParameters': params,
        'stageVariables': None,
        'requestContext': {
            'resourceId': 'abc123', 'resourcePath': resource, 'httpMethod': method,
            'extendedRequestId': 'Xyz=', 'requestTime': '01/Jan/2026:00:00:00 +0000',
            'path': '/api' + path, 'accountId': '123456789012', 'protocol': 'HTTP/1.1',
            'stage': 'api', 'domainPrefix': 'abc123', 'requestTimeEpoch': 1767225600000,
            'requestId': 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
            'identity': {'sourceIp': '1.2.3.4', 'userAgent': 'bench/1.0'},
            'domainName': 'abc123.execute-api.us-west-2.amazonaws.com', 'apiId': 'abc123',
        },
        'body': body,
        'isBase64Encoded': False,
    }


def last_route_event(routes):
    index = routes - 1
    return rest_event('/r%d/items/42' % index, '/r%d/items/{item_id}' % index,
                      {'item_id': '42'})


def sqs_event(count):
    return {'Records': [{
        'messageId': '059f36b4-87a3-44ab-83d2-661975830a7d-%d' % i,
        'receiptHandle': 'AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...%d' % i,
        'body': '{"n": %d}' % i,
        'attributes': {'ApproximateReceiveCount': '1', 'SentTimestamp': '1545082649183',
                       'SenderId': 'AIDAIENQZJOLO23YVJ4VO',
                       'ApproximateFirstReceiveTimestamp': '1545082649185'},
        'messageAttributes': {},
        'md5OfBody': '098f6bcd4621d373cade4e832627b4f6',
        'eventSource': 'aws:sqs',
        'eventSourceARN': 'arn:aws:sqs:us-west-2:123456789012:my-queue',
        'awsRegion': 'us-west-2',
    } for i in range(count)]}


def sns_event():
    return {'Records': [{
        'EventSource': 'aws:sns', 'EventVersion': '1.0',
        'EventSubscriptionArn': 'arn:aws:sns:us-west-2:123456789012:topic:1234',
        'Sns': {'Type': 'Notification', 'MessageId': '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
                'TopicArn': 'arn:aws:sns:us-west-2:123456789012:topic',
                'Subject': 'subject', 'Message': 'hello',
                'Timestamp': '2026-01-01T00:00:00.000Z', 'SignatureVersion': '1',
                'Signature': 'EXAMPLE', 'SigningCertUrl': 'https://example.com/cert.pem',
                'UnsubscribeUrl': 'https://example.com/unsub', 'MessageAttributes': {}},
    }]}


def s3_event():
    return {'Records': [{
        'eventVersion': '2.1', 'eventSource': 'aws:s3', 'awsRegion': 'us-west-2',
        'eventTime': '2026-01-01T00:00:00.000Z', 'eventName': 'ObjectCreated:Put',
        's3': {'s3SchemaVersion': '1.0', 'configurationId': 'c',
               'bucket': {'name': 'mybucket', 'arn': 'arn:aws:s3:::mybucket'},
               'object': {'key': 'some/key%20with+spaces.txt', 'size': 10}},
    }]}


def cloudwatch_event():
    return {'version': '0', 'id': '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
            'detail-type': 'Scheduled Event', 'source': 'aws.events',
            'account': '123456789012', 'time': '2026-01-01T00:00:00Z',
            'region': 'us-west-2', 'resources': ['arn:aws:events:us-west-2:1:rule/r'],
            'detail': {}}


def kinesis_event(count):
    return {'Records': [{
        'kinesis': {'kinesisSchemaVersion': '1.0', 'partitionKey': str(i),
                    'sequenceNumber': '%056d' % i, 'data': 'aGVsbG8gd29ybGQ=',
                    'approximateArrivalTimestamp': 1767225600.5},
        'eventSource': 'aws:kinesis', 'eventVersion': '1.0',
        'eventID': 'shardId-000000000000:%056d' % i, 'eventName': 'aws:kinesis:record',
        'awsRegion': 'us-west-2',
        'eventSourceARN': 'arn:aws:kinesis:us-west-2:123456789012:stream/s',
    } for i in range(count)]}


def dynamodb_event(count):
    return {'Records': [{
        'eventID': 'c4ca4238a0b923820dcc509a6f75849b', 'eventName': 'INSERT',
        'eventVersion': '1.1', 'eventSource': 'aws:dynamodb', 'awsRegion': 'us-west-2',
        'dynamodb': {'ApproximateCreationDateTime': 1767225600,
                     'Keys': {'id': {'S': str(i)}}, 'NewImage': {'id': {'S': str(i)}},
                     'SequenceNumber': str(100 + i), 'SizeBytes': 26,
                     'StreamViewType': 'NEW_AND_OLD_IMAGES'},
        'eventSourceARN': 'arn:aws:dynamodb:us-west-2:123456789012:table/t/stream/2026',
    } for i in range(count)]}


class Context:
    """Enough of a Lambda context for a handler that looks at it."""

    function_name = 'bench-dev'
    function_version = '$LATEST'
    invoked_function_arn = 'arn:aws:lambda:us-west-2:123456789012:function:bench-dev'
    memory_limit_in_mb = '128'
    aws_request_id = '6bc28136-xmpl-4365-b021-0ce6b2e64ab0'
    log_group_name = '/aws/lambda/bench-dev'
    log_stream_name = '2026/01/01/[$LATEST]abcdef'

    def get_remaining_time_in_millis(self):
        return 30000


# ---------------------------------------------------------------- apps


def app_source(routes):
    """An app.py with ``routes`` GET routes written the way users write them."""
    lines = ['from chalice import Chalice', '', "app = Chalice(app_name='coldbench')", '']
    for i in range(routes):
        lines += ['', "@app.route('/r%d/items/{item_id}')" % i,
                  'def view_%d(item_id):' % i,
                  "    return {'route': %d, 'id': item_id}" % i, '']
    return '\n'.join(lines) + '\n'


def routes_app(routes, methods=('GET',)):
    from chalice import Chalice

    app = Chalice(app_name='bench')
    for i in range(routes):
        def view(item_id, _i=i):
            return {'route': _i, 'id': item_id}
        view.__name__ = 'view_%d' % i
        app.route('/r%d/items/{item_id}' % i, methods=list(methods))(view)
    return app


def rest_app(routes):
    """``routes`` POST routes; the last, ``/target/items/{item_id}``, reads the
    query string and the JSON body (see ``rest_target_event``)."""
    from chalice import Chalice

    app = Chalice(app_name='bench')
    for i in range(routes - 1):
        def view(item_id, _i=i):
            return {'i': _i, 'id': item_id}
        view.__name__ = 'view_%d' % i
        app.route('/r%d/items/{item_id}' % i, methods=['POST'])(view)

    @app.route('/target/items/{item_id}', methods=['POST'])
    def target(item_id):
        request = app.current_request
        body = request.json_body
        return {'id': item_id, 'q': request.query_params['q'], 'n': body['n'] + 1}
    return app


def rest_target_event():
    return rest_event('/target/items/42', '/target/items/{item_id}', {'item_id': '42'},
                      method='POST', body='{"n": 1, "payload": "some text"}', query={'q': 'x'})


def build_warm(name):
    """Return (callable, args) for one warm workload."""
    from chalice import Chalice

    if name.startswith('rest'):
        app = rest_app(int(name[4:]))
        return app, (rest_target_event(), Context())
    if name.startswith('client'):
        from chalice.test import Client

        routes = int(name[6:])
        app = routes_app(routes)
        client = Client(app)
        path = '/r%d/items/42' % (routes - 1)
        return client.http.get, (path,)
    app = Chalice(app_name='bench')
    context = Context()
    if name == 'lambda':
        @app.lambda_function()
        def pure(event, context):
            return {'ok': event['n']}
        return pure, ({'n': 1}, context)

    sink = []

    # What a handler does with a batch: read the payload of each record.
    def sqs_bodies(event):
        for record in event:
            sink.append(record.body)
        del sink[:]

    def kinesis_data(event):
        for record in event:
            sink.append(record.data)
        del sink[:]

    def dynamodb_images(event):
        for record in event:
            sink.append(record.new_image)
        del sink[:]

    if name.startswith('sqs'):
        handler = app.on_sqs_message(queue='my-queue')(sqs_bodies)
        return handler, (sqs_event(int(name[3:])), context)
    if name.startswith('kinesis'):
        handler = app.on_kinesis_record(stream='s')(kinesis_data)
        return handler, (kinesis_event(int(name[7:])), context)
    if name.startswith('ddb'):
        handler = app.on_dynamodb_record(
            stream_arn='arn:aws:dynamodb:us-west-2:123456789012:table/t/stream/2026'
        )(dynamodb_images)
        return handler, (dynamodb_event(int(name[3:])), context)
    if name == 'sns':
        def on_sns(event):
            sink.append(event.message)
            del sink[:]
        return app.on_sns_message(topic='topic')(on_sns), (sns_event(), context)
    if name == 's3':
        def on_s3(event):
            sink.append(event.key)
            del sink[:]
        return app.on_s3_event(bucket='mybucket')(on_s3), (s3_event(), context)
    if name == 'schedule':
        def on_schedule(event):
            sink.append(event.time)
            del sink[:]
        return app.schedule('rate(1 hour)')(on_schedule), (cloudwatch_event(), context)
    raise SystemExit('unknown workload %r' % name)


def run_warm(name, number, repeat):
    import gc

    func, args = build_warm(name)
    for _ in range(max(10, number // 20)):
        func(*args)
    # Everything built so far lives on: keep the collector from rescanning it
    # (a full collection now and then would make instruction counts jumpy).
    gc.collect()
    gc.freeze()
    clock = time.perf_counter
    results = []
    # Called as the Lambda runtime calls a handler: func(event, context).
    first, second = (args + (None,))[:2]
    for _ in range(repeat):
        if len(args) == 2:
            start = clock()
            for _ in range(number):
                func(first, second)
        else:
            start = clock()
            for _ in range(number):
                func(first)
        results.append((clock() - start) / number * 1e6)
    return {'name': name, 'us_per_call': results}


def run_cold(project_dir, until=None):
    """One cold start: import chalice, run app.py, first and second invoke.

    ``until`` (``start``, ``import``, ``build`` or ``first``) stops after that
    phase: counting the instructions of runs stopped at each phase gives
    each phase's cost (``bench_coldstart.py --instructions``).
    """
    sys.path.insert(0, project_dir)
    with open(project_dir + '/bench_event.json') as stream:
        event = json.load(stream)
    context = Context()
    # The Lambda Python runtime has set up logging (a handler on the root
    # logger) before it imports the handler's module, so these are loaded.
    import logging  # noqa: F401
    import traceback  # noqa: F401
    if until == 'start':
        return {}
    clock = time.perf_counter
    cpu = time.process_time
    c0, t0 = cpu(), clock()
    from chalice import Chalice  # noqa: F401 - the import is what is timed
    c1, t1 = cpu(), clock()
    if until == 'import':
        return {}
    import app as app_module
    c2, t2 = cpu(), clock()
    if until == 'build':
        return {}
    first = app_module.app(event, context)
    c3, t3 = cpu(), clock()
    if until == 'first':
        return {}
    app_module.app(event, context)
    t4 = clock()
    if first.get('statusCode') != 200:
        raise SystemExit('unexpected response %r' % (first,))
    import chalice
    return {'import_ms': (t1 - t0) * 1e3, 'build_ms': (t2 - t1) * 1e3,
            'first_invoke_ms': (t3 - t2) * 1e3, 'second_invoke_ms': (t4 - t3) * 1e3,
            'total_ms': (t3 - t0) * 1e3, 'total_cpu_ms': (c3 - c0) * 1e3,
            'import_cpu_ms': (c1 - c0) * 1e3, 'build_cpu_ms': (c2 - c1) * 1e3,
            'first_invoke_cpu_ms': (c3 - c2) * 1e3, 'chalice_file': chalice.__file__}


def main(argv):
    command = argv[0]
    if command == 'cold':
        result = run_cold(argv[1], argv[2] if len(argv) > 2 else None)
    elif command == 'warm':
        result = run_warm(argv[1], int(argv[2]), int(argv[3]))
    elif command == 'app':
        sys.stdout.write(app_source(int(argv[1])))
        return 0
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
