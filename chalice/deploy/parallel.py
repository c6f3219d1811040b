"""Running independent pieces of a deploy at the same time, on worker threads.

:func:`run_tasks` runs callables on up to ``workers`` threads, each one once
the tasks it comes after (``predecessors``, by index) have finished; among
the tasks that may start, the lowest index starts first, so with one worker
they run in index order.  The remote reader uses it for its reads, the
executor for the groups of plan steps.

The threads are daemon threads and block SIGINT and SIGTERM, which are so
always handled by the main thread (see :mod:`chalice.deploy.interrupts`).
The main thread only schedules: it waits on a queue with a timeout, so a
signal handler runs promptly, and ``check`` (called between waits) may
raise to stop the run.

When a task raises an ``Exception``, no further task starts, the tasks
running then are waited for, and the first exception is raised.  When a
task raises something else (an :class:`~chalice.deploy.interrupts.Interrupted`)
or the main thread is interrupted, that is raised at once: the caller
decides what to wait for (the executor waits for the calls in flight that
change something).  ``stop`` (a :class:`threading.Event`) is set in every
case, for the tasks to notice before their next AWS call.
"""
import queue
import threading

from chalice.deploy.interrupts import block_signals

#: How many AWS calls a deploy makes at the same time (reads and plan steps).
DEFAULT_WORKERS = 8

_POLL_SECONDS = 0.2


def run_tasks(tasks, predecessors=None, workers=DEFAULT_WORKERS, stop=None, check=None):
    """Run ``tasks`` (callables without arguments); see the module docstring.

    ``predecessors[i]`` is the set of indexes task ``i`` comes after (each
    lower than ``i``).  Returns the tasks' return values, by index.
    """
    count = len(tasks)
    predecessors = predecessors or [set() for _ in range(count)]
    stop = stop if stop is not None else threading.Event()
    workers = max(1, int(workers))
    done = queue.Queue()
    results = [None] * count
    started, finished = set(), set()
    failure = None
    running = 0

    def work(index):
        block_signals()
        try:
            results[index] = tasks[index]()
        except BaseException as error:  # noqa: B036 - handed to the main thread
            stop.set()  # before any other task can start its next call
            done.put((index, error))
        else:
            done.put((index, None))

    try:
        while len(finished) < count:
            if failure is None and not stop.is_set():
                for index in range(count):
                    if running >= workers:
                        break
                    if index not in started and predecessors[index] <= finished:
                        started.add(index)
                        running += 1
                        threading.Thread(target=work, args=(index,), daemon=True,
                                         name='chalice-deploy-%d' % index).start()
            if running == 0:
                break
            if check is not None:
                check()
            try:
                index, error = done.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
            running -= 1
            finished.add(index)
            if error is not None:
                stop.set()
                if not isinstance(error, Exception):
                    raise error
                if failure is None:
                    failure = error
    except BaseException:
        stop.set()
        raise
    if failure is not None:
        raise failure
    if len(finished) < count and not stop.is_set():
        raise RuntimeError('Internal error: deploy steps wait for each other in a circle.')
    return results
