"""EventBridge (CloudWatch Events) rules: schedules and event patterns.

Each ``@app.schedule``/``@app.on_cw_event`` handler gets one rule, named
``<function name>-event`` as AWS Chalice names it (see
:func:`chalice.deploy.appgraph.rule_name_for`), with one target (Id ``'1'``)
pointing at the function, and a statement in the function's resource policy
letting ``events.amazonaws.com`` invoke it from that rule.  The rule is
found by name, so a rerun after a crash (or a lost state file) converges and
a rule AWS Chalice created is adopted; the rule is put again only when its
expression, pattern, description or state differ, the target only when no
target points at the function (whatever its Id; extra ones are removed),
and the permission only when the function's policy lacks it.

The record is ``{rule_name, rule_arn}`` (AWS Chalice records ``rule_name``).
A recorded rule of another name (an earlier version named rules like their
function) is deleted, with its permission statement.  Deleting removes the
rule's targets and then the rule; the function (and its policy) belongs to
the Lambda home, which deletes it separately.
"""
import json
import os

from chalice.deploy.naming import tf_arguments, tf_ref, tf_resources
from chalice.deploy.plan import (
    APICall,
    ForgetResource,
    Message,
    RecordResource,
    SetVar,
    Var,
    try_resolve,
)
from chalice.deploy.reading import ReadSession, page_budget
from chalice.deploy.resources.base import ResourceHome, record_values, register
from chalice.deploy.resources.permissions import (
    add_permission,
    function_policy_statements,
    granting_sids,
    plan_grant,
    remove_permission,
    tf_permission,
)

_GONE = ('ResourceNotFoundException',)
TARGET_ID = '1'
EVENTS_PRINCIPAL = 'events.amazonaws.com'


def lambda_arn_var(function):
    return Var('%s.lambda_arn' % function.resource_name)


@register
class CloudWatchEventHome(ResourceHome):
    resource_type = 'cloudwatch_event'

    # -- reading AWS

    def read_remote(self, aws, model, record):
        rule = _find_rule(aws, model.rule_name)
        remote = {
            'rule': rule,
            'targets': _targets(aws, model.rule_name) if rule is not None else [],
            'statements': function_policy_statements(aws, model.function.function_name),
            'stale': None,
        }
        old_name = (record or {}).get('rule_name')
        if old_name and old_name != model.rule_name:
            # The function (and so the rule) was renamed: the old rule goes.
            remote['stale'] = self.read_remote_for_delete(aws, record)
        return remote

    def read_remote_for_delete(self, aws, record):
        name = record.get('rule_name')
        if not name:
            return {'exists': False, 'target_ids': []}
        rule = aws.call('events', 'describe_rule', {'Name': name}, ignore_errors=_GONE)
        if rule is None:
            return {'exists': False, 'target_ids': []}
        return {'exists': True,
                'target_ids': [target['Id'] for target in _targets(aws, name)]}

    # -- planning

    def plan(self, model, record, remote, ctx):
        remote = remote or {}
        arn_var = '%s.rule_arn' % model.resource_name
        lambda_arn = lambda_arn_var(model.function)
        steps = []
        stale = remote.get('stale')
        if record and record.get('rule_name') not in (None, model.rule_name):
            # Forget the old rule before creating the new one, so the state
            # file never lists a rule that no longer exists for long.
            steps.extend(_delete_rule_steps(record['rule_name'], stale))
            steps.append(ForgetResource(model.resource_name))
            old_arn = record.get('rule_arn') or 'arn:%s:events:%s:%s:rule/%s' % (
                ctx.partition, ctx.region, ctx.account_id, record['rule_name'])
            steps.extend(remove_permission(lambda_arn, sid) for sid in granting_sids(
                remote.get('statements'), EVENTS_PRINCIPAL, old_arn) if sid)
            record = None
        rule = remote.get('rule')
        if rule is None:
            source_arn = Var(arn_var)
            steps.extend([
                APICall('events', 'put_rule', _rule_params(model),
                        outputs={arn_var: 'RuleArn'}),
                RecordResource(model.resource_name, self.resource_type,
                               {'rule_name': model.rule_name, 'rule_arn': source_arn}),
                _put_target(model, lambda_arn),
                add_permission(lambda_arn, EVENTS_PRINCIPAL, source_arn, 'chalice-events-'),
            ])
            return steps

        rule_arn = rule['Arn']
        steps.append(SetVar(arn_var, rule_arn))
        values = {'rule_name': model.rule_name, 'rule_arn': rule_arn}
        if record_values(record) != values:
            steps.append(RecordResource(model.resource_name, self.resource_type, values))
        changes = []
        if _rule_differs(model, rule):
            changes.append(APICall('events', 'put_rule', _rule_params(model)))
        known_arn = try_resolve(lambda_arn, ctx.known)
        # A target for the function is adopted whatever its Id (AWS Chalice's
        # included); more than one would invoke it more than once.
        ours = sorted((t.get('Id') for t in remote.get('targets') or []
                       if known_arn is not None and t.get('Arn') == known_arn),
                      key=lambda target_id: target_id != TARGET_ID)
        if not ours:
            changes.append(_put_target(model, lambda_arn))
        elif len(ours) > 1:
            changes.append(APICall('events', 'remove_targets', {
                'Rule': model.rule_name, 'Ids': ours[1:]}, ignore_errors=_GONE))
        changes.extend(plan_grant(remote.get('statements'), lambda_arn, EVENTS_PRINCIPAL,
                                  rule_arn, 'chalice-events-', ctx.known))
        if changes:
            steps.append(Message('Updating CloudWatch event rule: %s' % model.rule_name))
            steps.extend(changes)
        else:
            steps.append(Message('No changes to CloudWatch event rule: %s' % model.rule_name))
        return steps

    def emit_sam(self, model, ctx):
        from chalice.deploy.naming import function_event

        if model.schedule_expression is not None:
            properties = {'Schedule': model.schedule_expression}
            if model.description:
                properties['Description'] = model.description
            return function_event(ctx, model.function, model, 'Schedule', properties)
        return function_event(ctx, model.function, model, 'CloudWatchEvent',
                              {'Pattern': json.loads(model.event_pattern)})

    def emit_terraform(self, model, ctx):
        name = model.resource_name
        params = _rule_params(model)
        # A rule is enabled by default; ``state`` needs a 5.x provider.
        params.pop('State')
        rule = tf_arguments(ctx.value(params))
        if model.schedule_expression is not None:
            # AWS Chalice writes a schedule's description, empty when it has none.
            rule.setdefault('description', '')
        return tf_resources(
            ('aws_cloudwatch_event_rule', name, rule),
            ('aws_cloudwatch_event_target', name, {
                'rule': tf_ref('aws_cloudwatch_event_rule', name, 'name'),
                # The Id chalice deploy (AWS Chalice's too) gives the target;
                # AWS Chalice's Terraform uses the label instead.
                'target_id': TARGET_ID,
                'arn': ctx.function_arn(model.function)}),
            ('aws_lambda_permission', name, tf_permission(
                ctx, model.function, EVENTS_PRINCIPAL, Var('%s.rule_arn' % name))),
        )

    def plan_delete(self, record, remote, ctx):
        steps = []
        if record.get('rule_name'):
            steps.extend(_delete_rule_steps(record['rule_name'], remote))
        steps.append(ForgetResource(record['name']))
        return steps


