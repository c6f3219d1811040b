"""Build the IAM policy for a Chalice app's Lambda execution role.

The boto3 client calls found by :mod:`chalice.analyzer` are turned into IAM
actions with botocore's service models: a client method is the snake_case
form of an API operation, and the model's metadata names the IAM service
prefix.  Where IAM's action name differs from the operation name (S3's
``ListObjectsV2`` is authorised by ``s3:ListBucket``, Lambda's ``Invoke``
by ``lambda:InvokeFunction``) a short table of known exceptions is applied.

botocore is imported lazily, only when a policy is actually generated.

Public interface: :func:`actions_for_client_calls`,
:func:`generate_policy`, :func:`policy_from_project`,
:func:`policy_actions`, :func:`diff_policies` and :func:`format_policy`.
"""
import functools
import hashlib
import json
import os

from chalice import analyzer

__all__ = [
    'actions_for_client_calls', 'generate_policy', 'policy_from_project',
    'policy_actions', 'diff_policies', 'format_policy', 'project_source_files',
]

POLICY_VERSION = '2012-10-17'
LOGS_ACTIONS = ('logs:CreateLogGroup', 'logs:CreateLogStream',
                'logs:PutLogEvents')
LOGS_RESOURCE = 'arn:*:logs:*:*:*'
VPC_ACTIONS = ('ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces',
               'ec2:DetachNetworkInterface', 'ec2:DeleteNetworkInterface')
WEBSOCKET_ACTIONS = ('execute-api:ManageConnections',)
WEBSOCKET_RESOURCE = 'arn:*:execute-api:*:*:*/@connections/*'
XRAY_ACTIONS = ('xray:PutTraceSegments', 'xray:PutTelemetryRecords')

# botocore service name -> IAM prefix, where the model's signingName /
# endpointPrefix is not the prefix IAM uses.
_IAM_PREFIX_OVERRIDES = {
    'cloudwatch': 'cloudwatch',
    'iot-data': 'iot',
}
# (botocore service name, operation name) -> the IAM action(s) that
# authorise the operation, for operations whose action is named otherwise.
_IAM_ACTION_OVERRIDES = {
    ('s3', 'ListBuckets'): ('ListAllMyBuckets',),
    ('s3', 'ListObjects'): ('ListBucket',),
    ('s3', 'ListObjectsV2'): ('ListBucket',),
    ('s3', 'HeadBucket'): ('ListBucket',),
    ('s3', 'ListObjectVersions'): ('ListBucketVersions',),
    ('s3', 'ListMultipartUploads'): ('ListBucketMultipartUploads',),
    ('s3', 'ListParts'): ('ListMultipartUploadParts',),
    ('s3', 'HeadObject'): ('GetObject',),
    ('s3', 'SelectObjectContent'): ('GetObject',),
    ('s3', 'CreateMultipartUpload'): ('PutObject',),
    ('s3', 'UploadPart'): ('PutObject',),
    ('s3', 'CompleteMultipartUpload'): ('PutObject',),
    ('s3', 'CopyObject'): ('GetObject', 'PutObject'),
    ('s3', 'UploadPartCopy'): ('GetObject', 'PutObject'),
    ('s3', 'DeleteObjects'): ('DeleteObject',),
    ('s3', 'GetBucketLifecycleConfiguration'): ('GetLifecycleConfiguration',),
    ('s3', 'PutBucketLifecycleConfiguration'): ('PutLifecycleConfiguration',),
    ('s3', 'DeleteBucketLifecycle'): ('PutLifecycleConfiguration',),
    ('s3', 'GetBucketNotificationConfiguration'): ('GetBucketNotification',),
    ('s3', 'PutBucketNotificationConfiguration'): ('PutBucketNotification',),
    ('lambda', 'Invoke'): ('InvokeFunction',),
    ('lambda', 'InvokeWithResponseStream'): ('InvokeFunction',),
    ('apigatewaymanagementapi', 'PostToConnection'): ('ManageConnections',),
    ('apigatewaymanagementapi', 'GetConnection'): ('ManageConnections',),
    ('apigatewaymanagementapi', 'DeleteConnection'): ('ManageConnections',),
}


@functools.lru_cache(maxsize=1)
def _botocore_session():
    import botocore.session
    return botocore.session.get_session()


