"""Lambda resource-policy permissions: one implementation for every trigger.

Each home that lets an AWS service invoke a function (API Gateway, EventBridge,
SNS, S3) reads the function's policy in ``read_remote`` with
:func:`function_policy_statements`, checks it with :func:`has_grant` while
planning, and adds a missing grant with :func:`add_permission`, whose
statement id is derived from the source ARN so the same grant always gets
the same id.
"""
import json

from chalice.deploy.plan import APICall, Digest, Template, Var, try_resolve

INVOKE_ACTIONS = ('lambda:InvokeFunction', 'lambda:*')


def function_policy_statements(aws, function_name):
    """The statements of a function's resource policy ([] if none or no function)."""
    response = aws.call('lambda', 'get_policy', {'FunctionName': function_name},
                        ignore_errors=('ResourceNotFoundException',))
    if not response:
        return []
    try:
        return json.loads(response['Policy']).get('Statement', [])
    except (ValueError, KeyError, AttributeError):
        return []


def has_grant(statements, service, source_arn, source_account=None):
    """Whether ``service`` may invoke the function when acting for ``source_arn``.

    With ``source_account``, a statement that pins a different account does
    not count (one that pins none does).
    """
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
            return True
    return False


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


def sam_permission(function_id, service, source_arn):
    """An ``AWS::Lambda::Permission`` letting ``service`` invoke a template's function."""
    return {
        'Type': 'AWS::Lambda::Permission',
        'Properties': {
            'FunctionName': {'Ref': function_id},
            'Action': 'lambda:InvokeFunction',
            'Principal': service,
            'SourceArn': source_arn,
        },
    }


def sam_execute_api_arn(api_id, suffix):
    """``Fn::Sub`` of an execute-api ARN of a template's API (``RestAPI``...)."""
    return {'Fn::Sub': 'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:'
                       '${%s}%s' % (api_id, suffix)}


def missing_grants(grants, statements, service, prefix, known):
    """``add_permission`` steps for the grants a function policy lacks.

    ``grants`` holds ``(function model, source ARN)`` pairs (the ARN may hold
    placeholders); ``statements`` maps function names to the statements read
    by the remote reader.  A grant whose ARN is not known yet (the resource it
    names is being created) is always added.
    """
    steps = []
    for function, source_arn in grants:
        known_arn = try_resolve(source_arn, known)
        if known_arn is not None and has_grant(statements.get(function.function_name),
                                               service, known_arn):
            continue
        steps.append(add_permission(Var('%s.lambda_arn' % function.resource_name),
                                    service, source_arn, prefix))
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