def _find_rule(aws, name):
    """The rule as EventBridge describes it, or None.

    Through the remote reader's session, the app's rules come from one
    ``ListRules`` by their common name prefix (``<app>-<stage>-``).
    """
    if isinstance(aws, ReadSession):
        names = [m.rule_name for m in aws.models_of(CloudWatchEventHome.resource_type)]
        if name in names:
            prefix = os.path.commonprefix(names)
            rules = aws.once(('events.list_rules', prefix),
                             lambda: _list_rules(aws, prefix, len(names)))
            if rules is not None:
                return rules.get(name)
    return aws.call('events', 'describe_rule', {'Name': name}, ignore_errors=_GONE)


def _list_rules(aws, prefix, wanted):
    """The rules named ``prefix...`` by name, or None when there are too many to list."""
    rules = {}
    params = {'Limit': 100}
    if prefix:
        params['NamePrefix'] = prefix
    for _ in range(page_budget(wanted)):
        page = aws.call('events', 'list_rules', params)
        rules.update((rule['Name'], rule) for rule in page.get('Rules') or [])
        token = page.get('NextToken')
        if not token:
            return rules
        params = dict(params, NextToken=token)
    return None


def _targets(aws, rule_name):
    targets = []
    params = {'Rule': rule_name}
    while True:
        response = aws.call('events', 'list_targets_by_rule', params, ignore_errors=_GONE)
        if response is None:
            return targets
        targets.extend(response.get('Targets') or [])
        token = response.get('NextToken')
        if not token:
            return targets
        params = {'Rule': rule_name, 'NextToken': token}


def _rule_params(model):
    params = {'Name': model.rule_name, 'State': 'ENABLED'}
    if model.schedule_expression is not None:
        params['ScheduleExpression'] = model.schedule_expression
    if model.event_pattern is not None:
        params['EventPattern'] = model.event_pattern
    # PutRule replaces the whole rule: an omitted description is cleared.
    if model.description:
        params['Description'] = model.description
    return params


def _rule_differs(model, rule):
    return (
        (rule.get('ScheduleExpression') or None) != model.schedule_expression
        or _parsed(rule.get('EventPattern')) != _parsed(model.event_pattern)
        or (rule.get('Description') or '') != (model.description or '')
        or rule.get('State', 'ENABLED') != 'ENABLED'
    )


def _parsed(pattern):
    # EventBridge may hand the pattern back re-serialised; compare values.
    if not pattern:
        return None
    try:
        return json.loads(pattern)
    except (TypeError, ValueError):
        return pattern


def _put_target(model, lambda_arn):
    return APICall('events', 'put_targets', {
        'Rule': model.rule_name, 'Targets': [{'Id': TARGET_ID, 'Arn': lambda_arn}]})


def _delete_rule_steps(rule_name, remote):
    """Remove the targets, then the rule; nothing if the rule is known gone."""
    if remote is None:  # not read: assume our one target
        remote = {'exists': True, 'target_ids': [TARGET_ID]}
    if not remote.get('exists'):
        return []
    steps = []
    if remote.get('target_ids'):
        steps.append(APICall('events', 'remove_targets', {
            'Rule': rule_name, 'Ids': list(remote['target_ids'])}, ignore_errors=_GONE))
    steps.append(APICall('events', 'delete_rule', {'Name': rule_name}, ignore_errors=_GONE))
    return steps
