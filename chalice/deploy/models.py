"""Resource models: what an app needs in AWS, as frozen values.

:mod:`chalice.deploy.appgraph` builds these from the app and the resolved
config; the planner compares them with the recorded and remote state.  Each
model has ``resource_name`` (its key in the state file) and
``resource_type`` (the state file's ``resource_type`` and the key of its
home in :mod:`chalice.deploy.resources`).  ``dependencies()`` lists the
models it refers to, which fixes the order of creation (and the reverse
order of deletion).
"""
from dataclasses import dataclass, field
from typing import Any, ClassVar, Optional

LAMBDA_TRUST_POLICY = {
    'Version': '2012-10-17',
    'Statement': [{
        'Sid': '',
        'Effect': 'Allow',
        'Principal': {'Service': 'lambda.amazonaws.com'},
        'Action': 'sts:AssumeRole',
    }],
}


class Model:
    # Subclasses define ``resource_type`` (class attribute) and
    # ``resource_name`` (a field; a class attribute of None when the model is
    # never recorded).  No default here: dataclasses would inherit it.
    resource_type: ClassVar[Optional[str]] = None

    def dependencies(self):
        return []


@dataclass(frozen=True)
class ManagedIAMRole(Model):
    """A role chalice creates and owns, with one inline policy."""

    resource_name: str
    role_name: str
    policy_document: Any
    trust_policy: Any = field(default_factory=lambda: LAMBDA_TRUST_POLICY)
    resource_type = 'iam_role'

    @property
    def policy_name(self):
        return self.role_name


@dataclass(frozen=True)
class PreCreatedIAMRole(Model):
    """A role the user manages (``manage_iam_role: false``)."""

    role_arn: str
    resource_name = None  # never recorded
    resource_type = 'precreated_iam_role'


@dataclass(frozen=True)
class DeploymentPackage:
    path: str
    code_sha256: str  # base64 of the sha256 digest, as Lambda reports it
    size: int = 0


@dataclass(frozen=True)
class LambdaLayer(Model):
    """The managed layer holding the dependencies (``automatic_layer``)."""

    resource_name: str
    layer_name: str
    runtime: str
    package: DeploymentPackage
    architecture: str = 'x86_64'
    resource_type = 'lambda_layer'


@dataclass(frozen=True)
class LambdaFunction(Model):
    resource_name: str
    function_name: str
    handler: str
    runtime: str
    role: Any  # ManagedIAMRole or PreCreatedIAMRole
    package: DeploymentPackage
    memory_size: int = 128
    timeout: int = 60
    environment_variables: Any = field(default_factory=dict)
    tags: Any = field(default_factory=dict)
    layers: tuple = ()
    managed_layer: Optional[LambdaLayer] = None
    subnet_ids: tuple = ()
    security_group_ids: tuple = ()
    reserved_concurrency: Optional[int] = None
    xray: bool = False
    ephemeral_storage: int = 512
    log_retention_in_days: Optional[int] = None
    architecture: str = 'x86_64'
    resource_type = 'lambda_function'

    def dependencies(self):
        deps = [self.role] if isinstance(self.role, ManagedIAMRole) else []
        if self.managed_layer is not None:
            deps.append(self.managed_layer)
        return deps


@dataclass(frozen=True)
class LogGroup(Model):
    """A function's CloudWatch Logs group with a retention (``log_retention_in_days``)."""

    resource_name: str
    log_group_name: str
    retention_in_days: int
    function: LambdaFunction
    resource_type = 'log_group'

    def dependencies(self):
        return [self.function]


@dataclass(frozen=True)
class RestAPI(Model):
    """The REST API, its stage deployment and the Lambda permissions."""

    resource_name: str
    api_name: str
    definition: Any  # Swagger 2.0 dict, possibly holding placeholders
    api_gateway_stage: str
    lambda_function: LambdaFunction
    authorizers: tuple = ()  # LambdaFunction models of built-in authorizers
    endpoint_type: str = 'EDGE'
    minimum_compression_size: Optional[int] = None
    policy: Any = None
    xray: bool = False  # active X-Ray tracing of the API Gateway stage
    resource_type = 'rest_api'

    def dependencies(self):
        # The API handler first, then the authorizers: AWS Chalice's order.
        return [self.lambda_function] + list(self.authorizers)


@dataclass(frozen=True)
class HttpAPI(Model):
    """An API Gateway v2 HTTP API (``api_gateway_type: HTTP``).

    One route per view and method, all to one Lambda proxy integration
    (payload format 2.0) of the API handler; JWT and Lambda authorizers; the
    ``$default`` stage with auto-deploy; CORS through the API's
    CorsConfiguration.  ``routes`` holds ``(route key, RouteAuth)`` pairs and
    ``authorizers`` :class:`chalice.httpapi.AuthorizerSpec` values (both
    from :mod:`chalice.httpapi`); ``authorizer_functions`` the LambdaFunction
    of each built-in (REQUEST) authorizer.
    """

    resource_name: str
    api_name: str
    lambda_function: LambdaFunction
    routes: tuple = ()
    authorizers: tuple = ()
    authorizer_functions: tuple = ()
    cors: Any = None  # CorsConfiguration with API Gateway's names, or None
    resource_type = 'http_api'
    # The one stage (auto-deployed) a custom domain's API mappings point at.
    api_gateway_stage: ClassVar[str] = '$default'

    def authorizer_function(self, spec):
        """The LambdaFunction of a REQUEST authorizer spec."""
        for function in self.authorizer_functions:
            if function.resource_name == spec.function:
                return function
        raise KeyError(spec.function)

    def dependencies(self):
        return [self.lambda_function] + list(self.authorizer_functions)


