"""AWS's documented limits on the names and settings Chalice sends to AWS.

The validation pass (:mod:`chalice.validation` for the config file and the
command line, :mod:`chalice.appcheck` for decorator arguments) checks every
value against these before anything is built or any AWS call is made.

Most values are the ``min``/``max``/``pattern``/``enum`` of the API parameter
in botocore's service models (the shape is named next to each constant, and
``tests/unit/test_limits.py`` compares them with the installed models); the
rest come from the AWS documentation where the model says nothing (noted).
Patterns are anchored with ``fullmatch``.

Standard library only.
"""
import re

# ---------------------------------------------------------------- Lambda

# lambda FunctionName: the name part of the pattern.  A bare name (no ARN) is
# limited to 64 characters (documented; the model's max of 140 is for ARNs).
FUNCTION_NAME_RE = re.compile(r'[a-zA-Z0-9_-]+')
MAX_FUNCTION_NAME = 64
# lambda RoleArn (also what API Gateway accepts as an authorizer's role).
ROLE_ARN_RE = re.compile(r'arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+')
# lambda LayerVersionArn.
LAYER_VERSION_ARN_RE = re.compile(
    r'((arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:'
    r'\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+))')
# Documented quota: at most five layers per function.
MAX_LAYERS = 5
# lambda EnvironmentVariableName.
ENV_NAME_RE = re.compile(r'[a-zA-Z]([a-zA-Z0-9_])+')
# Documented: names the runtime sets, which a function's configuration may not.
RESERVED_ENV_NAMES = frozenset([
    '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV',
    'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
    'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE',
    'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY',
    'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
    'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR', 'TZ'])
# Documented quota: all of a function's environment variables take at most 4 KB.
MAX_ENVIRONMENT_BYTES = 4096
# lambda TagKey / TagValue (\p{L}\p{Z}\p{N} written as Python classes).
TAG_RE = re.compile(r'[\w\s.:/=+\-@]*')
MAX_TAG_KEY, MAX_TAG_VALUE = 128, 256
# Documented: at most 50 tags per resource; "aws:" starts reserved keys.
MAX_TAGS = 50
RESERVED_TAG_PREFIX = 'aws:'
# lambda VpcConfig SubnetIds / SecurityGroupIds (max), EC2's id formats.
MAX_SUBNETS, MAX_SECURITY_GROUPS = 16, 5
SUBNET_ID_RE = re.compile(r'subnet-[0-9a-f]+')
SECURITY_GROUP_ID_RE = re.compile(r'sg-[0-9a-f]+')

# ------------------------------------------- Lambda event source mappings

# lambda BatchSize; per source the documented maximum is lower for FIFO queues.
BATCH_SIZE = (1, 10000)
MAX_FIFO_BATCH_SIZE = 10
# Documented: a batch size over 10 (standard queues) needs a batching window.
MAX_BATCH_SIZE_WITHOUT_WINDOW = 10
# lambda MaximumBatchingWindowInSeconds.
BATCHING_WINDOW = (0, 300)
# lambda ScalingConfig MaximumConcurrency.
MAXIMUM_CONCURRENCY = (2, 1000)
# lambda EventSourcePosition, without AT_TIMESTAMP (Chalice has no timestamp to give).
STARTING_POSITIONS = ('TRIM_HORIZON', 'LATEST')

# ------------------------------------------------------ queues and streams

# Documented (sqs CreateQueue QueueName): up to 80 characters, ".fifo" included.
QUEUE_NAME_RE = re.compile(r'[a-zA-Z0-9_-]+(\.fifo)?')
MAX_QUEUE_NAME = 80
QUEUE_ARN_RE = re.compile(r'arn:aws[a-zA-Z-]*:sqs:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]+(\.fifo)?')
# Documented (sns CreateTopic Name): 1-256 letters, digits, "_" and "-".
TOPIC_NAME_RE = re.compile(r'[a-zA-Z0-9_-]{1,256}')
TOPIC_ARN_RE = re.compile(r'arn:aws[a-zA-Z-]*:sns:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]{1,256}')
# kinesis StreamName.
STREAM_NAME_RE = re.compile(r'[a-zA-Z0-9_.-]+')
MAX_STREAM_NAME = 128
# dynamodbstreams StreamArn (min 37, max 1024) in the form DynamoDB gives it.
DYNAMODB_STREAM_ARN_RE = re.compile(
    r'arn:aws[a-zA-Z-]*:dynamodb:[a-z0-9-]+:\d{12}:table/[a-zA-Z0-9_.-]+/stream/\S+')
