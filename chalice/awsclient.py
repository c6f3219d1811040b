"""The one door to AWS: boto3 clients with the waits and retries AWS needs.

Everything that talks to AWS goes through :class:`AWSClient`.  It honours the
standard credential and region chain, ``--profile`` and ``AWS_ENDPOINT_URL``
(boto3 reads it itself), and knows the eventual-consistency rules that bite
deployments:

* a freshly created IAM role can take seconds before Lambda may assume it:
  creating or reconfiguring a function retries on that specific error;
* Lambda rejects a change while a previous update is still in progress:
  every function update waits until the function is ``Active`` and its last
  update ``Successful``, before and after the change.

It holds no business logic: callers say which API to call with which
parameters; this module only makes the call reliably and records it (the
call log is what ``--debug`` and the benchmarks report).

A call may name another region than the session's (``region=``): an SNS
topic answers only in its own region, so subscribing a function to a topic
of another region goes to that region's endpoint.  Clients are cached per
(service, region); every one is made from the same session (credentials,
profile) with the same settings, and boto3 applies ``AWS_ENDPOINT_URL`` (and
``AWS_ENDPOINT_URL_<SERVICE>``) to every region's client alike.
"""
import os
import threading
import time

from chalice import __version__ as chalice_version
from chalice.constants import READ_PREFIXES
from chalice.errors import ChaliceError, DeploymentError

# Lambda functions run for at most 900 seconds; Invoke waits a little longer.
LAMBDA_INVOKE_READ_TIMEOUT = 960

# (service, method) -> how the call is made, when a plain call is not enough.
_ROLE_NOT_READY_FRAGMENTS = ('cannot be assumed', 'role defined for the function',
                             'not authorized to perform: sts:AssumeRole',
                             # A new role's permissions propagate late too: EC2 for VPC
                             # functions, the queue/stream reads for event source mappings.
                             'does not have permissions to call CreateNetworkInterface',
                             'execution role does not have permissions to call')


class CredentialsError(ChaliceError):
    """No region or no credentials could be found."""


class AccessDeniedError(DeploymentError):
    """The deploying identity may not call an API: the user must fix permissions."""

    exit_code = 2


def create_session(profile=None):
    """A boto3 session honouring --profile and the standard chain."""
    import boto3
    import botocore.exceptions

    try:
        return boto3.session.Session(profile_name=profile)
    except botocore.exceptions.ProfileNotFound as error:
        # Without --profile the name comes from AWS_PROFILE (or the older
        # AWS_DEFAULT_PROFILE); botocore's error knows which one it tried.
        name = profile or error.kwargs.get('profile')
        source = '--profile' if profile else _profile_variable(name)
        raise CredentialsError(
            'The AWS profile %r (from %s) was not found in your AWS config; check the '
            'name, or list your profiles with "aws configure list-profiles".'
            % (name, source)) from None


def _profile_variable(name):
    for variable in ('AWS_PROFILE', 'AWS_DEFAULT_PROFILE'):
        if os.environ.get(variable) == name:
            return variable
    return 'AWS_PROFILE'


def check_session(session):
    """Fail early, before any AWS call, when region or credentials are missing."""
    if not session.region_name:
        raise CredentialsError(
            'No AWS region is configured. Set AWS_DEFAULT_REGION (e.g. '
            'export AWS_DEFAULT_REGION=us-west-2) or use --profile with a profile that '
            'sets a region.')
    if session.get_credentials() is None:
        raise CredentialsError(
            'No AWS credentials were found. Configure them (aws configure, environment '
            'variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) or pass --profile.')


