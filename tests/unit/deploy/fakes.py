"""An in-memory AWS for deployer tests, plus small project helpers.

:class:`FakeAWS` implements the one method the deploy code uses,
``call(service, method, params, ignore_errors=())``, over a model of IAM
roles and inline policies, Lambda functions (configuration, code sha,
tags, reserved concurrency, resource-policy statements), layer versions,
log groups and REST APIs with their stages.  It behaves like AWS where the
deployer depends on it: names are unique, a function needs an existing
role, a role with inline policies cannot be deleted, unknown ids raise the
service's not-found error code, and every request's parameters are checked
against botocore's service model (names, types, required members) so a
misspelt parameter fails here as it would against AWS.

Errors are raised as :class:`chalice.errors.DeploymentError` with an
``error_code`` attribute, exactly as :class:`chalice.awsclient.AWSClient`
raises them; codes listed in ``ignore_errors`` return ``None`` instead.

Fault injection: ``fail_at = k`` makes the k-th call (1-based, counted from
the last :meth:`FakeAWS.reset_counter`) raise before it has any effect.

A call may name another region (``region=``, as with
:class:`chalice.awsclient.AWSClient`); ``regions`` lists where each call
went, and a handler sees it as ``call_region``.

Calls may come from several threads (the deployer reads and executes
concurrently); each is handled whole under a lock.  ``run_deploy`` and
``run_delete`` run one call at a time (``WORKERS``) unless told otherwise,
so that a test can name the k-th call.
"""
import base64
import copy
import hashlib
import io
import json
import os
import threading
from unittest import mock

from chalice.errors import DeploymentError

ACCOUNT_ID = '123456789012'
REGION = 'us-west-2'


class FakeAWSError(Exception):
    def __init__(self, code, message=''):
        super().__init__('%s: %s' % (code, message))
        self.code = code
        self.message = message


def code_sha256(content):
    """The CodeSha256 Lambda reports for a zip: base64 of the sha256 digest."""
    return base64.b64encode(hashlib.sha256(content).digest()).decode('ascii')


_MODELS = {}


def _operation_model(service, method):
    if service not in _MODELS:
        import botocore.session
        from botocore import xform_name

        model = botocore.session.get_session().get_service_model(service)
        _MODELS[service] = (model, {xform_name(n): n for n in model.operation_names})
    model, names = _MODELS[service]
    if method not in names:
        raise AssertionError('%s has no operation %s' % (service, method))
    return model.operation_model(names[method])


def validate_params(service, method, params):
    """Raise AssertionError unless botocore would accept these parameters."""
    from botocore.validate import ParamValidator

    operation = _operation_model(service, method)
    if operation.input_shape is None:
        assert not params, params
        return
    report = ParamValidator().validate(params, operation.input_shape)
    if report.has_errors():
        raise AssertionError('%s.%s: invalid parameters: %s'
                             % (service, method, report.generate_report()))


def _no_placeholders(text, what):
    # Unresolved plan placeholders render as ${name}; AWS would take them literally.
    if '${' in text or '<contents of' in text or 'JSON document>' in text:
        raise AssertionError('%s contains an unresolved placeholder: %s' % (what, text[:300]))


def _json_param(value, what):
    if isinstance(value, bytes):
        value = value.decode('utf-8')
    if not isinstance(value, str):
        raise AssertionError('%s must be a JSON string, got %r' % (what, type(value)))
    _no_placeholders(value, what)
    return json.loads(value)