DYNAMODB_STREAM_ARN_LENGTH = (37, 1024)

# -------------------------------------------------------------------- S3

# Documented bucket naming rules: 3-63 lower-case letters, digits, "." and
# "-", starting and ending with a letter or digit.  Buckets made in
# us-east-1 before March 2018 may have up to 255 characters, upper case and
# "_": those are accepted too.
BUCKET_NAME_RE = re.compile(r'[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]')
LEGACY_BUCKET_NAME_RE = re.compile(r'[a-zA-Z0-9][a-zA-Z0-9._-]{1,253}[a-zA-Z0-9]')
# s3 Event (the enum of notification event types).
S3_EVENTS = (
    's3:ReducedRedundancyLostObject', 's3:ObjectCreated:*', 's3:ObjectCreated:Put',
    's3:ObjectCreated:Post', 's3:ObjectCreated:Copy',
    's3:ObjectCreated:CompleteMultipartUpload', 's3:ObjectRemoved:*',
    's3:ObjectRemoved:Delete', 's3:ObjectRemoved:DeleteMarkerCreated', 's3:ObjectRestore:*',
    's3:ObjectRestore:Post', 's3:ObjectRestore:Completed', 's3:Replication:*',
    's3:Replication:OperationFailedReplication', 's3:Replication:OperationNotTracked',
    's3:Replication:OperationMissedThreshold',
    's3:Replication:OperationReplicatedAfterThreshold', 's3:ObjectRestore:Delete',
    's3:LifecycleTransition', 's3:IntelligentTiering', 's3:ObjectAcl:Put',
    's3:LifecycleExpiration:*', 's3:LifecycleExpiration:Delete',
    's3:LifecycleExpiration:DeleteMarkerCreated', 's3:ObjectTagging:*',
    's3:ObjectTagging:Put', 's3:ObjectTagging:Delete', 's3:ObjectAnnotation:*',
    's3:ObjectAnnotation:Put', 's3:ObjectAnnotation:Delete', 's3:ObjectRetention:Put',
    's3:MultipartUpload:*', 's3:MultipartUpload:PartUploaded',
    's3:MultipartUpload:PartCopied', 's3:MultipartUpload:Aborted')
# Documented: object keys (and so key name filters) are at most 1024 bytes.
MAX_KEY_FILTER = 1024

# ------------------------------------------------------------ EventBridge

# events ScheduleExpression, EventPattern and RuleDescription (max).
MAX_SCHEDULE_EXPRESSION = 256
MAX_EVENT_PATTERN = 4096
MAX_RULE_DESCRIPTION = 512

# ------------------------------------------------------------ API Gateway

# Documented (CreateStage stageName): letters, digits, "-" and "_", at most 128.
API_STAGE_NAME_RE = re.compile(r'[a-zA-Z0-9_-]{1,128}')
# Documented (CreateAuthorizer authorizerResultTtlInSeconds): 0 to 3600.
AUTHORIZER_TTL = (0, 3600)
COGNITO_USER_POOL_ARN_RE = re.compile(
    r'arn:aws[a-zA-Z-]*:cognito-idp:[a-z0-9-]+:\d{12}:userpool/[a-z0-9-]+_[0-9a-zA-Z]+')
# The VPC endpoint ids a PRIVATE endpoint names (EC2's id format).
VPC_ENDPOINT_ID_RE = re.compile(r'vpce-[0-9a-f]+')
# RFC 7230 token: the characters of an HTTP header name.
HEADER_NAME_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# A media type as API Gateway matches it: type/subtype.
MEDIA_TYPE_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+")

# ------------------------------------------------------------------- IAM

# iam roleNameType.
ROLE_NAME_RE = re.compile(r'[\w+=,.@-]+')
MAX_ROLE_NAME = 64


def between(value, bounds):
    """``value`` is an int (not a bool) within the ``(low, high)`` pair."""
    return (isinstance(value, int) and not isinstance(value, bool)
            and bounds[0] <= value <= bounds[1])


def is_bucket_name(name):
    return isinstance(name, str) and bool(
        BUCKET_NAME_RE.fullmatch(name) or LEGACY_BUCKET_NAME_RE.fullmatch(name))
