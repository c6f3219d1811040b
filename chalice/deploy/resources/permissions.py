"""Lambda resource-policy permissions: one implementation for every trigger.

Each home that lets an AWS service invoke a function (API Gateway, EventBridge,
SNS, S3) reads the function's policy in ``read_remote`` with
:func:`function_policy_statements` and plans the grant with
:func:`plan_grant` (or :func:`missing_grants` for several): a missing grant
is added with :func:`add_permission`, whose statement id is derived from the
source ARN so the same grant always gets the same id.

A function's policy ends up with one statement per grant, whoever wrote it:
a statement AWS Chalice added (random statement id) is adopted, not
duplicated; further statements for the same grant are removed; and a
broader statement a grant replaces (AWS Chalice lets API Gateway invoke an
authorizer from ``<api id>/*``, we from ``<api id>/authorizers/*`` only) is
removed right after ours is added, in the same deploy.
"""
import json

from chalice.deploy.plan import APICall, Digest, Template, Var, sha256_of, try_resolve
from chalice.deploy.reading import ReadSession

INVOKE_ACTIONS = ('lambda:InvokeFunction', 'lambda:*')
#: The principal the REST, HTTP and websocket APIs invoke their functions as.
APIGATEWAY_PRINCIPAL = 'apigateway.amazonaws.com'
_FUNCTION_GONE = ('ResourceNotFoundException',)


def function_policy_statements(aws, function_name):
    """The statements of a function's resource policy ([] if none or no function).

    Through a :class:`~chalice.deploy.reading.ReadSession`, read once per
    deploy, and not at all for a function that does not exist.
    """
    if isinstance(aws, ReadSession):
        return aws.function_policy(function_name, _read_statements)
    return _read_statements(aws, function_name)


def _read_statements(aws, function_name):
    response = aws.call('lambda', 'get_policy', {'FunctionName': function_name},
                        ignore_errors=('ResourceNotFoundException',))
    if not response:
        return []
    try:
        return json.loads(response['Policy']).get('Statement', [])
    except (ValueError, KeyError, AttributeError):
        return []


def granting_sids(statements, service, source_arn, source_account=None):
    """Statement ids of the statements letting ``service`` invoke for ``source_arn``.

    With ``source_account``, a statement that pins a different account does
    not count (one that pins none does).
    """
    sids = []
    for statement in statements or []:
        if statement.get('Effect') != 'Allow':
            continue
        principal = statement.get('Principal')
        found = principal.get('Service') if isinstance(principal, dict) else principal
        if found != service:
            continue
        actions = statement.get('Action')
        actions = [actions] if isinstance(actions, str) else list(actions or [])
        if not any(action in INVOKE_ACTIONS for action in actions):
            continue
        condition = statement.get('Condition') or {}
        if (condition.get('ArnLike') or {}).get('AWS:SourceArn') != source_arn:
            continue
        account = (condition.get('StringEquals') or {}).get('AWS:SourceAccount')
        if source_account is None or account in (None, source_account):
            sids.append(statement.get('Sid'))
    return sids


def has_grant(statements, service, source_arn, source_account=None):
    """Whether ``service`` may invoke the function when acting for ``source_arn``."""
    return bool(granting_sids(statements, service, source_arn, source_account))


def remove_permission(lambda_arn, sid):
    return APICall('lambda', 'remove_permission', {
        'FunctionName': lambda_arn, 'StatementId': sid}, ignore_errors=_FUNCTION_GONE)


def redundant_sids(statements, service, source_arn, keep_sid, source_account=None):
    """Ids of the statements granting the same as the one to keep (``keep_sid``).

    When ``keep_sid`` is not among them, the first one found is kept.
    """
    sids = granting_sids(statements, service, source_arn, source_account)
    if not sids:
        return []
    kept = keep_sid if keep_sid in sids else sids[0]
    return [sid for sid in sids if sid != kept]