class AWSClient:
    def __init__(self, session, connection_timeout=None, sleep=time.sleep,
                 max_role_wait=90.0, max_ready_wait=300.0):
        self._session = session
        self._connection_timeout = connection_timeout
        self._clients = {}
        self._sleep = sleep
        self._max_role_wait = max_role_wait
        self._max_ready_wait = max_ready_wait
        self._account_id = None
        # Several threads call AWS at the same time (the executor, the remote
        # reader): creating clients and reading the account id take this lock.
        self._lock = threading.RLock()
        # Functions whose last create or update response said they are ready.
        self._ready = set()
        self.calls = []  # (service, method) of every request made

    # -- identity

    @property
    def region(self):
        return self._session.region_name

    @property
    def partition(self):
        region = self.region or ''
        if region.startswith('cn-'):
            return 'aws-cn'
        if region.startswith('us-gov-'):
            return 'aws-us-gov'
        return 'aws'

    @property
    def account_id(self):
        with self._lock:
            if self._account_id is None:
                self._account_id = self.call('sts', 'get_caller_identity', {})['Account']
        return self._account_id

    @property
    def mutating_calls(self):
        return [c for c in self.calls if not c[1].startswith(READ_PREFIXES)]

    # -- clients

    def client(self, service, region=None):
        """The cached client of ``service`` in ``region`` (default: the session's)."""
        key = (service, region or self.region)
        client = self._clients.get(key)
        if client is None:
            with self._lock:
                return self._new_client(service, key)
        return client

    def _new_client(self, service, key):
        client = self._clients.get(key)
        if client is None:
            from botocore.config import Config

            config = Config(user_agent_extra='chalice/%s' % chalice_version,
                            retries={'mode': 'standard', 'max_attempts': 5})
            if self._connection_timeout is not None:
                config = config.merge(Config(connect_timeout=self._connection_timeout,
                                             read_timeout=max(60, self._connection_timeout)))
            client = self._session.client(service, region_name=key[1], config=config)
            self._clients[key] = client
        return client

    # -- calls

    def call(self, service, method, params=None, ignore_errors=(), region=None):
        """Call ``service.method(**params)``; return the response dict.

        Error codes in ``ignore_errors`` return ``None`` instead of raising.
        Other AWS errors become a :class:`DeploymentError` naming the action.
        ``region`` sends the call to another region than the session's; the
        composite calls (Lambda's waits and retries) are the session region's
        only.
        """
        from botocore.exceptions import ClientError

        params = params or {}
        if region == self.region:
            region = None
        special = getattr(self, '_%s__%s' % (service.replace('-', '_'), method), None)
        if special is not None and region is not None:
            raise ValueError('%s.%s is made in the session region only' % (service, method))
        try:
            if special is not None:
                return special(params)
            return self._raw(service, method, params, region)
        except ClientError as error:
            code = error.response.get('Error', {}).get('Code', '')
            if code in ignore_errors:
                return None
            raise self._translate(service, method, error) from error

    def _raw(self, service, method, params, region=None):
        self.calls.append((service, method))
        response = getattr(self.client(service, region), method)(**params)
        if isinstance(response, dict):
            response.pop('ResponseMetadata', None)
        return response

    def _translate(self, service, method, error):
        code = error.response.get('Error', {}).get('Code', 'Unknown')
        message = error.response.get('Error', {}).get('Message', str(error))
        # Name the request that actually failed (a composite call such as a
        # create-then-wait makes several).
        operation = getattr(error, 'operation_name', None) or _operation_name(
            self.client(service), method)
        action = '%s:%s' % (self._iam_prefix(service), operation)
        if 'AccessDenied' in code or code in ('UnauthorizedOperation',
                                              'UnrecognizedClientException'):
            return AccessDeniedError(
                'AccessDenied: the AWS credentials in use are not allowed to call %s (%s). '
                'Grant that permission to the deploying identity and run the command again.'
                % (action, ' '.join(message.split())))
        failed = DeploymentError('%s failed: %s: %s' % (action, code, ' '.join(message.split())))
        failed.error_code = code
        return failed

    def _iam_prefix(self, service):
        model = self.client(service).meta.service_model
        return model.signing_name or model.endpoint_prefix

    # -- Lambda: waits and retries

    def _wait_function_ready(self, function_name, after_update=False):
        """Wait while the function is Pending or an update is InProgress.

        Before a change, a *previous* failed update is no obstacle (the new
        change may be what repairs it).  After our own change, ending in a
        Failed state is an error.
        """
        waited = 0.0
        delay = 0.5
        while True:
            config = self._raw('lambda', 'get_function_configuration',
                               {'FunctionName': function_name})
            state = config.get('State', 'Active')
            update = config.get('LastUpdateStatus', 'Successful')
            if state != 'Pending' and update != 'InProgress':
                if after_update and (state == 'Failed' or update == 'Failed'):
                    break
                return config
            if waited >= self._max_ready_wait:
                break
            self._sleep(delay)
            waited += delay
            delay = min(delay * 2, 5.0)
        raise DeploymentError(
            'Lambda function %s did not become ready (State=%s, LastUpdateStatus=%s: %s).'
            % (function_name, config.get('State'), config.get('LastUpdateStatus'),
               config.get('StateReason') or config.get('LastUpdateStatusReason') or ''))

    def _retry_role_propagation(self, method, params):
        from botocore.exceptions import ClientError

        waited = 0.0
        delay = 1.0
        while True:
            try:
                return self._raw('lambda', method, params)
            except ClientError as error:
                err = error.response.get('Error', {})
                message = err.get('Message', '')
                if err.get('Code') != 'InvalidParameterValueException' or not any(
                        fragment in message for fragment in _ROLE_NOT_READY_FRAGMENTS):
                    raise
                if waited >= self._max_role_wait:
                    raise
                self._sleep(delay)
                waited += delay
                delay = min(delay * 2, 10.0)

    def _retry_conflict(self, method, params, function_name):
        from botocore.exceptions import ClientError

        self._ready.discard(function_name)

        for attempt in range(6):
            self._wait_function_ready(function_name)
            try:
                if method in ('create_function', 'update_function_configuration'):
                    return self._retry_role_propagation(method, params)
                return self._raw('lambda', method, params)
            except ClientError as error:
                if error.response.get('Error', {}).get('Code') != \
                        'ResourceConflictException' or attempt == 5:
                    raise
                self._sleep(min(2 ** attempt, 10))

    def _lambda__create_function(self, params):
        # The caller records the new function before waiting for it to become
        # active (the separate wait_function_ready step), so a failed wait
        # never leaves an existing function unrecorded.
        response = self._retry_role_propagation('create_function', params)
        if response.get('State') == 'Active' and \
                response.get('LastUpdateStatus', 'Successful') == 'Successful':
            self._ready.add(params['FunctionName'])
        return response

    def _lambda__wait_function_ready(self, params):
        """Not an AWS API: poll until the function is Active and not updating.

        A function whose CreateFunction response said it is ``Active`` (and
        that was not changed since) is not asked again.
        """
        if params['FunctionName'] in self._ready:
            return {'FunctionName': params['FunctionName'], 'State': 'Active',
                    'LastUpdateStatus': 'Successful'}
        return self._wait_function_ready(params['FunctionName'], after_update=True)

    def _lambda__create_event_source_mapping(self, params):
        return self._retry_role_propagation('create_event_source_mapping', params)

    def _lambda__update_function_code(self, params):
        response = self._retry_conflict('update_function_code', params, params['FunctionName'])
        self._wait_function_ready(params['FunctionName'], after_update=True)
        return response

    def _lambda__update_function_configuration(self, params):
        response = self._retry_conflict('update_function_configuration', params,
                                        params['FunctionName'])
        self._wait_function_ready(params['FunctionName'], after_update=True)
        return response

    def _lambda__put_function_concurrency(self, params):
        return self._retry_conflict('put_function_concurrency', params, params['FunctionName'])

    def _lambda__delete_function_concurrency(self, params):
        return self._retry_conflict('delete_function_concurrency', params,
                                    params['FunctionName'])

    # -- Lambda event source mappings: busy while Creating/Enabling/Updating

    def _retry_in_use(self, method, params):
        """Retry while Lambda says the mapping is in use (still changing state)."""
        from botocore.exceptions import ClientError

        waited = 0.0
        delay = 1.0
        while True:
            try:
                return self._raw('lambda', method, params)
            except ClientError as error:
                if error.response.get('Error', {}).get('Code') != \
                        'ResourceInUseException' or waited >= self._max_ready_wait:
                    raise
                self._sleep(delay)
                waited += delay
                delay = min(delay * 2, 10.0)

    def _lambda__update_event_source_mapping(self, params):
        return self._retry_in_use('update_event_source_mapping', params)

    def _lambda__delete_event_source_mapping(self, params):
        return self._retry_in_use('delete_event_source_mapping', params)

    # -- Lambda Invoke: exactly one attempt, a read timeout beyond the 900 s limit

    def _lambda__invoke(self, params):
        """Invoke once and read the whole reply (``Payload`` comes back as bytes).

        A function may run for up to 900 seconds, so the reply is awaited for
        :data:`LAMBDA_INVOKE_READ_TIMEOUT` seconds; botocore's retries are off
        because retrying a timed-out invocation would run the function again.
        A timeout raises botocore's ``ReadTimeoutError``.
        """
        self.calls.append(('lambda', 'invoke'))
        response = self._invoke_client().invoke(**params)
        response.pop('ResponseMetadata', None)
        payload = response.get('Payload')
        if payload is not None and hasattr(payload, 'read'):
            response['Payload'] = payload.read()
        return response

    def _invoke_client(self):
        """The Lambda client for Invoke: long read timeout, no retries."""
        key = ('lambda:invoke', self.region)
        client = self._clients.get(key)
        if client is None:
            from botocore.config import Config

            client = self._session.client('lambda', config=Config(
                user_agent_extra='chalice/%s' % chalice_version,
                connect_timeout=self._connection_timeout or 60,
                read_timeout=LAMBDA_INVOKE_READ_TIMEOUT,
                retries={'mode': 'standard', 'total_max_attempts': 1}))
            self._clients[key] = client
        return client

    # -- API Gateway GetSdk: the zip comes back as a stream

    def _apigateway__get_sdk(self, params):
        """GetSdk, with ``body`` read into bytes."""
        response = self._raw('apigateway', 'get_sdk', params)
        body = response.get('body')
        if body is not None and hasattr(body, 'read'):
            response['body'] = body.read()
        return response


def _operation_name(client, method):
    for name in client.meta.service_model.operation_names:
        if _snake(name) == method:
            return name
    return method


def _snake(name):
    from botocore import xform_name

    return xform_name(name)
