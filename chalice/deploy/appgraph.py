"""From app + resolved config to the resource models the app needs.

:func:`build_application` reads what the app recorded (routes, built-in
authorizers, pure Lambdas, event handlers) and the config for each function,
and returns an :class:`~chalice.deploy.models.Application`.  It makes no AWS
calls: deployment packages are built beforehand and passed in, and the
region/partition come from the local session configuration.

``package`` and ``layer_package`` are one archive for every function, or
dicts keyed by Lambda architecture (``x86_64``/``arm64``) when functions may
run on different CPUs (see :func:`architectures`): dependencies with native
code differ between the two.

The CLI gets here after the validation pass (:mod:`chalice.validation`)
has checked the app and its settings.  What can still be wrong (a missing
policy file, a pre-created role without its ARN, routes the matcher
rejects, for a caller that skipped the pass) raises a
:class:`~chalice.errors.ChaliceError` before anything touches AWS.
"""
import json
import os

from chalice.appcheck import check_matcher, function_specs
from chalice.config import invalid_at, lambda_settings
from chalice.deploy import models
from chalice.errors import ChaliceError, ConfigError

API_HANDLER = 'api_handler'
DEFAULT_ROLE = 'default-role'
MANAGED_LAYER = 'managed-layer'


# EventBridge allows rule names of up to 64 characters.
MAX_RULE_NAME = 64


def function_name_for(app_name, stage, name):
    """The deployed Lambda function name for a logical function name."""
    if name == API_HANDLER:
        return '%s-%s' % (app_name, stage)
    return '%s-%s-%s' % (app_name, stage, name)


def rule_name_for(function_name):
    """The EventBridge rule of a schedule/event-pattern handler: ``<function>-event``.

    The name AWS Chalice gives it, so a stage it deployed keeps its rules.
    A name over EventBridge's limit (AWS Chalice fails there) is cut and
    ends with a hash of the full name instead.
    """
    name = '%s-event' % function_name
    if len(name) <= MAX_RULE_NAME:
        return name
    import hashlib

    digest = hashlib.sha256(name.encode('utf-8')).hexdigest()[:12]
    return '%s-%s' % (name[:MAX_RULE_NAME - len(digest) - 1], digest)


def _deployed_specs(app):
    """:func:`chalice.appcheck.function_specs` less the authorizers of an app without routes."""
    api_specs, auth_specs, other_specs, ws_specs = function_specs(app)
    return api_specs, auth_specs if api_specs else [], other_specs, ws_specs


def primary_architecture(config):
    """The stage's architecture: the API handler's (or the stage/top-level value)."""
    return config.scope(config.chalice_stage, API_HANDLER).lambda_architecture


def architectures(config):
    """Every architecture the app's functions run on, the stage's own first."""
    found = [primary_architecture(config)]
    for specs in _deployed_specs(config.chalice_app):
        for name, _ in specs:
            architecture = config.scope(config.chalice_stage, name).lambda_architecture
            if architecture not in found:
                found.append(architecture)
    return found


def _for_architecture(package, architecture):
    if isinstance(package, dict):
        return package.get(architecture)
    return package