def plan_grant(statements, lambda_arn, service, source_arn, prefix, known, replaces=()):
    """Steps leaving the function's policy with one statement for this grant.

    ``statements`` is what the remote reader found (None: the function is
    new).  A grant whose source ARN is not known yet (the resource it names
    is being created) is simply added.  ``replaces`` lists source ARNs of
    broader grants this one stands for: their statements are removed once
    this grant is in place.
    """
    known_arn = try_resolve(source_arn, known)
    if known_arn is None:
        return [add_permission(lambda_arn, service, source_arn, prefix)]
    steps = []
    ours = prefix + sha256_of(known_arn)
    if not has_grant(statements, service, known_arn):
        steps.append(add_permission(lambda_arn, service, source_arn, prefix))
    stale = redundant_sids(statements, service, known_arn, ours)
    for broader in replaces:
        broader_arn = try_resolve(broader, known)
        if broader_arn is not None and broader_arn != known_arn:
            stale.extend(granting_sids(statements, service, broader_arn))
    steps.extend(remove_permission(lambda_arn, sid) for sid in stale if sid)
    return steps


def statement_id(prefix, source_arn):
    """A statement id derived from the source ARN: the same grant, the same id."""
    return Template((prefix, Digest(source_arn)))


def add_permission(lambda_arn, service, source_arn, prefix):
    # ResourceConflictException: a statement with this id exists, so the grant does.
    return APICall('lambda', 'add_permission', {
        'FunctionName': lambda_arn,
        'StatementId': statement_id(prefix, source_arn),
        'Action': 'lambda:InvokeFunction',
        'Principal': service,
        'SourceArn': source_arn}, ignore_errors=('ResourceConflictException',))


def sam_permission(function_id, service, source_arn, by_arn=False):
    """An ``AWS::Lambda::Permission`` letting ``service`` invoke a template's function.

    The function is named by its ``Ref`` or, with ``by_arn`` (what AWS
    Chalice writes for a built-in authorizer), by its ARN.
    """
    function_name = {'Fn::GetAtt': [function_id, 'Arn']} if by_arn else {'Ref': function_id}
    return {
        'Type': 'AWS::Lambda::Permission',
        'Properties': {
            'FunctionName': function_name,
            'Action': 'lambda:InvokeFunction',
            'Principal': service,
            'SourceArn': source_arn,
        },
    }


def execute_api_arn(ctx, api_id, suffix='/*'):
    """The execute-api ARN of an API (a plan value): every route and stage by default,
    ``/authorizers/*`` for its authorizers."""
    return Template(('arn:%s:execute-api:%s:%s:' % (ctx.partition, ctx.region, ctx.account_id),
                     api_id, suffix))


def sam_execute_api_arn(api_id, suffix):
    """``Fn::Sub`` of an execute-api ARN of a template's API (``RestAPI``...).

    The list form with a variable ``<api>Id`` bound to the API's ``Ref``, as
    AWS Chalice writes it.
    """
    variable = api_id + 'Id'
    return {'Fn::Sub': [
        'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${%s}%s'
        % (variable, suffix), {variable: {'Ref': api_id}}]}


def missing_grants(grants, statements, service, prefix, known):
    """:func:`plan_grant` steps for each grant.

    ``grants`` holds ``(function model, source ARN)`` pairs, or triples
    whose third item lists the source ARNs of broader grants it replaces
    (ARNs may hold placeholders); ``statements`` maps function names to the
    statements read by the remote reader.
    """
    steps = []
    for function, source_arn, *rest in grants:
        steps.extend(plan_grant(statements.get(function.function_name),
                                Var('%s.lambda_arn' % function.resource_name), service,
                                source_arn, prefix, known, rest[0] if rest else ()))
    return steps


def tf_permission(ctx, function, service, source_arn, **extra):
    """An ``aws_lambda_permission`` letting ``service`` invoke ``function`` for
    ``source_arn`` (a plan value: placeholders become references)."""
    arguments = {
        'function_name': ctx.function_arn(function),
        'action': 'lambda:InvokeFunction',
        'principal': service,
        'source_arn': ctx.value(source_arn),
    }
    arguments.update({key: ctx.value(value) for key, value in extra.items()})
    return arguments