@functools.lru_cache(maxsize=None)
def _service_operations(service_name):
    """``(iam_prefix, {method_name: OperationName})`` or None if unknown."""
    from botocore import xform_name
    from botocore.exceptions import BotoCoreError
    if not isinstance(service_name, str) or not service_name:
        return None
    try:
        model = _botocore_session().get_service_model(service_name)
    except BotoCoreError:
        return None
    metadata = model.metadata
    prefix = (_IAM_PREFIX_OVERRIDES.get(service_name)
              or metadata.get('signingName')
              or metadata.get('endpointPrefix')
              or service_name)
    operations = {xform_name(name): name for name in model.operation_names}
    return prefix, operations


def actions_for_client_calls(client_calls):
    """Sorted IAM actions for ``{service: {client_method, ...}}``.

    Services botocore does not know and methods that are not API operations
    of the service are skipped.
    """
    actions = set()
    for service_name, methods in client_calls.items():
        known = _service_operations(service_name)
        if known is None:
            continue
        prefix, operations = known
        for method in methods:
            operation = operations.get(method)
            if operation is None:
                continue
            names = _IAM_ACTION_OVERRIDES.get((service_name, operation),
                                              (operation,))
            actions.update('%s:%s' % (prefix, name) for name in names)
    return sorted(actions)


def _statement_id(actions):
    """A 32 hex digit Sid that depends only on the (sorted) actions."""
    digest = hashlib.sha256('\n'.join(actions).encode('utf-8'))
    return digest.hexdigest()[:32]


def generate_policy(client_calls, *, vpc=False, websockets=False,
                    xray=False):
    """The execution role policy document for the given client calls.

    The result depends only on its arguments, so regenerating the policy
    for an unchanged app gives byte-identical JSON.
    """
    statements = [{
        'Effect': 'Allow',
        'Action': list(LOGS_ACTIONS),
        'Resource': LOGS_RESOURCE,
    }]
    actions = actions_for_client_calls(client_calls)
    if actions:
        statements.append({
            'Action': actions,
            'Resource': ['*'],
            'Effect': 'Allow',
            'Sid': _statement_id(actions),
        })
    if vpc:
        statements.append({'Effect': 'Allow', 'Action': list(VPC_ACTIONS),
                           'Resource': '*'})
    if websockets:
        statements.append({'Effect': 'Allow',
                           'Action': list(WEBSOCKET_ACTIONS),
                           'Resource': WEBSOCKET_RESOURCE})
    if xray:
        statements.append({'Effect': 'Allow', 'Action': list(XRAY_ACTIONS),
                           'Resource': '*'})
    return {'Version': POLICY_VERSION, 'Statement': statements}


def project_source_files(project_dir):
    """``app.py`` (when present) and every ``.py`` file under chalicelib/.

    Paths come back in a stable, sorted order.
    """
    files = []
    app_py = os.path.join(project_dir, 'app.py')
    if os.path.isfile(app_py):
        files.append(app_py)
    chalicelib = os.path.join(project_dir, 'chalicelib')
    found = []
    for root, dirs, names in os.walk(chalicelib):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        found.extend(os.path.join(root, name) for name in names
                     if name.endswith('.py'))
    return files + sorted(found)


def policy_from_project(project_dir, paths=None, **flags):
    """Analyse a project's sources (or just ``paths``) and generate its policy.

    *flags* are passed on to :func:`generate_policy` (``vpc``,
    ``websockets``, ``xray``).  A :class:`SyntaxError` in any source file
    propagates so the caller can report it.
    """
    if paths is None:
        paths = project_source_files(project_dir)
    client_calls = analyzer.get_client_calls_for_files(paths)
    return generate_policy(client_calls, **flags)


def policy_actions(policy):
    """Every action the policy's ``Allow`` statements grant."""
    actions = set()
    if not policy:
        return actions
    statements = policy.get('Statement', [])
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements:
        if not isinstance(statement, dict):
            continue
        if statement.get('Effect') != 'Allow':
            continue
        action = statement.get('Action', [])
        if isinstance(action, str):
            action = [action]
        actions.update(a for a in action if isinstance(a, str))
    return actions


def diff_policies(old, new):
    """``(added, removed)``: sorted actions gained and lost going to *new*."""
    old_actions = policy_actions(old)
    new_actions = policy_actions(new)
    return (sorted(new_actions - old_actions),
            sorted(old_actions - new_actions))


def format_policy(policy):
    """The policy as ``chalice gen-policy`` prints it (2-space JSON)."""
    return json.dumps(policy, indent=2, separators=(',', ': '))
