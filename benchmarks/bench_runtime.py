"""Runtime speed: warm dispatch, the test client, and import cost.

Run: ``python benchmarks/bench_runtime.py`` (add ``--quick`` for fewer rounds).
Every figure is the median of several rounds, each timing many calls.

1. Warm ``app(event, context)`` for a REST POST with a path parameter, a
   query string and a JSON body, against a *floor*: a bare function doing the
   same dict lookup, ``json.loads`` of the body, view call and ``json.dumps``
   of the result.  Measured with 10 and with 1,000 routes.  Target: <= 2x.
   The same request as an HTTP API payload format 2.0 event (``v2`` row),
   against the REST event on the same app.  Target: within 10%.
2. ``chalice.test.Client`` ``http.get`` on the last of 1,000 routes versus the
   first of 10 routes.  Target: within 20%.
3. ``import chalice.app`` in a fresh interpreter: wall time (median of runs),
   cumulative time from ``-X importtime``, and the modules it pulls in.
"""
import json
import os
import statistics
import subprocess
import sys
import timeit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from chalice import Chalice  # noqa: E402
from chalice.test import Client  # noqa: E402

QUICK = '--quick' in sys.argv
ROUNDS = 5 if QUICK else 9
NUMBER = 5000 if QUICK else 20000


def make_app(route_count):
    app = Chalice(app_name='bench')
    for i in range(route_count - 1):
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


def make_event():
    return {
        'resource': '/target/items/{item_id}',
        'path': '/target/items/42',
        'httpMethod': 'POST',
        'headers': {'Content-Type': 'application/json', 'Accept': '*/*',
                    'Host': 'abc.execute-api.us-west-2.amazonaws.com'},
        'multiValueHeaders': {'Content-Type': ['application/json'], 'Accept': ['*/*'],
                              'Host': ['abc.execute-api.us-west-2.amazonaws.com']},
        'queryStringParameters': {'q': 'x'},
        'multiValueQueryStringParameters': {'q': ['x']},
        'pathParameters': {'item_id': '42'},
        'stageVariables': None,
        'requestContext': {'resourcePath': '/target/items/{item_id}', 'httpMethod': 'POST',
                           'stage': 'api', 'requestId': 'r-1', 'path': '/api/target/items/42',
                           'identity': {'sourceIp': '1.2.3.4'}},
        'body': '{"n": 1, "payload": "some text to parse"}',
        'isBase64Encoded': False,
    }


def make_v2_event():
    """The request of make_event() as an HTTP API sends it (payload format 2.0)."""
    return {
        'version': '2.0',
        'routeKey': 'POST /target/items/{item_id}',
        'rawPath': '/target/items/42',
        'rawQueryString': 'q=x',
        'headers': {'content-type': 'application/json', 'accept': '*/*',
                    'host': 'abc.execute-api.us-west-2.amazonaws.com'},
        'queryStringParameters': {'q': 'x'},
        'pathParameters': {'item_id': '42'},
        'requestContext': {'http': {'method': 'POST', 'path': '/target/items/42',
                                    'protocol': 'HTTP/1.1', 'sourceIp': '1.2.3.4'},
                           'routeKey': 'POST /target/items/{item_id}', 'stage': '$default',
                           'requestId': 'r-1'},
        'body': '{"n": 1, "payload": "some text to parse"}',
        'isBase64Encoded': False,
    }


def make_floor(route_count):
    """The least any handler must do: find the view, parse, call, serialise."""
    def target(item_id, query, body):
        return {'id': item_id, 'q': query['q'], 'n': body['n'] + 1}
    table = {'/r%d/items/{item_id}' % i: {'POST': target} for i in range(route_count - 1)}
    table['/target/items/{item_id}'] = {'POST': target}

    def floor(event, context):
        view = table[event['requestContext']['resourcePath']][event['httpMethod']]
        body = json.loads(event['body'])
        result = view(event['pathParameters']['item_id'],
                      event['queryStringParameters'], body)
        return {'statusCode': 200, 'headers': {'Content-Type': 'application/json'},
                'body': json.dumps(result)}
    return floor


def per_call_us(func, *args):
    timer = timeit.Timer(lambda: func(*args))
    rounds = timer.repeat(repeat=ROUNDS, number=NUMBER)
    return statistics.median(rounds) / NUMBER * 1e6