class AppGraphBuilder:
    def __init__(self, config, package, layer_package=None, region='us-east-1',
                 partition='aws', policy_sources=None):
        self._config = config
        # The files the generated policies come from (default: app.py and chalicelib/).
        self._policy_sources = policy_sources
        self._app = config.chalice_app
        self._stage = config.chalice_stage
        self._package = package
        self._layer_package = layer_package
        self._region = region
        self._partition = partition
        self._roles = {}
        self._layers = {}

    def _specs(self):
        """The functions to deploy (``_deployed_specs``), once routes and names are usable.

        The validation pass has refused such apps already on every CLI path;
        a direct caller gets the same error before anything is built.
        """
        app = self._app
        if app.routes:
            check_matcher(app)
        specs = _deployed_specs(app)
        names = [name for group in specs for name, _ in group]
        if len(names) != len(set(names)):
            raise ChaliceError('Two Lambda functions share one name; give each decorator '
                               'a unique name=...')
        return specs

    def role_policies(self):
        """``{role resource name: policy document}`` of the roles ``build`` makes."""
        specs = sum(self._specs(), [])
        self._plan_roles({name: self._scoped(name) for name, _ in specs},
                         {src.name: src for src in self._app.event_sources})
        return {key: role.policy_document for key, role in self._roles.items()}

    def build(self):
        app = self._app
        api_specs, auth_specs, other_specs, ws_specs = self._specs()
        ws_handlers = app.websocket_handlers
        specs = other_specs + ws_specs + auth_specs + api_specs
        names = [name for name, _ in specs]
        configs = {name: self._scoped(name) for name in names}
        sources = {src.name: src for src in app.event_sources}
        self._plan_roles(configs, sources)
        functions = {name: self._function(name, handler, configs[name])
                     for name, handler in specs}
        resources = []
        for name, _ in other_specs:
            source = sources.get(name)
            resources.append(functions[name] if source is None
                             else event_source_model(source, functions[name]))
        # The REST (or HTTP) API before the websocket API, as AWS Chalice
        # deploys and prints them.
        apis = []
        if api_specs:
            authorizer_functions = [functions[name] for name, _ in auth_specs]
            if self._scoped(API_HANDLER).api_gateway_type == 'HTTP':
                apis.append(('api_gateway_custom_domain', self._http_api(
                    functions[API_HANDLER], authorizer_functions)))
            else:
                apis.append(('api_gateway_custom_domain', self._rest_api(
                    functions[API_HANDLER], authorizer_functions)))
        if ws_handlers:
            apis.append(('websocket_api_custom_domain',
                         self._websocket_api(ws_handlers, functions)))
        for key, api in apis:
            resources.append(api)
            domain = self._custom_domain(key, api)
            if domain is not None:
                resources.append(domain)
        resources.extend(log_group_model(functions[name]) for name in names
                         if functions[name].log_retention_in_days is not None)
        return models.Application(app_name=self._config.app_name, stage=self._stage,
                                  resources=tuple(resources))

    # -- pieces

    def _scoped(self, name):
        return self._config.scope(self._stage, name)

    def _function(self, name, handler, config):
        role = self._roles[self._role_of[name]] if name in self._role_of else \
            models.PreCreatedIAMRole(role_arn=config.iam_role_arn)
        layers = tuple(config.layers)
        managed_layer = self._managed_layer(config) if config.automatic_layer else None
        architecture = config.lambda_architecture
        package = _for_architecture(self._package, architecture)
        if package is None:
            raise ChaliceError('No deployment package was built for the %s architecture '
                               'of function %r.' % (architecture, name))
        memory_size, timeout, ephemeral_storage = lambda_settings(config)
        return models.LambdaFunction(
            resource_name=name,
            function_name=function_name_for(self._config.app_name, self._stage, name),
            handler=handler,
            runtime=config.lambda_python_version,
            role=role,
            package=package,
            memory_size=memory_size,
            timeout=timeout,
            environment_variables=dict(config.environment_variables),
            tags=dict(config.tags),
            layers=layers,
            managed_layer=managed_layer,
            subnet_ids=tuple(config.subnet_ids),
            security_group_ids=tuple(config.security_group_ids),
            reserved_concurrency=config.reserved_concurrency,
            xray=bool(config.xray),
            ephemeral_storage=ephemeral_storage,
            log_retention_in_days=config.log_retention_in_days,
            architecture=architecture,
        )

    def _managed_layer(self, config):
        """The managed layer for the function's architecture (None without deps).

        The stage's architecture gets ``managed-layer``; a function on the
        other architecture gets its own ``managed-layer-<architecture>``.
        """
        architecture = config.lambda_architecture
        package = _for_architecture(self._layer_package, architecture)
        if package is None:
            return None
        if architecture not in self._layers:
            name = MANAGED_LAYER
            if architecture != primary_architecture(self._config):
                name = '%s-%s' % (MANAGED_LAYER, architecture)
            self._layers[architecture] = models.LambdaLayer(
                resource_name=name,
                layer_name='%s-%s-%s' % (self._config.app_name, self._stage, name),
                runtime=config.lambda_python_version,
                package=package, architecture=architecture)
        return self._layers[architecture]

    def _websocket_api(self, handlers, functions):
        by_key = {key: functions[config.name] for key, config in handlers.items()}
        config = self._scoped(API_HANDLER)
        return models.WebsocketAPI(
            resource_name='websocket_api',
            api_name='%s-%s-websocket-api' % (self._config.app_name, self._stage),
            api_gateway_stage=config.websocket_api_stage,
            connect=by_key.get('$connect'), message=by_key.get('$default'),
            disconnect=by_key.get('$disconnect'))

    def _custom_domain(self, key, api):
        """The custom domain ``key`` of the config sets up for ``api``, if any.

        The endpoint type and the certificate's region are checked here,
        before anything calls AWS: an EDGE domain is served by CloudFront,
        which takes its certificate from us-east-1; a REGIONAL one needs a
        certificate in the API's region.
        """
        from chalice.config import custom_domain_url_prefixes

        domain = getattr(self._scoped(API_HANDLER), key)
        if domain is None:
            return None
        rest = isinstance(api, models.RestAPI)
        endpoint_type = api.endpoint_type if rest else 'REGIONAL'  # v2 domains: REGIONAL
        if endpoint_type not in ('EDGE', 'REGIONAL'):
            raise ConfigError(
                '%s cannot be set up for a %s API: set api_gateway_endpoint_type to EDGE or '
                'REGIONAL, or remove %s.' % (key, endpoint_type, key))
        certificate_arn = domain['certificate_arn']
        cert_region = certificate_arn.split(':')[3]
        wanted = 'us-east-1' if endpoint_type == 'EDGE' else self._region
        if cert_region != wanted and '${' not in wanted:
            raise ConfigError(
                '%s.certificate_arn is in %s but %s custom domains need an ACM certificate in '
                '%s%s: use a certificate from %s%s.' % (
                    key, cert_region, endpoint_type, wanted,
                    ' (CloudFront serves them)' if endpoint_type == 'EDGE' else
                    ' (the region the API is deployed to)', wanted,
                    ' or set api_gateway_endpoint_type to REGIONAL'
                    if endpoint_type == 'EDGE' else ''))
        return models.CustomDomain(
            # An HTTP API's domain has a name of its own: it is a v2 domain, not a REST one.
            resource_name='http_api_custom_domain' if isinstance(api, models.HttpAPI) else key,
            domain_name=domain['domain_name'],
            certificate_arn=certificate_arn, api=api, endpoint_type=endpoint_type,
            tls_version=domain['tls_version'],
            url_prefixes=tuple(custom_domain_url_prefixes(domain)),
            tags=dict(domain.get('tags') or {}))

    def _plan_roles(self, configs, sources=None):
        """Decide each function's role and build the managed roles.

        With a generated policy the functions share the default role, whose
        policy covers every function using it (VPC network-interface and
        X-Ray actions included).  A function whose policy comes from a file
        (``autogen_policy: false``) gets a role of its own, named
        ``<app>-<stage>-<function>``, as AWS Chalice 1.34 deploys it (the API
        handler too).
        """
        self._role_of = {}
        default = self._config.scope(self._stage, API_HANDLER)
        members = {}
        for name, config in configs.items():
            if not config.manage_iam_role:
                problem = missing_role_arn(config)
                if problem is not None:
                    raise ConfigError(problem)
                continue
            if not config.autogen_policy_enabled:
                key = '%s_role' % name
                role_name = '%s-%s-%s' % (self._config.app_name, self._stage, name)
                policy_config = config
            else:
                key, role_name, policy_config = DEFAULT_ROLE, '%s-%s' % (
                    self._config.app_name, self._stage), default
            self._role_of[name] = key
            entry = members.setdefault(key, {'role_name': role_name, 'config': policy_config,
                                             'vpc': False, 'xray': False, 'statements': []})
            entry['vpc'] = entry['vpc'] or bool(config.subnet_ids)
            entry['xray'] = entry['xray'] or bool(config.xray)
            source = (sources or {}).get(name)
            if source is not None:
                statement = event_source_statement(source)
                if statement is not None and statement not in entry['statements']:
                    entry['statements'].append(statement)
        for key, entry in members.items():
            document = self._policy_document(entry['config'], entry['vpc'], entry['xray'])
            if entry['statements'] and entry['config'].autogen_policy_enabled:
                # Polling event sources read the queue/stream as the function's role.
                document = dict(document, Statement=list(document['Statement']) +
                                entry['statements'])
            self._roles[key] = models.ManagedIAMRole(
                resource_name=key, role_name=entry['role_name'], policy_document=document)

    def _policy_document(self, config, vpc, xray):
        project_dir = self._config.project_dir
        if config.autogen_policy_enabled:
            from chalice.policy import policy_from_project

            try:
                return policy_from_project(
                    project_dir, paths=self._policy_sources, vpc=vpc,
                    websockets=bool(getattr(self._app, 'websocket_handlers', None)),
                    xray=xray)
            except SyntaxError as error:
                raise ChaliceError('Cannot generate the IAM policy: %s has a syntax error '
                                   'at line %s.' % (error.filename, error.lineno)) from None
        return load_policy_file(project_dir, self._stage, config.iam_policy_file)

    def _http_api(self, api_function, authorizer_functions):
        from chalice import httpapi

        httpapi.check_app(self._app)
        return models.HttpAPI(
            resource_name='http_api', api_name=self._config.app_name,
            lambda_function=api_function, routes=tuple(httpapi.route_keys(self._app)),
            authorizers=tuple(httpapi.authorizers(self._app)),
            authorizer_functions=tuple(authorizer_functions),
            cors=httpapi.cors_configuration(self._app))

    def _rest_api(self, api_function, authorizers):
        from chalice.deploy.plan import Var

        refuse_jwt_authorizers(self._app)
        config = self._scoped(API_HANDLER)
        authorizer_arns = {a.resource_name: Var('%s.lambda_arn' % a.resource_name)
                           for a in authorizers}
        generator = rest_api_generator(config, Var('%s.lambda_arn' % API_HANDLER),
                                       authorizer_arns, self._region, self._partition)
        definition = generator.generate(self._app)
        return models.RestAPI(
            resource_name='rest_api', api_name=self._config.app_name,
            definition=definition, api_gateway_stage=config.api_gateway_stage,
            lambda_function=api_function, authorizers=tuple(authorizers),
            endpoint_type=generator.endpoint_type,
            minimum_compression_size=config.minimum_compression_size,
            policy=generator.resource_policy, xray=bool(config.xray))


