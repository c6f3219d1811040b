"""How fast is ``chalice local``?

Starts :class:`chalice.local.LocalDevServer` in this process on 127.0.0.1
(request logging on, written to /dev/null) and drives it with a Python
keep-alive client over raw sockets.  The client runs in a separate process
by default (like wrk would), so client and server do not share a GIL; pass
``--same-process`` to run the client threads in this process instead.

Scenarios (each bounded in time, repeated, medians printed):

* one keep-alive connection to a hello-world route: requests/s
  (target >= 2,000);
* 16 concurrent keep-alive connections: p50 / p99 latency (target p99
  < 50 ms) and total requests/s;
* 16 clients each opening a new connection per request (``Connection:
  close``): requests/s and p50 / p99 latency;
* apps with 10 and with 1,000 routes, requesting the last route on one
  connection, measured alternately round by round: requests/s and the
  median per-round ratio of 1,000 routes to 10 (target: within 15%), plus
  this process's CPU time per request for each, which background load on a
  shared machine disturbs much less than wall-clock rates.

With ``--compare-venv PATH`` and/or ``--baseline PATH`` it instead starts
``chalice local --no-autoreload`` from each installation (ours included) in
a generated project, as a user would, and measures the one keep-alive
connection and the 16 connection-per-request clients against each server,
round by round in turn: once as fast as each server answers (requests/s,
and the latency at that saturation, which on a small machine mostly shows
the clients competing with the server for the CPU), and once paced to the
same 500 requests/s for every server (the latency a user sees at equal
load).  Targets against AWS Chalice 1.34 (issue 12): one keep-alive
connection >= 6,000 requests/s; connection per request >= 2x its
requests/s with a p50 latency no worse.

Usage::

    python benchmarks/bench_local.py [--duration SECONDS] [--repeat N] [--quick]
                                     [--same-process] [--json]
                                     [--compare-venv PATH] [--baseline PATH]
"""
import argparse
import json
import multiprocessing
import os
import socket
import statistics
import sys
import threading
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

MAX_REQUESTS_PER_CLIENT = 10_000_000
# What the paced connection-per-request scenario offers each side: well
# below what either serves on a small machine, so that it compares latency
# at the same load rather than at each one's saturation.
PACED_RATE = 500
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------- apps

def hello_app():
    from chalice import Chalice

    app = Chalice(app_name='bench-hello', configure_logs=False)

    @app.route('/')
    def index():
        return {'hello': 'world'}

    return app, '/'


def routes_app(count):
    """An app with ``count`` routes; returns it and a path for the last route."""
    from chalice import Chalice

    app = Chalice(app_name='bench-%d' % count, configure_logs=False)

    def make_view(index):
        def view(item_id):
            return {'route': index, 'item': item_id}
        view.__name__ = 'view_%d' % index
        return view

    for index in range(count):
        app.route('/api/resource%d/items/{item_id}' % index)(make_view(index))
    return app, '/api/resource%d/items/42' % (count - 1)


# ---------------------------------------------------------------- client

def _read_response(reader):
    """Read one response; returns (status line, whether the server closes)."""
    status_line = reader.readline()
    length = None
    closing = status_line.startswith(b'HTTP/1.0')
    for _ in range(100):
        line = reader.readline()
        if line == b'\r\n' or not line:
            break
        lower = line.lower()
        if lower.startswith(b'content-length:'):
            length = int(line[15:])
        elif lower.startswith(b'connection:'):
            value = lower[11:].strip()
            closing = value == b'close' or (closing and value != b'keep-alive')
    if length is None:
        reader.read()  # until the server closes
        closing = True
    else:
        reader.read(length)
    return status_line, closing


def _connect(address):
    sock = socket.create_connection(address)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock, sock.makefile('rb', buffering=65536)


def _client(address, path, duration, latencies, counts, errors):
    """One keep-alive connection sending requests back to back until the deadline
    (a server that closes the connection gets a new one)."""
    request = ('GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' % path).encode('ascii')
    clock = time.perf_counter
    deadline = clock() + duration
    done = 0
    mine = []
    sock, reader = _connect(address)
    try:
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            start = clock()
            if start >= deadline:
                break
            if sock is None:
                sock, reader = _connect(address)
            sock.sendall(request)
            status_line, closing = _read_response(reader)
            mine.append(clock() - start)
            if not status_line.startswith((b'HTTP/1.1 200', b'HTTP/1.0 200')):
                errors.append(status_line)
                break
            done += 1
            if closing:
                reader.close()
                sock.close()
                sock = None
    finally:
        if sock is not None:
            reader.close()
            sock.close()
    latencies.extend(mine)
    counts.append(done)