class FakeAWS:
    """In-memory IAM, Lambda, CloudWatch Logs and API Gateway."""

    READ_PREFIXES = ('get_', 'list_', 'describe_', 'wait_')

    def __init__(self, region=REGION, account_id=ACCOUNT_ID, partition='aws', validate=True):
        self.region = region
        self.account_id = account_id
        self.partition = partition
        self.validate = validate
        self.roles = {}
        self.functions = {}
        self.layers = {}        # layer name -> {version: {'sha': ..., 'arn': ...}}
        self.log_groups = {}    # name -> retention (None: never expires)
        self.rest_apis = {}     # id -> {...}
        self.calls = []         # (service, method, params) of every call
        self.regions = []       # the region each call went to
        self.call_region = region
        self.fail_at = None
        self.fail_if = None     # or predicate(service, method, params): fail that call
        self.fail_code = 'ServiceUnavailable'
        # 'before': the failing call has no effect; 'after': AWS applied it but the
        # response was lost (a timeout after the request reached AWS).
        self.fail_mode = 'before'
        self.on_call = None     # hook: on_call(service, method, params) before each call
        self.after_call = None  # hook: after_call(service, method, params) after each call
        self.counter_base = 0
        self._next_id = 0
        self._lock = threading.RLock()

    # -- bookkeeping

    def reset_counter(self):
        """Count calls (for fail_at) from now on."""
        self.counter_base = len(self.calls)

    @property
    def call_count(self):
        return len(self.calls) - self.counter_base

    @property
    def mutating_calls(self):
        return [(s, m) for s, m, _ in self.calls[self.counter_base:]
                if not m.startswith(self.READ_PREFIXES)]

    def calls_since(self, index):
        return [(s, m) for s, m, _ in self.calls[index:]]

    def call(self, service, method, params=None, ignore_errors=(), region=None):
        params = dict(params or {})
        # The hook runs outside the lock: it may wait for other threads' calls.
        if self.on_call is not None:
            self.on_call(service, method, params)
        try:
            with self._lock:
                # The region the call is sent to, for handlers that model
                # resources answering in their own region only (SNS topics).
                self.call_region = region or self.region
                self.regions.append(self.call_region)
                return self._call(service, method, params, ignore_errors)
        finally:
            if self.after_call is not None:
                self.after_call(service, method, params)

    def _call(self, service, method, params, ignore_errors):
        self.calls.append((service, method, copy.deepcopy(params)))
        injected = (self.fail_at is not None and self.call_count == self.fail_at) or (
            self.fail_if is not None and self.fail_if(service, method, params))
        if injected and self.fail_mode == 'before':
            raise self._injected(service, method)
        # wait_* are chalice's own composite calls (see chalice.awsclient), not AWS APIs.
        if self.validate and not method.startswith('wait_'):
            validate_params(service, method, params)
        handler = getattr(self, '_%s__%s' % (service, method), None)
        if handler is None:
            raise AssertionError('FakeAWS does not implement %s.%s' % (service, method))
        try:
            response = copy.deepcopy(handler(params))
        except FakeAWSError as error:
            if error.code in ignore_errors:
                response = None
            else:
                raise _deployment_error(service, method, error.code, error.message) from None
        if injected:
            raise self._injected(service, method)
        return response

    def _injected(self, service, method):
        return _deployment_error(service, method, self.fail_code,
                                 'injected failure (call %d)' % self.call_count)

    def _new_id(self):
        self._next_id += 1
        return 'api%06d' % self._next_id

    # -- ARNs

    def role_arn(self, name):
        return 'arn:%s:iam::%s:role/%s' % (self.partition, self.account_id, name)

    def function_arn(self, name):
        return 'arn:%s:lambda:%s:%s:function:%s' % (self.partition, self.region,
                                                    self.account_id, name)

    def layer_arn(self, name):
        return 'arn:%s:lambda:%s:%s:layer:%s' % (self.partition, self.region,
                                                 self.account_id, name)

    # -- IAM

    def _role(self, name):
        if name not in self.roles:
            raise FakeAWSError('NoSuchEntity', 'The role with name %s cannot be found.' % name)
        return self.roles[name]

    def _iam__create_role(self, p):
        name = p['RoleName']
        if name in self.roles:
            raise FakeAWSError('EntityAlreadyExists', 'Role with name %s already exists.' % name)
        trust = _json_param(p['AssumeRolePolicyDocument'], 'AssumeRolePolicyDocument')
        self.roles[name] = {'arn': self.role_arn(name), 'trust': trust, 'policies': {}}
        return {'Role': self._role_response(name)}

    def _role_response(self, name):
        role = self.roles[name]
        return {'RoleName': name, 'Arn': role['arn'], 'Path': '/',
                'AssumeRolePolicyDocument': copy.deepcopy(role['trust'])}

    def _iam__get_role(self, p):
        self._role(p['RoleName'])
        return {'Role': self._role_response(p['RoleName'])}

    def _iam__list_role_policies(self, p):
        return {'PolicyNames': sorted(self._role(p['RoleName'])['policies'])}

    def _iam__get_role_policy(self, p):
        policies = self._role(p['RoleName'])['policies']
        if p['PolicyName'] not in policies:
            raise FakeAWSError('NoSuchEntity', 'no policy %s' % p['PolicyName'])
        return {'RoleName': p['RoleName'], 'PolicyName': p['PolicyName'],
                'PolicyDocument': policies[p['PolicyName']]}

    def _iam__put_role_policy(self, p):
        document = _json_param(p['PolicyDocument'], 'PolicyDocument')
        self._role(p['RoleName'])['policies'][p['PolicyName']] = document
        return {}

    def _iam__update_assume_role_policy(self, p):
        self._role(p['RoleName'])['trust'] = _json_param(p['PolicyDocument'], 'PolicyDocument')
        return {}

    def _iam__delete_role_policy(self, p):
        policies = self._role(p['RoleName'])['policies']
        if p['PolicyName'] not in policies:
            raise FakeAWSError('NoSuchEntity', 'no policy %s' % p['PolicyName'])
        del policies[p['PolicyName']]
        return {}

    def _iam__delete_role(self, p):
        role = self._role(p['RoleName'])
        if role['policies']:
            raise FakeAWSError('DeleteConflict', 'Cannot delete entity, must delete policies '
                                                 'first.')
        del self.roles[p['RoleName']]
        return {}

    # -- Lambda functions

    def _function_name(self, name_or_arn):
        if name_or_arn.startswith('arn:'):
            return name_or_arn.split(':')[6]
        return name_or_arn

    def _function(self, name_or_arn):
        name = self._function_name(name_or_arn)
        if name not in self.functions:
            raise FakeAWSError('ResourceNotFoundException', 'Function not found: %s' % name)
        return self.functions[name]

    def _check_role(self, arn):
        if not any(role['arn'] == arn for role in self.roles.values()):
            raise FakeAWSError('InvalidParameterValueException',
                               'The role defined for the function cannot be assumed by Lambda.')

    def _iam_role_ok(self, arn):
        # Pre-created roles (manage_iam_role false) live outside this fake.
        return arn.startswith('arn:%s:iam::%s:role/precreated' % (self.partition,
                                                                   self.account_id))

    def _lambda__wait_function_ready(self, p):
        # Functions in the fake are ready at once; waiting on a missing one fails.
        return self._lambda__get_function_configuration({'FunctionName': p['FunctionName']})

    def _lambda__create_function(self, p):
        name = p['FunctionName']
        if name in self.functions:
            raise FakeAWSError('ResourceConflictException', 'Function already exist: %s' % name)
        if not self._iam_role_ok(p['Role']):
            self._check_role(p['Role'])
        zip_file = p['Code']['ZipFile']
        if not isinstance(zip_file, bytes):
            raise AssertionError('Code.ZipFile must be bytes')
        config = {
            'FunctionName': name,
            'FunctionArn': self.function_arn(name),
            'Runtime': p.get('Runtime'),
            'Role': p['Role'],
            'Handler': p.get('Handler'),
            'CodeSha256': code_sha256(zip_file),
            'CodeSize': len(zip_file),
            'MemorySize': 128,
            'Timeout': 3,
            'TracingConfig': {'Mode': 'PassThrough'},
            'EphemeralStorage': {'Size': 512},
            'Architectures': list(p.get('Architectures') or ['x86_64']),
            'State': 'Active',
            'LastUpdateStatus': 'Successful',
        }
        self.functions[name] = {'config': config, 'tags': dict(p.get('Tags') or {}),
                                'concurrency': None, 'statements': []}
        self._apply_configuration(config, p)
        return copy.deepcopy(config)

    def _apply_configuration(self, config, p):
        for key in ('Runtime', 'Handler', 'MemorySize', 'Timeout', 'TracingConfig',
                    'EphemeralStorage'):
            if key in p:
                config[key] = copy.deepcopy(p[key])
        if 'Role' in p:
            if not self._iam_role_ok(p['Role']):
                self._check_role(p['Role'])
            config['Role'] = p['Role']
        if 'Environment' in p:
            variables = (p['Environment'] or {}).get('Variables') or {}
            if variables:
                config['Environment'] = {'Variables': dict(variables)}
            else:
                config.pop('Environment', None)
        if 'Layers' in p:
            for arn in p['Layers']:
                _no_placeholders(arn, 'Layers')
            if p['Layers']:
                config['Layers'] = [{'Arn': arn, 'CodeSize': 1} for arn in p['Layers']]
            else:
                config.pop('Layers', None)
        if 'VpcConfig' in p:
            vpc = p['VpcConfig']
            if vpc.get('SubnetIds') or vpc.get('SecurityGroupIds'):
                config['VpcConfig'] = {'SubnetIds': list(vpc.get('SubnetIds') or []),
                                       'SecurityGroupIds': list(vpc.get('SecurityGroupIds')
                                                                or []),
                                       'VpcId': 'vpc-1'}
            else:
                config.pop('VpcConfig', None)

    def _lambda__get_function(self, p):
        fn = self._function(p['FunctionName'])
        response = {'Configuration': copy.deepcopy(fn['config']),
                    'Code': {'RepositoryType': 'S3', 'Location': 'https://example'}}
        if fn['tags']:
            response['Tags'] = dict(fn['tags'])
        if fn['concurrency'] is not None:
            response['Concurrency'] = {'ReservedConcurrentExecutions': fn['concurrency']}
        return response

    def _lambda__list_functions(self, p):
        names = sorted(self.functions)
        start = int(p.get('Marker') or 0)
        size = p.get('MaxItems') or 50
        page = {'Functions': [copy.deepcopy(self.functions[name]['config'])
                              for name in names[start:start + size]]}
        if start + size < len(names):
            page['NextMarker'] = str(start + size)
        return page

    def _lambda__get_function_configuration(self, p):
        return self._function(p['FunctionName'])['config']

    def _lambda__update_function_code(self, p):
        fn = self._function(p['FunctionName'])
        if not isinstance(p.get('ZipFile'), bytes):
            raise AssertionError('ZipFile must be bytes')
        fn['config']['CodeSha256'] = code_sha256(p['ZipFile'])
        fn['config']['CodeSize'] = len(p['ZipFile'])
        if p.get('Architectures'):
            fn['config']['Architectures'] = list(p['Architectures'])
        return fn['config']

    def _lambda__update_function_configuration(self, p):
        fn = self._function(p['FunctionName'])
        self._apply_configuration(fn['config'], p)
        return fn['config']

    def _lambda__tag_resource(self, p):
        fn = self._function(p['Resource'])
        for key, value in p['Tags'].items():
            if not isinstance(value, str):
                raise AssertionError('tag values must be strings')
            fn['tags'][key] = value
        return {}

    def _lambda__untag_resource(self, p):
        fn = self._function(p['Resource'])
        for key in p['TagKeys']:
            fn['tags'].pop(key, None)
        return {}

    def _lambda__put_function_concurrency(self, p):
        fn = self._function(p['FunctionName'])
        fn['concurrency'] = p['ReservedConcurrentExecutions']
        return {'ReservedConcurrentExecutions': fn['concurrency']}

    def _lambda__delete_function_concurrency(self, p):
        self._function(p['FunctionName'])['concurrency'] = None
        return {}

    def _lambda__add_permission(self, p):
        fn = self._function(p['FunctionName'])
        for key in ('StatementId', 'SourceArn'):
            _no_placeholders(p.get(key, ''), key)
        if any(s['Sid'] == p['StatementId'] for s in fn['statements']):
            raise FakeAWSError('ResourceConflictException',
                               'The statement id (%s) provided already exists.'
                               % p['StatementId'])
        statement = {'Sid': p['StatementId'], 'Effect': 'Allow',
                     'Principal': {'Service': p['Principal']}, 'Action': p['Action'],
                     'Resource': fn['config']['FunctionArn']}
        if p.get('SourceArn'):
            statement['Condition'] = {'ArnLike': {'AWS:SourceArn': p['SourceArn']}}
        fn['statements'].append(statement)
        return {'Statement': json.dumps(statement)}

    def _lambda__remove_permission(self, p):
        fn = self._function(p['FunctionName'])
        kept = [s for s in fn['statements'] if s['Sid'] != p['StatementId']]
        if len(kept) == len(fn['statements']):
            raise FakeAWSError('ResourceNotFoundException', 'no statement')
        fn['statements'] = kept
        return {}

    def _lambda__get_policy(self, p):
        fn = self._function(p['FunctionName'])
        if not fn['statements']:
            raise FakeAWSError('ResourceNotFoundException', 'The resource you requested does '
                                                            'not exist.')
        return {'Policy': json.dumps({'Version': '2012-10-17', 'Id': 'default',
                                      'Statement': fn['statements']}),
                'RevisionId': 'r'}

    def _lambda__delete_function(self, p):
        name = self._function_name(p['FunctionName'])
        self._function(name)
        del self.functions[name]
        return {}

    # -- Lambda layers

    def _layer_name(self, name_or_arn):
        if name_or_arn.startswith('arn:'):
            return name_or_arn.split(':')[6]
        return name_or_arn

    def _lambda__publish_layer_version(self, p):
        name = p['LayerName']
        versions = self.layers.setdefault(name, {})
        version = max(versions, default=0) + 1
        if not isinstance(p['Content'].get('ZipFile'), bytes):
            raise AssertionError('Content.ZipFile must be bytes')
        arn = '%s:%d' % (self.layer_arn(name), version)
        versions[version] = {'arn': arn, 'sha': code_sha256(p['Content']['ZipFile']),
                             'architectures': list(p.get('CompatibleArchitectures') or [])}
        return {'LayerArn': self.layer_arn(name), 'LayerVersionArn': arn, 'Version': version,
                'Content': {'CodeSha256': versions[version]['sha']},
                'CompatibleArchitectures': versions[version]['architectures']}

    def _lambda__get_layer_version_by_arn(self, p):
        prefix, _, version = p['Arn'].rpartition(':')
        name = self._layer_name(prefix)
        entry = self.layers.get(name, {}).get(int(version))
        if entry is None:
            raise FakeAWSError('ResourceNotFoundException', 'no layer version %s' % p['Arn'])
        response = {'LayerVersionArn': entry['arn'], 'Version': int(version),
                    'Content': {'CodeSha256': entry['sha']}}
        if entry['architectures']:
            # Like AWS: the key is absent when none were given at publish time.
            response['CompatibleArchitectures'] = list(entry['architectures'])
        return response

    def _lambda__delete_layer_version(self, p):
        # Like AWS: deleting a version that does not exist is not an error.
        name = self._layer_name(p['LayerName'])
        versions = self.layers.get(name, {})
        versions.pop(p['VersionNumber'], None)
        if not versions:
            self.layers.pop(name, None)
        return {}

    # -- CloudWatch Logs

    def _logs__describe_log_groups(self, p):
        prefix = p.get('logGroupNamePrefix', '')
        return {'logGroups': [
            dict({'logGroupName': name},
                 **({'retentionInDays': days} if days is not None else {}))
            for name, days in sorted(self.log_groups.items()) if name.startswith(prefix)]}

    def _logs__create_log_group(self, p):
        if p['logGroupName'] in self.log_groups:
            raise FakeAWSError('ResourceAlreadyExistsException', 'exists')
        self.log_groups[p['logGroupName']] = None
        return {}

    def _logs__delete_log_group(self, p):
        if p['logGroupName'] not in self.log_groups:
            raise FakeAWSError('ResourceNotFoundException', 'no log group')
        del self.log_groups[p['logGroupName']]
        return {}

    def _logs__delete_retention_policy(self, p):
        if p['logGroupName'] not in self.log_groups:
            raise FakeAWSError('ResourceNotFoundException', 'no log group')
        self.log_groups[p['logGroupName']] = None
        return {}

    def _logs__put_retention_policy(self, p):
        if p['logGroupName'] not in self.log_groups:
            raise FakeAWSError('ResourceNotFoundException', 'no log group')
        self.log_groups[p['logGroupName']] = p['retentionInDays']
        return {}

    # -- API Gateway

    def _api(self, api_id):
        if api_id not in self.rest_apis:
            raise FakeAWSError('NotFoundException', 'Invalid API identifier specified %s'
                               % api_id)
        return self.rest_apis[api_id]

    def _apigateway__import_rest_api(self, p):
        definition = _json_param(p['body'], 'body')
        api_id = self._new_id()
        types = (p.get('parameters') or {}).get('endpointConfigurationTypes', 'EDGE')
        self.rest_apis[api_id] = {
            'name': definition.get('info', {}).get('title'),
            'definition': definition,
            'endpoint_types': [types],
            'minimum_compression_size': definition.get(
                'x-amazon-apigateway-minimum-compression-size'),
            'stages': {},
            'traced_stages': set(),
            'deployments': 0,
        }
        return self._api_response(api_id)

    def _api_response(self, api_id):
        api = self.rest_apis[api_id]
        response = {'id': api_id, 'name': api['name'],
                    'endpointConfiguration': {'types': list(api['endpoint_types'])}}
        if api['minimum_compression_size'] is not None:
            response['minimumCompressionSize'] = api['minimum_compression_size']
        return response

    def _apigateway__get_rest_api(self, p):
        self._api(p['restApiId'])
        return self._api_response(p['restApiId'])

    def _apigateway__put_rest_api(self, p):
        api = self._api(p['restApiId'])
        if p.get('mode') != 'overwrite':
            raise AssertionError('the deployer always puts in overwrite mode')
        api['definition'] = _json_param(p['body'], 'body')
        api['name'] = api['definition'].get('info', {}).get('title')
        return self._api_response(p['restApiId'])

    def _apigateway__update_rest_api(self, p):
        api = self._api(p['restApiId'])
        for op in p['patchOperations']:
            if op['path'] == '/minimumCompressionSize':
                api['minimum_compression_size'] = int(op['value']) if op['value'] else None
            elif op['path'].startswith('/endpointConfiguration/types/'):
                api['endpoint_types'] = [op['value']]
            else:
                raise AssertionError('unexpected patch %r' % op)
        return self._api_response(p['restApiId'])

    def _apigateway__create_deployment(self, p):
        api = self._api(p['restApiId'])
        api['deployments'] += 1
        api['stages'][p['stageName']] = copy.deepcopy(api['definition'])
        return {'id': 'dep%d' % api['deployments']}

    def _apigateway__get_stage(self, p):
        api = self._api(p['restApiId'])
        if p['stageName'] not in api['stages']:
            raise FakeAWSError('NotFoundException', 'Invalid Stage identifier specified')
        stage = {'stageName': p['stageName'], 'deploymentId': 'dep%d' % api['deployments']}
        if p['stageName'] in api['traced_stages']:
            stage['tracingEnabled'] = True
        return stage

    def _apigateway__update_stage(self, p):
        api = self._api(p['restApiId'])
        if p['stageName'] not in api['stages']:
            raise FakeAWSError('NotFoundException', 'Invalid Stage identifier specified')
        for op in p['patchOperations']:
            if op['path'] != '/tracingEnabled':
                raise AssertionError('unexpected patch %r' % op)
            if op['value'] == 'true':
                api['traced_stages'].add(p['stageName'])
            else:
                api['traced_stages'].discard(p['stageName'])
        return self._apigateway__get_stage(p)

    def _apigateway__delete_rest_api(self, p):
        self._api(p['restApiId'])
        del self.rest_apis[p['restApiId']]
        return {}

    # -- views for assertions

    def existing_resources(self):
        """What exists, keyed like :func:`recorded_resources` keys the state file."""
        found = set()
        for name in self.roles:
            found.add(('iam_role', name))
        for fn in self.functions.values():
            found.add(('lambda_function', fn['config']['FunctionArn']))
        for api_id in self.rest_apis:
            found.add(('rest_api', api_id))
        for versions in self.layers.values():
            for entry in versions.values():
                found.add(('lambda_layer', entry['arn']))
        for name in self.log_groups:
            found.add(('log_group', name))
        return found

    def is_empty(self):
        # A log group without a retention holds the user's logs, which a
        # delete keeps (as Lambda's own groups stay): not a resource left.
        return not (self.roles or self.functions or self.rest_apis or self.layers
                    or any(days is not None for days in self.log_groups.values()))

    def snapshot(self):
        """A normalised picture of everything, comparable across runs.

        REST API ids (which differ between runs) are replaced by the API's
        name and the deployment counter is left out; everything else --
        policies, function configuration, code, tags, concurrency, resource
        policy statements, API definitions and what each stage serves -- is
        kept.
        """
        apis = sorted(
            ({'name': api['name'], 'id': api_id, 'definition': api['definition'],
              'endpoint_types': api['endpoint_types'],
              'minimum_compression_size': api['minimum_compression_size'],
              'stages': api['stages']} for api_id, api in self.rest_apis.items()),
            key=lambda a: (a['name'] or '', a['id']))
        picture = {
            'roles': self.roles,
            'functions': {name: {'config': fn['config'], 'tags': fn['tags'],
                                 'concurrency': fn['concurrency'],
                                 'statements': sorted(fn['statements'],
                                                      key=lambda s: s['Sid'])}
                          for name, fn in self.functions.items()},
            'apis': apis,
            'layers': self.layers,
            'log_groups': self.log_groups,
        }
        text = json.dumps(picture, sort_keys=True)
        for index, api in enumerate(apis):
            text = text.replace(api['id'], '<rest-api-%d>' % index)
        # Statement ids embed a digest of the source ARN, which holds the API id.
        data = json.loads(text)
        for fn in data['functions'].values():
            for statement in fn['statements']:
                statement['Sid'] = 'chalice-apigateway-<digest>' \
                    if statement['Sid'].startswith('chalice-apigateway-') else statement['Sid']
            fn['statements'].sort(key=lambda s: json.dumps(s, sort_keys=True))
        return data