def refuse_jwt_authorizers(app, remedy='set "api_gateway_type": "HTTP" in '
                                      '.chalice/config.json, or use another authorizer'):
    """A REST API has no JWT authorizers: say which route needs an HTTP API."""
    from chalice.app import JWTAuthorizer

    for path, methods in sorted(app.routes.items()):
        for method, entry in sorted(methods.items()):
            if isinstance(entry.authorizer, JWTAuthorizer):
                raise ConfigError(
                    'JWTAuthorizer %r (used by %s %s) needs an HTTP API: %s.'
                    % (entry.authorizer.name, method, path, remedy))


def rest_api_generator(config, api_handler_arn, authorizer_arns, region, partition,
                       generator_class=None, **options):
    """The stage's REST API definition generator, its endpoint settings applied.

    ``config`` is scoped to the API handler; the policy file or, for a
    PRIVATE endpoint, the VPC endpoint policy becomes the resource policy.
    ``generator_class`` (default ``SwaggerGenerator``) is built with these
    settings plus ``options``.
    """
    from chalice.deploy.swagger import SwaggerGenerator, private_endpoint_policy

    endpoint_type = config.api_gateway_endpoint_type
    policy = None
    vpce = config.api_gateway_endpoint_vpce if endpoint_type == 'PRIVATE' else None
    if config.api_gateway_policy_file:
        policy = load_json_file(config.api_gateway_policy_file_path(config.project_dir),
                                 'api_gateway_policy_file')
    elif endpoint_type == 'PRIVATE':
        problem = private_endpoint_problem(config)
        if problem is not None:
            raise ConfigError(problem)
        policy = private_endpoint_policy(vpce)
    return (generator_class or SwaggerGenerator)(
        region, api_handler_arn, authorizer_arns, partition=partition,
        minimum_compression_size=config.minimum_compression_size,
        endpoint_type=endpoint_type, resource_policy=policy,
        vpc_endpoint_ids=[vpce] if isinstance(vpce, str) else vpce, **options)


