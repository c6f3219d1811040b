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
* apps with 10 and with 1,000 routes, requesting the last route on one
  connection, measured alternately round by round: requests/s and the
  median per-round ratio of 1,000 routes to 10 (target: within 15%), plus
  this process's CPU time per request for each, which background load on a
  shared machine disturbs much less than wall-clock rates.

Usage::

    python benchmarks/bench_local.py [--duration SECONDS] [--repeat N] [--quick]
                                     [--same-process] [--json]
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

def _client(address, path, duration, latencies, counts, errors):
    """One keep-alive connection sending requests back to back until the deadline."""
    sock = socket.create_connection(address)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reader = sock.makefile('rb', buffering=65536)
    request = ('GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' % path).encode('ascii')
    clock = time.perf_counter
    deadline = clock() + duration
    done = 0
    mine = []
    try:
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            start = clock()
            if start >= deadline:
                break
            sock.sendall(request)
            status_line = reader.readline()
            length = 0
            for _ in range(100):
                line = reader.readline()
                if line == b'\r\n' or not line:
                    break
                if line[:15].lower() == b'content-length:':
                    length = int(line[15:])
            reader.read(length)
            mine.append(clock() - start)
            if not status_line.startswith(b'HTTP/1.1 200'):
                errors.append(status_line)
                break
            done += 1
    finally:
        reader.close()
        sock.close()
    latencies.extend(mine)
    counts.append(done)


def run_load(address, path, connections, duration):
    """Run ``connections`` client threads; returns (requests/s, latencies in s)."""
    latencies, counts, errors = [], [], []
    threads = [threading.Thread(target=_client,
                                args=(address, path, duration, latencies, counts, errors))
               for _ in range(connections)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 30)
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError('unexpected response: %r' % errors[0])
    return sum(counts) / elapsed, latencies


def _load_in_child(queue, address, path, connections, duration):
    rate, latencies = run_load(address, path, connections, duration)
    queue.put((rate, latencies))


def load(address, path, connections, duration, same_process):
    if same_process:
        return run_load(address, path, connections, duration)
    context = multiprocessing.get_context('spawn')
    queue = context.Queue()
    process = context.Process(target=_load_in_child,
                              args=(queue, address, path, connections, duration))
    process.start()
    try:
        result = queue.get(timeout=duration + 60)
    finally:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
    return result


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
    args = parser.parse_args(argv)
    duration = 1.0 if args.quick else max(0.2, min(args.duration, 30.0))
    repeat = 1 if args.quick else max(1, min(args.repeat, 10))

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
    results['hello_1conn_rps'] = statistics.median(single)
    results['hello_16conn_p50_ms'] = statistics.median(p50s)
    results['hello_16conn_p99_ms'] = statistics.median(p99s)
    results['hello_16conn_rps'] = statistics.median(totals)

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