def interleaved_us(app, first_event, second_event):
    """Median us/call of two events, timed in alternating rounds (a busy machine
    slows both alike)."""
    first, second = [], []
    for _ in range(ROUNDS * 2):
        first.append(timeit.timeit(lambda: app(first_event, None), number=NUMBER // 2))
        second.append(timeit.timeit(lambda: app(second_event, None), number=NUMBER // 2))
    scale = 1e6 / (NUMBER // 2)
    return statistics.median(first) * scale, statistics.median(second) * scale


def bench_dispatch():
    print('1. warm app(event, context): REST POST, path param, query, JSON body')
    event = make_event()
    for count in (10, 1000):
        app = make_app(count)
        floor = make_floor(count)
        assert json.loads(app(event, None)['body']) == json.loads(floor(event, None)['body'])
        app_us = per_call_us(app, event, None)
        floor_us = per_call_us(floor, event, None)
        print('   %5d routes: app %.2f us/call, floor %.2f us/call, ratio %.2fx (target <= 2x)'
              % (count, app_us, floor_us, app_us / floor_us))
        v2_event = make_v2_event()
        assert json.loads(app(v2_event, None)['body']) == json.loads(floor(event, None)['body'])
        rest_us, v2_us = interleaved_us(app, event, v2_event)
        print('   %5d routes: v2 (HTTP API) %.2f us/call vs REST %.2f us/call in the same '
              'rounds, %.2fx (target <= 1.10)' % (count, v2_us, rest_us, v2_us / rest_us))


def bench_test_client():
    print('2. chalice.test.Client http.get: last of 1,000 routes vs first of 10')
    results = {}
    for count, path in ((10, '/r0/items/7'), (1000, '/target/items/7')):
        app = Chalice(app_name='bench')
        for i in range(count - 1):
            def view(item_id, _i=i):
                return {'i': _i}
            view.__name__ = 'view_%d' % i
            app.route('/r%d/items/{item_id}' % i)(view)

        @app.route('/target/items/{item_id}')
        def target(item_id):
            return {'id': item_id}
        client = Client(app, project_dir=os.devnull)
        assert client.http.get(path).status_code == 200
        number = max(NUMBER // 10, 500)
        rounds = timeit.Timer(lambda c=client, p=path: c.http.get(p)).repeat(ROUNDS, number)
        results[count] = statistics.median(rounds) / number * 1e6
    ratio = results[1000] / results[10]
    print('   10 routes (first): %.1f us/request; 1,000 routes (last): %.1f us/request; '
          'ratio %.2f (target <= 1.20)' % (results[10], results[1000], ratio))


def bench_import():
    print('3. import chalice.app in a fresh interpreter')
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
    env = dict(os.environ, PYTHONPATH=root)
    walls = []
    for _ in range(ROUNDS):
        code = ('import time; t = time.perf_counter(); import chalice.app; '
                'print((time.perf_counter() - t) * 1000)')
        out = subprocess.run([sys.executable, '-c', code], env=env, check=True,
                             capture_output=True, text=True).stdout
        walls.append(float(out))
    baseline = subprocess.run(
        [sys.executable, '-c', 'import sys; print(" ".join(sorted(sys.modules)))'],
        env=env, check=True, capture_output=True, text=True).stdout.split()
    after = subprocess.run(
        [sys.executable, '-c', 'import sys, chalice.app; print(" ".join(sorted(sys.modules)))'],
        env=env, check=True, capture_output=True, text=True).stdout.split()
    added = sorted(set(after) - set(baseline))
    ours = [m for m in added if m == 'chalice' or m.startswith('chalice.')]
    stdlib = [m for m in added if m not in ours]
    report = subprocess.run([sys.executable, '-X', 'importtime', '-c', 'import chalice.app'],
                            env=env, check=True, capture_output=True, text=True).stderr
    cumulative = 0
    for line in report.splitlines():
        parts = line.split('|')
        # Top-level entries only (one space of indent): the lazy package
        # ``chalice`` and then ``chalice.app`` are imported side by side.
        if len(parts) == 3 and parts[2].rstrip() in (' chalice', ' chalice.app'):
            cumulative += int(parts[1])
    print('   wall: median %.1f ms; -X importtime cumulative for chalice: %.1f ms'
          % (statistics.median(walls), cumulative / 1000.0))
    print('   chalice modules: %s' % ', '.join(ours))
    print('   stdlib modules added beyond interpreter start-up (%d): %s'
          % (len(stdlib), ', '.join(m for m in stdlib if not m.startswith('_'))))
    third_party = [m for m in stdlib if m.split('.')[0] in ('boto3', 'botocore', 'click')]
    print('   third-party modules imported: %s' % (', '.join(third_party) or 'none'))


if __name__ == '__main__':
    bench_dispatch()
    bench_test_client()
    bench_import()