def _deployment_error(service, method, code, message):
    error = DeploymentError('%s:%s failed: %s: %s' % (service, method, code, message))
    error.error_code = code
    return error


def recorded_resources(state):
    """The state file's records, keyed like :meth:`FakeAWS.existing_resources`."""
    keys = set()
    for record in state.resources:
        kind = record['resource_type']
        if kind == 'iam_role':
            keys.add((kind, record['role_name']))
        elif kind == 'lambda_function':
            keys.add((kind, record['lambda_arn']))
        elif kind == 'rest_api':
            keys.add((kind, record['rest_api_id']))
        elif kind == 'lambda_layer':
            keys.add((kind, record['layer_version_arn']))
        elif kind == 'log_group':
            keys.add((kind, record['log_group_name']))
        else:
            raise AssertionError('unexpected record %r' % record)
    return keys


# ---------------------------------------------------------------------------
# Project helpers
# ---------------------------------------------------------------------------

APP_PY_WITH_CALLS = '''\
import boto3
from chalice import Chalice

app = Chalice(app_name='demo')
s3 = boto3.client('s3')


@app.route('/')
def index():
    return {'buckets': s3.list_buckets()}
'''


class RecordingUI:
    """The deployer's UI protocol, collecting lines; never interactive."""

    def __init__(self, interactive=False, answer=True):
        self.lines = []
        self.warnings = []
        self.prompts = []
        self.interactive = interactive
        self._answer = answer

    def write(self, line):
        self.lines.append(line)

    def warning(self, line):
        self.warnings.append(line)

    def debug(self, line):
        pass

    def confirm(self, prompt):
        self.prompts.append(prompt)
        return self._answer