#: The placeholders ``chalice generate-models`` leaves in the Lambda
#: integration URIs, where deploy puts the region, partition and ARNs.
MODEL_REGION = '{region_name}'
MODEL_PARTITION = '{partition}'
MODEL_API_HANDLER_ARN = '{api_handler_lambda_arn}'
MODEL_AUTHORIZER_ARN = '{%s_lambda_arn}'


def rest_api_model(config, generator_class=None, **options):
    """The Swagger 2.0 document ``chalice deploy`` imports, as plain JSON data.

    The Lambda integration URIs hold the ``MODEL_*`` placeholders instead
    of a region, a partition and function ARNs.  An app without routes is
    an error.  ``generator_class`` and ``options``: see
    :func:`rest_api_generator` (``chalice.openapi.OpenAPI3Generator`` gives
    the OpenAPI 3.0 form).
    """
    from chalice.deploy.swagger import render_document

    app = config.chalice_app
    if not app.routes:
        raise ChaliceError('No REST API found to generate a model from: app.py defines no '
                           '@app.route views.')
    check_matcher(app)
    if generator_class is None:
        # Swagger 2.0 is what a REST API imports; OpenAPI 3 can describe JWT too.
        if config.scope(config.chalice_stage, API_HANDLER).api_gateway_type == 'HTTP':
            refuse_jwt_authorizers(app, remedy='the Swagger 2.0 model describes a REST API; '
                                   'use --format openapi3 for this HTTP API')
        else:
            refuse_jwt_authorizers(app)
    authorizer_arns = {auth.name: MODEL_AUTHORIZER_ARN % auth.name
                       for auth in app.builtin_auth_handlers}
    generator = rest_api_generator(config.scope(config.chalice_stage, API_HANDLER),
                                   MODEL_API_HANDLER_ARN, authorizer_arns, MODEL_REGION,
                                   MODEL_PARTITION, generator_class, **options)
    return render_document(generator.generate(app), str)