class _EventSourceModel(Model):
    """Common shape: one Lambda function wired to one trigger."""

    def dependencies(self):
        return [self.function]


@dataclass(frozen=True)
class ScheduledEvent(_EventSourceModel):
    """An EventBridge rule (schedule or event pattern) targeting a function."""

    resource_name: str
    rule_name: str
    function: LambdaFunction
    schedule_expression: Optional[str] = None
    event_pattern: Optional[str] = None  # JSON text, as PutRule takes it
    description: str = ''
    resource_type = 'cloudwatch_event'


@dataclass(frozen=True)
class SNSSubscription(_EventSourceModel):
    resource_name: str
    topic: str  # a name, or an ARN (another region/account)
    function: LambdaFunction
    resource_type = 'sns_event'


@dataclass(frozen=True)
class SQSEventSource(_EventSourceModel):
    resource_name: str
    function: LambdaFunction
    queue: Optional[str] = None  # a queue name ...
    queue_arn: Optional[str] = None  # ... or its ARN
    batch_size: int = 1
    maximum_batching_window_in_seconds: int = 0
    maximum_concurrency: Optional[int] = None
    report_batch_item_failures: bool = False
    resource_type = 'sqs_event'


@dataclass(frozen=True)
class KinesisEventSource(_EventSourceModel):
    resource_name: str
    function: LambdaFunction
    stream: str  # stream name
    batch_size: int = 100
    starting_position: str = 'LATEST'
    maximum_batching_window_in_seconds: int = 0
    report_batch_item_failures: bool = False
    resource_type = 'kinesis_event'


@dataclass(frozen=True)
class DynamoDBEventSource(_EventSourceModel):
    resource_name: str
    function: LambdaFunction
    stream_arn: str
    batch_size: int = 100
    starting_position: str = 'LATEST'
    maximum_batching_window_in_seconds: int = 0
    report_batch_item_failures: bool = False
    resource_type = 'dynamodb_event'


@dataclass(frozen=True)
class S3BucketNotification(_EventSourceModel):
    """One entry in an existing bucket's notification configuration."""

    resource_name: str
    bucket: str
    function: LambdaFunction
    events: tuple = ('s3:ObjectCreated:*',)
    prefix: Optional[str] = None
    suffix: Optional[str] = None
    resource_type = 's3_event'


# The Description of each route's integration, as AWS Chalice sets it.
WEBSOCKET_ROUTE_DESCRIPTIONS = {'$connect': 'connect', '$default': 'message',
                                '$disconnect': 'disconnect'}


@dataclass(frozen=True)
class WebsocketAPI(Model):
    """The API Gateway v2 websocket API and its routes to the handlers."""

    resource_name: str
    api_name: str
    api_gateway_stage: str
    connect: Optional[LambdaFunction] = None
    message: Optional[LambdaFunction] = None
    disconnect: Optional[LambdaFunction] = None
    resource_type = 'websocket_api'

    def routes(self):
        """(route key, function) for each handler the app defines."""
        pairs = (('$connect', self.connect), ('$default', self.message),
                 ('$disconnect', self.disconnect))
        return [(key, fn) for key, fn in pairs if fn is not None]

    def dependencies(self):
        return [fn for _, fn in self.routes()]


@dataclass(frozen=True)
class CustomDomain(Model):
    """An API Gateway custom domain name mapped to one API's stage.

    ``api`` is the :class:`RestAPI` (an API Gateway v1 domain whose endpoint
    type follows the API's), the :class:`WebsocketAPI` or the
    :class:`HttpAPI` (API Gateway v2 domains, always REGIONAL).
    ``url_prefixes`` are the base paths mapped to the API's stage, ``''``
    being the root.
    """

    # api_gateway_custom_domain (REST API) / http_api_custom_domain (HTTP API:
    # api_gateway_custom_domain in the config) / websocket_api_custom_domain
    resource_name: str
    domain_name: str
    certificate_arn: str
    api: Any
    endpoint_type: str = 'EDGE'
    tls_version: str = 'TLS_1_2'
    url_prefixes: tuple = ('',)
    tags: Any = field(default_factory=dict)
    resource_type = 'domain_name'

    @property
    def websocket(self):
        return isinstance(self.api, WebsocketAPI)

    @property
    def v2(self):
        """Whether the domain is an API Gateway v2 one (websocket and HTTP APIs)."""
        return not isinstance(self.api, RestAPI)

    def urls(self):
        """The URLs the API answers on through this domain, one per base path."""
        scheme = 'wss' if self.websocket else 'https'
        return ['%s://%s/%s' % (scheme, self.domain_name, prefix + '/' if prefix else '')
                for prefix in self.url_prefixes]

    def dependencies(self):
        return [self.api]


@dataclass(frozen=True)
class Application:
    """The root of the graph: every model of one app and stage."""

    app_name: str
    stage: str
    resources: tuple

    def ordered(self):
        """Every model once, dependencies before dependents."""
        seen = {}
        order = []

        def visit(model):
            key = id(model)
            if key in seen:
                return
            seen[key] = True
            for dep in model.dependencies():
                visit(dep)
            if model.resource_name is not None:
                order.append(model)

        for model in self.resources:
            visit(model)
        # Equal models reached twice (e.g. a role shared by functions) are one.
        unique = []
        names = set()
        for model in order:
            if model.resource_name not in names:
                names.add(model.resource_name)
                unique.append(model)
        return unique