def _closing_client(address, path, duration, latencies, counts, errors, interval=None,
                    phase=0.0):
    """A new connection for every request (``Connection: close``).

    With ``interval`` (seconds) the client is paced: request ``i`` is sent at
    ``phase + i * interval`` after the start, or at once when it is late, and
    its latency counts from that scheduled time, so a server that falls
    behind is charged for the wait.
    """
    request = ('GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
               % path).encode('ascii')
    clock = time.perf_counter
    began = clock()
    deadline = began + duration
    done = 0
    mine = []
    for index in range(MAX_REQUESTS_PER_CLIENT):
        start = clock()
        if interval is not None:
            scheduled = began + phase + index * interval
            if scheduled > start:
                time.sleep(scheduled - start)
            start = scheduled
        if start >= deadline:
            break
        sock, reader = _connect(address)
        try:
            sock.sendall(request)
            status_line, _ = _read_response(reader)
        finally:
            reader.close()
            sock.close()
        mine.append(clock() - start)
        if not status_line.startswith((b'HTTP/1.1 200', b'HTTP/1.0 200')):
            errors.append(status_line)
            break
        done += 1
    latencies.extend(mine)
    counts.append(done)


def run_load(address, path, connections, duration, closing=False, rate=None, first=0,
             total=None):
    """Run ``connections`` client threads; returns (requests/s, latencies in s).

    ``rate`` (requests/s, connection per request only) paces the clients:
    ``total`` clients in all share it, this call running numbers ``first``
    to ``first + connections - 1``, each offset by its share of the interval.
    """
    latencies, counts, errors = [], [], []
    target = _closing_client if closing else _client
    args = [(address, path, duration, latencies, counts, errors)] * connections
    if rate is not None:
        total = total or connections
        interval = total / rate
        args = [arg + (interval, (first + i) * interval / total) for i, arg in enumerate(args)]
    threads = [threading.Thread(target=target, args=arg) for arg in args]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 30)
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError('unexpected response: %r' % errors[0])
    return sum(counts) / elapsed, latencies


def _load_in_child(queue, address, path, connections, duration, closing, rate, first,
                   total):
    rate, latencies = run_load(address, path, connections, duration, closing, rate, first,
                               total)
    queue.put((rate, latencies))


def load(address, path, connections, duration, same_process, closing=False, processes=1,
         rate=None):
    """Drive the server; the clients run in ``processes`` child processes
    (their threads share the connections out) unless ``same_process``.
    ``rate``: paced connection-per-request clients offering that many
    requests/s in all (see ``run_load``)."""
    if same_process:
        return run_load(address, path, connections, duration, closing, rate)
    context = multiprocessing.get_context('spawn')
    queue = context.Queue()
    shares = [connections // processes + (1 if i < connections % processes else 0)
              for i in range(processes)]
    firsts = [sum(shares[:i]) for i in range(len(shares))]
    children = [context.Process(target=_load_in_child,
                                args=(queue, address, path, share, duration, closing, rate,
                                      first, connections))
                for share, first in zip(shares, firsts) if share]
    for child in children:
        child.start()
    try:
        results = [queue.get(timeout=duration + 60) for _ in children]
    finally:
        for child in children:
            child.join(timeout=10)
            if child.is_alive():
                child.kill()
    return sum(r[0] for r in results), [x for r in results for x in r[1]]


# ---------------------------------------------------------------- scenarios

class Served:
    """An in-process server for ``app`` on a free loopback port."""

    def __init__(self, app):
        from chalice.local import LocalDevServer

        self._devnull = open(os.devnull, 'w')
        self.server = LocalDevServer(app, None, host='127.0.0.1', port=0,
                                     stream=self._devnull)
        self.thread = self.server.serve_in_thread()

    def __enter__(self):
        return self.server.server_address

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        self._devnull.close()


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * len(ordered))) - 1))
    return ordered[index]


# ---------------------------------------------------------------- `chalice local` side by side

HELLO_APP = """from chalice import Chalice

app = Chalice(app_name='localbench')


@app.route('/')
def index():
    return {'hello': 'world'}
"""


def _free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