def schedule_string(expression):
    """``@app.schedule`` keeps a Rate/Cron object as given; AWS wants its string."""
    to_string = getattr(expression, 'to_string', None)
    return to_string() if callable(to_string) else expression


def event_source_model(source, function):
    """The trigger model for one event-source config record and its function."""
    from chalice.app import (
        CloudWatchEventConfig,
        DynamoDBEventConfig,
        KinesisEventConfig,
        S3EventConfig,
        ScheduledEventConfig,
        SNSEventConfig,
        SQSEventConfig,
    )

    name = source.name
    if isinstance(source, ScheduledEventConfig):
        return models.ScheduledEvent(
            resource_name='%s-event' % name, rule_name=rule_name_for(function.function_name),
            function=function, schedule_expression=schedule_string(source.schedule_expression),
            description=source.description or '')
    if isinstance(source, CloudWatchEventConfig):
        return models.ScheduledEvent(
            resource_name='%s-event' % name, rule_name=rule_name_for(function.function_name),
            function=function, event_pattern=json.dumps(source.event_pattern, sort_keys=True))
    if isinstance(source, SNSEventConfig):
        return models.SNSSubscription(resource_name='%s-sns-subscription' % name,
                                      topic=source.topic, function=function)
    if isinstance(source, SQSEventConfig):
        return models.SQSEventSource(
            resource_name='%s-sqs-event-source' % name, function=function,
            queue=source.queue, queue_arn=source.queue_arn, batch_size=source.batch_size,
            maximum_batching_window_in_seconds=source.maximum_batching_window_in_seconds or 0,
            maximum_concurrency=source.maximum_concurrency,
            report_batch_item_failures=bool(source.report_batch_item_failures))
    if isinstance(source, KinesisEventConfig):
        return models.KinesisEventSource(
            resource_name='%s-kinesis-event-source' % name, function=function,
            stream=source.stream, batch_size=source.batch_size,
            starting_position=source.starting_position,
            maximum_batching_window_in_seconds=source.maximum_batching_window_in_seconds or 0,
            report_batch_item_failures=bool(source.report_batch_item_failures))
    if isinstance(source, DynamoDBEventConfig):
        return models.DynamoDBEventSource(
            resource_name='%s-dynamodb-event-source' % name, function=function,
            stream_arn=source.stream_arn, batch_size=source.batch_size,
            starting_position=source.starting_position,
            maximum_batching_window_in_seconds=source.maximum_batching_window_in_seconds or 0,
            report_batch_item_failures=bool(source.report_batch_item_failures))
    if isinstance(source, S3EventConfig):
        return models.S3BucketNotification(
            resource_name='%s-s3event' % name, bucket=source.bucket, function=function,
            events=tuple(source.events), prefix=source.prefix, suffix=source.suffix)
    raise ChaliceError('Unsupported event source %r' % (source,))


