"""What the homes' ``read_remote`` get as ``aws`` from the remote reader.

A :class:`ReadSession` is the AWS client for reading (``call``, ``region``,
``partition``, ``account_id``) plus reads that answer for many resources
and are made once per deploy, whichever home asks first (the others wait
for that answer):

* :meth:`ReadSession.function`: each wanted function's configuration from
  ``ListFunctions`` (one call per 50 functions of the region) instead of a
  ``GetFunction`` per function; a function not listed does not exist;
* :meth:`ReadSession.function_policy`: a function's resource policy, read
  once however many homes grant on it, and not read at all for a function
  that does not exist;
* :meth:`ReadSession.event_source_mappings`: every event source mapping of
  the region from one ``ListEventSourceMappings`` (per 100 mappings);
* :meth:`ReadSession.once`: any other shared read (EventBridge rules by
  name prefix).

A list is read for at most a few pages (:func:`page_budget`), so that a
region holding thousands of functions does not cost more than asking for
each function: past that, the answer is "unknown" and the home reads its
resource itself, as it does without a session (the homes also work with a
plain AWS client, which the unit tests of single homes pass).

Each call first asks the :class:`~chalice.deploy.interrupts.InterruptGuard`
whether the command is stopping, so no read starts after Ctrl-C.
"""
import threading

#: What :meth:`ReadSession.function` answers for a function that ListFunctions did not list.
ABSENT = 'absent'

_FUNCTIONS_PER_PAGE = 50
_MAPPINGS_PER_PAGE = 100


def page_budget(wanted):
    """How many pages of a list are worth reading for ``wanted`` resources."""
    return max(1, (wanted + 2) // 3)


class _Once:
    def __init__(self, compute):
        self._compute = compute
        self._lock = threading.Lock()
        self._done = False
        self._value = None
        self._error = None

    def get(self):
        with self._lock:
            if not self._done:
                try:
                    self._value = self._compute()
                except Exception as error:
                    self._error = error
                self._done = True
        if self._error is not None:
            raise self._error
        return self._value


class ReadSession:
    def __init__(self, aws, models=(), guard=None):
        self._aws = aws
        self._guard = guard
        self.models = tuple(models)
        self._lock = threading.Lock()
        self._memo = {}
        self._function_names = {m.function_name for m in self.models
                                if getattr(m, 'resource_type', None) == 'lambda_function'}

    # -- the client

    @property
    def region(self):
        return self._aws.region

    @property
    def partition(self):
        return self._aws.partition

    @property
    def account_id(self):
        return self._aws.account_id

    def call(self, service, method, params=None, ignore_errors=(), region=None):
        if self._guard is not None:
            self._guard.begin_call('%s.%s' % (service, method), False)
        return self._aws.call(service, method, params, ignore_errors=ignore_errors,
                              region=region)

    def __getattr__(self, name):
        # Anything else a home may use from the AWS client.
        if name.startswith('__'):
            raise AttributeError(name)
        return getattr(self._aws, name)

    def once(self, key, compute):
        """``compute()``, called once for ``key`` whichever thread asks first."""
        with self._lock:
            entry = self._memo.get(key)
            if entry is None:
                entry = self._memo[key] = _Once(compute)
        return entry.get()

    def models_of(self, *resource_types):
        return [m for m in self.models if m.resource_type in resource_types]

    # -- Lambda functions

    def function(self, function_name):
        """The function's configuration as ListFunctions reports it, :data:`ABSENT`, or None.

        None means the list does not tell (the function is not one of the
        app's, or the list was longer than worth reading): ask
        ``GetFunction``.
        """
        if function_name not in self._function_names:
            return None
        found, complete = self.once('lambda.list_functions', self._list_functions)
        if function_name in found:
            return found[function_name]
        return ABSENT if complete else None

    def _list_functions(self):
        found = {}
        params = {'MaxItems': _FUNCTIONS_PER_PAGE}
        for _ in range(page_budget(len(self._function_names))):
            page = self.call('lambda', 'list_functions', params)
            for config in page.get('Functions') or []:
                if config.get('FunctionName') in self._function_names:
                    found[config['FunctionName']] = config
            marker = page.get('NextMarker')
            if not marker:
                return found, True
            if len(found) == len(self._function_names):
                return found, False
            params = dict(params, Marker=marker)
        return found, False

    def function_policy(self, function_name, read):
        """The statements of the function's policy: ``read(self, function_name)``, once.

        A function that does not exist has none (nothing is read).
        """
        if self.function(function_name) == ABSENT:
            return []
        return self.once(('lambda.get_policy', function_name),
                         lambda: read(self, function_name))

    # -- event source mappings

    def event_source_mappings(self, wanted):
        """Every mapping of the region (as Lambda lists them), or None if too many.

        ``wanted`` is how many mappings the app has (for the page budget).
        """
        return self.once('lambda.list_event_source_mappings',
                         lambda: self._list_mappings(wanted))

    def _list_mappings(self, wanted):
        mappings = []
        params = {'MaxItems': _MAPPINGS_PER_PAGE}
        for _ in range(page_budget(wanted)):
            page = self.call('lambda', 'list_event_source_mappings', params)
            mappings.extend(page.get('EventSourceMappings') or [])
            marker = page.get('NextMarker')
            if not marker:
                return mappings
            params = dict(params, Marker=marker)
        return None
