"""CloudWatch Logs groups of functions with ``log_retention_in_days``.

Lambda writes a function's logs to ``/aws/lambda/<function name>`` and
creates that group on the first invocation, without a retention.  For a
function with ``log_retention_in_days`` this home creates the group (if it
is not there yet) and puts the retention policy, and records
``{log_group_name}`` under ``<function>-log-group``, the record AWS Chalice
writes too.  A group that exists with the configured retention costs one
read call; an existing group (created by Lambda, by AWS Chalice or by an
earlier version of ours) is adopted, never recreated.

Removing the setting, the function or the stage (``chalice delete``) keeps
the function's logs, as AWS Chalice 1.34 does: the retention policy is
deleted (Lambda's default, logs never expire) and the record dropped; the
group stays, as Lambda's own groups of functions without the setting do.
"""
from chalice.deploy.plan import APICall, ForgetResource, RecordResource
from chalice.deploy.resources.base import ResourceHome, record_values, register

_GONE = ('ResourceNotFoundException',)


def _find_group(aws, name):
    """The group as DescribeLogGroups reports it, or None."""
    params = {'logGroupNamePrefix': name}
    while True:
        response = aws.call('logs', 'describe_log_groups', params)
        for group in response.get('logGroups') or []:
            if group.get('logGroupName') == name:
                return group
        token = response.get('nextToken')
        if not token:
            return None
        params = {'logGroupNamePrefix': name, 'nextToken': token}


@register
class LogGroupHome(ResourceHome):
    resource_type = 'log_group'

    def read_remote(self, aws, model, record):
        group = _find_group(aws, model.log_group_name)
        if group is None:
            return None
        return {'retention_in_days': group.get('retentionInDays')}

    def read_remote_for_delete(self, aws, record):
        return {'exists': _find_group(aws, record['log_group_name']) is not None}

    def plan(self, model, record, remote, ctx):
        name = model.log_group_name
        retention = APICall('logs', 'put_retention_policy', {
            'logGroupName': name, 'retentionInDays': model.retention_in_days})
        values = {'log_group_name': name}
        if remote is None:
            return [
                APICall('logs', 'create_log_group', {'logGroupName': name},
                        message='Creating log group: %s' % name,
                        ignore_errors=('ResourceAlreadyExistsException',)),
                RecordResource(model.resource_name, self.resource_type, values),
                retention,
            ]
        steps = []
        if record_values(record) != values:
            steps.append(RecordResource(model.resource_name, self.resource_type, values))
        if remote.get('retention_in_days') != model.retention_in_days:
            steps.append(retention)
        return steps

    def plan_delete(self, record, remote, ctx):
        # As AWS Chalice 1.34 does, whether the setting, the function or the
        # stage goes: the retention policy is deleted, the group and its logs kept.
        name = record['log_group_name']
        steps = []
        if remote is None or remote.get('exists'):
            steps.append(APICall('logs', 'delete_retention_policy', {'logGroupName': name},
                                 message='Deleting retention policy for log group: %s' % name,
                                 ignore_errors=_GONE))
        steps.append(ForgetResource(record['name']))
        return steps

    def emit_terraform(self, model, ctx):
        from chalice.deploy.naming import tf_address, tf_resources

        # Labelled like the function, which depends on it: created first, so
        # Lambda never makes the group without the retention.
        label = model.function.resource_name
        return tf_resources(
            ('aws_cloudwatch_log_group', label, {
                'name': ctx.value(model.log_group_name),
                'retention_in_days': model.retention_in_days}),
            ('aws_lambda_function', label, {
                'depends_on': [tf_address('aws_cloudwatch_log_group', label)]}))

    def emit_sam(self, model, ctx):
        function_id = ctx.function_id(model.function)
        return {function_id + 'LogGroup': {
            'Type': 'AWS::Logs::LogGroup',
            'Properties': {'LogGroupName': {'Fn::Sub': '/aws/lambda/${%s}' % function_id},
                           'RetentionInDays': model.retention_in_days}}}