def log_group_model(function):
    """The log group holding the retention setting of ``function``."""
    from chalice.logs import log_group_name

    return models.LogGroup(
        resource_name='%s-log-group' % function.resource_name,
        log_group_name=log_group_name(function.function_name),
        retention_in_days=function.log_retention_in_days, function=function)


def event_source_statement(source):
    """The IAM statement a polled event source needs on the function's role."""
    from chalice.app import DynamoDBEventConfig, KinesisEventConfig, SQSEventConfig

    if isinstance(source, SQSEventConfig):
        arn = source.queue_arn or 'arn:*:sqs:*:*:%s' % source.queue
        return {'Effect': 'Allow', 'Resource': arn,
                'Action': ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage',
                           'sqs:GetQueueAttributes', 'sqs:ReceiveMessage']}
    if isinstance(source, KinesisEventConfig):
        return {'Effect': 'Allow', 'Resource': 'arn:*:kinesis:*:*:stream/%s' % source.stream,
                'Action': ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary',
                           'kinesis:GetRecords', 'kinesis:GetShardIterator',
                           'kinesis:ListShards', 'kinesis:SubscribeToShard']}
    if isinstance(source, DynamoDBEventConfig):
        return {'Effect': 'Allow', 'Resource': source.stream_arn,
                'Action': ['dynamodb:DescribeStream', 'dynamodb:GetRecords',
                           'dynamodb:GetShardIterator', 'dynamodb:ListStreams']}
    return None


def build_application(config, package, layer_package=None, region='us-east-1',
                      partition='aws'):
    return AppGraphBuilder(config, package, layer_package, region, partition).build()


def generated_policy(config, source_files=None):
    """The policy ``chalice deploy`` generates for the stage's default role.

    Code analysis plus the statements deploy adds (websockets, VPC, X-Ray,
    the queues/streams of event sources); ``config`` should have
    ``autogen_policy`` on (that is what is generated then).  An app whose
    functions all have roles of their own, or none, gets the analysis alone.
    """
    policies = AppGraphBuilder(config, None, policy_sources=source_files).role_policies()
    if DEFAULT_ROLE in policies:
        return policies[DEFAULT_ROLE]
    from chalice.policy import policy_from_project

    return policy_from_project(config.project_dir, paths=source_files)


def missing_role_arn(config):
    """The problem of a function whose role Chalice does not manage and nobody names."""
    if config.manage_iam_role or config.iam_role_arn:
        return None
    return '%s is false but no iam_role_arn is set: add "iam_role_arn" (the role the ' \
        'functions run as) or set manage_iam_role to true' % invalid_at(
            config.source_of('manage_iam_role'))


def private_endpoint_problem(config):
    """The problem of a PRIVATE REST API that no VPC endpoint or policy opens.

    An HTTP API has no private endpoints at all; the config check says so.
    """
    if config.api_gateway_endpoint_type != 'PRIVATE' or config.api_gateway_endpoint_vpce or \
            config.api_gateway_policy_file or config.api_gateway_type == 'HTTP':
        return None
    return '%s is PRIVATE but no api_gateway_endpoint_vpce is set: add the VPC endpoint ' \
        'id(s) or an api_gateway_policy_file' % invalid_at(
            config.source_of('api_gateway_endpoint_type'))


def load_policy_file(project_dir, stage, filename=None):
    """The IAM policy for ``autogen_policy: false``: policy-<stage>.json."""
    chalice_dir = os.path.join(project_dir, '.chalice')
    candidates = [filename or 'policy-%s.json' % stage]
    if filename is None and stage == 'dev':
        candidates.append('policy.json')  # the pre-stages name, still honoured for dev
    for candidate in candidates:
        path = candidate if os.path.isabs(candidate) else os.path.join(chalice_dir, candidate)
        if os.path.isfile(path):
            return load_json_file(path, 'iam_policy_file')
    expected = os.path.join('.chalice', candidates[0])
    raise ConfigError(
        'Automatic policy generation is off (--no-autogen-policy or autogen_policy: false) '
        'but the policy file %s does not exist. Create it (chalice gen-policy > %s is a '
        'starting point) or turn autogen_policy back on.' % (expected, expected))


def load_json_file(path, what):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as error:
        raise ConfigError('Cannot read the %s %s: %s' % (what, path, error.strerror)) from None
    except ValueError as error:
        raise ConfigError('The %s %s is not valid JSON: %s' % (what, path, error)) from None