def write_project(directory, app_py=APP_PY_WITH_CALLS, files=None):
    """Create app.py (and any other ``{relative path: text}``) in ``directory``."""
    os.makedirs(os.path.join(directory, '.chalice'), exist_ok=True)
    with open(os.path.join(directory, 'app.py'), 'w') as f:
        f.write(app_py)
    for relative, text in (files or {}).items():
        path = os.path.join(directory, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)
    return str(directory)


def make_package(directory, content=b'PK\x05\x06 fake deployment zip', name='deployment.zip'):
    from chalice.deploy.models import DeploymentPackage

    path = os.path.join(str(directory), name)
    with open(path, 'wb') as f:
        f.write(content)
    return DeploymentPackage(path=path, code_sha256=code_sha256(content), size=len(content))


def make_config(app, project_dir, stage='dev', **disk):
    from chalice.config import Config

    config_from_disk = {'version': '2.0', 'app_name': app.app_name}
    config_from_disk.update(disk)
    return Config(stage, config_from_disk=config_from_disk,
                  user_provided_params={'chalice_app': app, 'project_dir': str(project_dir)})


#: How many calls run_deploy/run_delete make at the same time (1: the plan's order).
WORKERS = 1


def run_deploy(aws, config, package, ui=None, layer_package=None, workers=None, guard=None):
    """``chalice deploy`` through the real deployer, with a prebuilt package."""
    from chalice.deploy import deployer

    ui = ui or RecordingUI()
    with mock.patch.object(deployer, 'build_packages', return_value=(package, layer_package)):
        return deployer.deploy(config, aws, ui, guard, workers=workers or WORKERS)


def run_delete(aws, project_dir, stage='dev', ui=None, workers=None, guard=None):
    from chalice.deploy import deployer

    return deployer.delete(str(project_dir), stage, aws, ui or RecordingUI(), guard,
                           workers=workers or WORKERS)


def read_state_file(project_dir, stage='dev'):
    from chalice.deploy.state import state_file_path

    with io.open(state_file_path(str(project_dir), stage), encoding='utf-8') as f:
        return json.load(f)