class CliServer:
    """``chalice local --no-autoreload`` of one side, in a project of its own."""

    def __init__(self, side, work):
        import subprocess

        self.side = side
        project = os.path.join(work, side.label)
        os.makedirs(os.path.join(project, '.chalice'))
        with open(os.path.join(project, 'app.py'), 'w') as stream:
            stream.write(HELLO_APP)
        with open(os.path.join(project, '.chalice', 'config.json'), 'w') as stream:
            json.dump({'version': '2.0', 'app_name': 'localbench', 'stages': {'dev': {}}},
                      stream)
        self.port = _free_port()
        env = side.env()
        env.update(AWS_ACCESS_KEY_ID='benchmark', AWS_SECRET_ACCESS_KEY='benchmark',
                   AWS_EC2_METADATA_DISABLED='true')
        self.process = subprocess.Popen(
            side.chalice_command() + ['local', '--port', str(self.port), '--no-autoreload'],
            cwd=project, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.address = ('127.0.0.1', self.port)
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(self.address, timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError('%s: chalice local did not start'
                                       % side.label) from None
                time.sleep(0.1)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except Exception:
                self.process.kill()
                self.process.wait(timeout=10)


def compare_cli(sides, duration, repeat):
    """Both scenarios against each side's `chalice local`, rounds interleaved."""
    import tempfile

    import _compare

    names = ('keepalive_rps', 'close_rps', 'close_p50_ms', 'close_p99_ms',
             'paced_p50_ms', 'paced_p99_ms', 'paced_rps')
    values = {side.label: {name: [] for name in names} for side in sides}
    with tempfile.TemporaryDirectory() as work:
        servers = []
        try:
            for side in sides:
                servers.append(CliServer(side, work))
            for server in servers:  # warm up
                load(server.address, '/', 1, min(duration, 0.5), False)
            for _, server in _compare.interleaved(servers, repeat):
                row = values[server.side.label]
                rate, _ = load(server.address, '/', 1, duration, False)
                row['keepalive_rps'].append(rate)
                rate, latencies = load(server.address, '/', 16, duration, False,
                                       closing=True, processes=4)
                row['close_rps'].append(rate)
                row['close_p50_ms'].append(percentile(latencies, 0.50) * 1000)
                row['close_p99_ms'].append(percentile(latencies, 0.99) * 1000)
                # The same clients offering the same load to each side.
                rate, latencies = load(server.address, '/', 16, duration, False,
                                       closing=True, processes=4, rate=PACED_RATE)
                row['paced_rps'].append(rate)
                row['paced_p50_ms'].append(percentile(latencies, 0.50) * 1000)
                row['paced_p99_ms'].append(percentile(latencies, 0.99) * 1000)
        finally:
            for server in servers:
                server.stop()
    return {label: {name: statistics.median(v) for name, v in row.items()}
            for label, row in values.items()}


def report_cli(results):
    import _compare

    print('`chalice local --no-autoreload` of each side, hello world, medians')
    print('  1 keep-alive connection, req/s:  %s%s' % (
        ' | '.join('%s %.0f' % (label, row['keepalive_rps']) for label, row in results.items()),
        _compare.ratio_text({k: r['keepalive_rps'] for k, r in results.items()}, True)))
    print('  16 clients, connection per request, req/s: %s%s' % (
        ' | '.join('%s %.0f' % (label, row['close_rps']) for label, row in results.items()),
        _compare.ratio_text({k: r['close_rps'] for k, r in results.items()}, True)))
    print('  16 clients, connection per request, p50 / p99 ms: %s' % ' | '.join(
        '%s %.2f / %.2f' % (label, row['close_p50_ms'], row['close_p99_ms'])
        for label, row in results.items()))
    print('  16 clients, connection per request, paced to %d req/s in all, p50 / p99 ms: %s'
          % (PACED_RATE, ' | '.join('%s %.2f / %.2f (%.0f req/s)' % (
              label, row['paced_p50_ms'], row['paced_p99_ms'], row['paced_rps'])
              for label, row in results.items())))
    print('  (targets vs AWS Chalice 1.34: keep-alive >= 6,000 req/s; connection per '
          'request >= 2x its req/s, p50 no worse)')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--duration', type=float, default=2.0,
                        help='seconds per measurement (default 2)')
    parser.add_argument('--repeat', type=int, default=5,
                        help='measurements per scenario; medians are reported (default 5)')
    parser.add_argument('--quick', action='store_true',
                        help='1 s per measurement, 1 repeat')
    parser.add_argument('--same-process', action='store_true',
                        help='run the client threads in the server process')
    parser.add_argument('--json', action='store_true', help='print the results as JSON')
    import _compare

    _compare.add_compare_argument(parser)
    args = parser.parse_args(argv)
    duration = 1.0 if args.quick else max(0.2, min(args.duration, 30.0))
    repeat = 1 if args.quick else max(1, min(args.repeat, 10))
    if args.compare_venv or args.baseline:
        results = compare_cli(_compare.sides_from(args), duration, repeat)
        if args.json:
            print(json.dumps(results, indent=2, sort_keys=True))
        else:
            report_cli(results)
        return 0

    results = {}
    hello, hello_path = hello_app()
    with Served(hello) as address:
        load(address, hello_path, 1, min(duration, 0.5), args.same_process)  # warm up
        single = [load(address, hello_path, 1, duration, args.same_process)[0]
                  for _ in range(repeat)]
        p50s, p99s, totals = [], [], []
        for _ in range(repeat):
            rate, latencies = load(address, hello_path, 16, duration, args.same_process)
            p50s.append(percentile(latencies, 0.50) * 1000)
            p99s.append(percentile(latencies, 0.99) * 1000)
            totals.append(rate)
        close_p50s, close_p99s, close_totals = [], [], []
        for _ in range(repeat):
            rate, latencies = load(address, hello_path, 16, duration, args.same_process,
                                   closing=True, processes=1 if args.same_process else 4)
            close_p50s.append(percentile(latencies, 0.50) * 1000)
            close_p99s.append(percentile(latencies, 0.99) * 1000)
            close_totals.append(rate)
    results['hello_1conn_rps'] = statistics.median(single)
    results['hello_16conn_p50_ms'] = statistics.median(p50s)
    results['hello_16conn_p99_ms'] = statistics.median(p99s)
    results['hello_16conn_rps'] = statistics.median(totals)
    results['hello_16close_p50_ms'] = statistics.median(close_p50s)
    results['hello_16close_p99_ms'] = statistics.median(close_p99s)
    results['hello_16close_rps'] = statistics.median(close_totals)

    # 10 vs 1,000 routes: both servers up, measured alternately round by round
    # so that background load on the machine affects both the same way.
    small, small_path = routes_app(10)
    large, large_path = routes_app(1000)
    rates = {10: [], 1000: []}
    cpu = {10: [], 1000: []}
    ratios = []
    with Served(small) as small_address, Served(large) as large_address:
        targets = {10: (small_address, small_path), 1000: (large_address, large_path)}
        for count in (10, 1000):
            load(targets[count][0], targets[count][1], 1, min(duration, 0.5),
                 args.same_process)
        for round_index in range(repeat):
            order = (10, 1000) if round_index % 2 == 0 else (1000, 10)
            measured = {}
            for count in order:
                address, path = targets[count]
                cpu_start = time.process_time()
                rate, latencies = load(address, path, 1, duration, args.same_process)
                cpu[count].append((time.process_time() - cpu_start) / len(latencies) * 1e6)
                measured[count] = rate
                rates[count].append(rate)
            ratios.append(measured[1000] / measured[10])
    results['routes_10_1conn_rps'] = statistics.median(rates[10])
    results['routes_1000_1conn_rps'] = statistics.median(rates[1000])
    ratio = results['routes_1000_vs_10'] = statistics.median(ratios)
    results['routes_10_cpu_us_per_request'] = statistics.median(cpu[10])
    results['routes_1000_cpu_us_per_request'] = statistics.median(cpu[1000])

    if args.json:
        print(json.dumps(results, indent=2, sort_keys=True))
        return 0
    client = 'same process' if args.same_process else 'separate process'
    print('chalice local, keep-alive client in a %s, %.1f s x %d (medians)'
          % (client, duration, repeat))
    print('  hello world, 1 connection:   %8.0f req/s   (target >= 2000)'
          % results['hello_1conn_rps'])
    print('  hello world, 16 connections: p50 %.2f ms, p99 %.2f ms (target p99 < 50 ms), '
          '%.0f req/s' % (results['hello_16conn_p50_ms'], results['hello_16conn_p99_ms'],
                          results['hello_16conn_rps']))
    print('  hello world, 16 clients, a connection per request: p50 %.2f ms, p99 %.2f ms, '
          '%.0f req/s' % (results['hello_16close_p50_ms'], results['hello_16close_p99_ms'],
                          results['hello_16close_rps']))
    print('  10 routes, last route:       %8.0f req/s' % results['routes_10_1conn_rps'])
    print('  1,000 routes, last route:    %8.0f req/s   (median ratio %.1f%% of 10 routes; '
          'target >= 85%%)'
          % (results['routes_1000_1conn_rps'], ratio * 100))
    print('  server CPU per request:      %.0f us (10 routes), %.0f us (1,000 routes)%s'
          % (results['routes_10_cpu_us_per_request'],
             results['routes_1000_cpu_us_per_request'],
             '' if not args.same_process else ', client included'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
