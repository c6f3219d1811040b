"""SNS topic subscriptions: an existing topic delivering to a function.

``@app.on_sns_message(topic)`` names an existing topic, by name (in the
deploying account and region) or by ARN (which may be another account's).
The home grants ``sns.amazonaws.com`` permission to invoke the function for
that topic, then subscribes the function (``Subscribing <function> to SNS
topic <topic>``).  The record is ``{topic, topic_arn, subscription_arn,
lambda_arn}``.

The recorded subscription is checked with GetSubscriptionAttributes; when
there is none (first deploy, lost state file) a topic of the deploying
account is searched for a subscription of the function, so a rerun
converges (Subscribe is idempotent too: it hands back the existing
subscription).  A subscription to another topic (the decorator's topic
changed) is unsubscribed and its permission removed.

A topic ARN may name another region than the deployment's.  SNS answers
calls about a topic (and its subscriptions) only in the topic's region, so
every SNS call is made there: the region comes from the topic's ARN, or
from the subscription's ARN for a recorded subscription (an old record may
lack ``topic_arn``).  Lambda's AddPermission stays with the function, in
the deploying region, with the topic's ARN as source.  The state-file
record is the same whatever the region.  SAM states the topic's region
(``Region`` of the SNS event); Terraform subscribes through the default
provider, whose region is the deployment's (see docs/deploy.rst for a
topic in another region).
"""
from chalice.deploy.naming import tf_resources
from chalice.deploy.plan import (
    APICall,
    ForgetResource,
    Message,
    RecordResource,
    SetVar,
    Var,
)
from chalice.deploy.resources.base import ResourceHome, record_values, register
from chalice.deploy.resources.cloudwatch_event import lambda_arn_var
from chalice.deploy.resources.permissions import (
    function_policy_statements,
    plan_grant,
    statement_id,
    tf_permission,
)
from chalice.errors import ChaliceError

_GONE = ('NotFound',)
SNS_PRINCIPAL = 'sns.amazonaws.com'
STATEMENT_PREFIX = 'chalice-sns-'


def topic_arn_for(topic, partition, region, account_id):
    """The topic's ARN: a name is a topic of the deploying account and region."""
    if topic.startswith('arn:'):
        return topic
    return 'arn:%s:sns:%s:%s:%s' % (partition, region, account_id, topic)


def arn_region(arn):
    """The region field of an ARN, or None when it has none."""
    parts = (arn or '').split(':')
    if len(parts) < 6 or not parts[0] == 'arn' or not parts[3]:
        return None
    return parts[3]


def sns_region(arn, deploying_region):
    """The region for SNS calls about ``arn``: None for the deploying region."""
    region = arn_region(arn)
    return region if region and region != deploying_region else None


def _function_arn(aws, function_name):
    return 'arn:%s:lambda:%s:%s:function:%s' % (aws.partition, aws.region, aws.account_id,
                                                function_name)


@register
class SNSSubscriptionHome(ResourceHome):
    resource_type = 'sns_event'

    # -- reading AWS

    def read_remote(self, aws, model, record):
        topic_arn = topic_arn_for(model.topic, aws.partition, aws.region, aws.account_id)
        endpoint = _function_arn(aws, model.function.function_name)
        remote = {
            'topic_arn': topic_arn,
            'subscription_arn': None,
            'stale_subscription_arn': None,
            'statements': function_policy_statements(aws, model.function.function_name),
        }
        recorded = (record or {}).get('subscription_arn')
        if recorded:
            found = aws.call('sns', 'get_subscription_attributes',
                             {'SubscriptionArn': recorded}, ignore_errors=_GONE,
                             region=sns_region(recorded, aws.region))
            if found is not None:
                attributes = found.get('Attributes') or {}
                if attributes.get('TopicArn') == topic_arn and \
                        attributes.get('Endpoint') == endpoint:
                    remote['subscription_arn'] = recorded
                    return remote
                remote['stale_subscription_arn'] = recorded
        if _in_this_account(topic_arn, aws):
            remote['subscription_arn'] = _find_subscription(aws, model.topic, topic_arn,
                                                            endpoint)
        return remote

    def read_remote_for_delete(self, aws, record):
        arn = record.get('subscription_arn')
        if not arn:
            return {'exists': False}
        found = aws.call('sns', 'get_subscription_attributes', {'SubscriptionArn': arn},
                         ignore_errors=_GONE, region=sns_region(arn, aws.region))
        return {'exists': found is not None}

    # -- planning

    def plan(self, model, record, remote, ctx):
        remote = remote or {}
        topic_arn = topic_arn_for(model.topic, ctx.partition, ctx.region, ctx.account_id)
        sub_var = '%s.subscription_arn' % model.resource_name
        lambda_arn = lambda_arn_var(model.function)
        function_name = model.function.function_name
        steps = []
        stale = remote.get('stale_subscription_arn')
        if stale:
            steps.append(APICall('sns', 'unsubscribe', {'SubscriptionArn': stale},
                                 ignore_errors=_GONE, region=sns_region(stale, ctx.region)))
            steps.append(ForgetResource(model.resource_name))
            old_topic_arn = (record or {}).get('topic_arn')
            if old_topic_arn and old_topic_arn != topic_arn:
                steps.append(APICall('lambda', 'remove_permission', {
                    'FunctionName': lambda_arn,
                    'StatementId': statement_id(STATEMENT_PREFIX, old_topic_arn)},
                    ignore_errors=('ResourceNotFoundException',)))
            record = None
        permission = plan_grant(remote.get('statements'), lambda_arn, SNS_PRINCIPAL,
                                topic_arn, STATEMENT_PREFIX, ctx.known)
        existing = remote.get('subscription_arn')
        if existing is None:
            steps.extend(permission)
            steps.append(APICall(
                'sns', 'subscribe',
                {'TopicArn': topic_arn, 'Protocol': 'lambda', 'Endpoint': lambda_arn},
                outputs={sub_var: 'SubscriptionArn'},
                message='Subscribing %s to SNS topic %s' % (function_name, model.topic),
                region=sns_region(topic_arn, ctx.region)))
            steps.append(RecordResource(model.resource_name, self.resource_type, {
                'topic': model.topic, 'topic_arn': topic_arn,
                'subscription_arn': Var(sub_var), 'lambda_arn': lambda_arn}))
            return steps

        steps.append(SetVar(sub_var, existing))
        known_arn = ctx.known.get(lambda_arn.name)
        values = {'topic': model.topic, 'topic_arn': topic_arn, 'subscription_arn': existing,
                  'lambda_arn': known_arn if known_arn is not None else lambda_arn}
        if record_values(record) != values:
            steps.append(RecordResource(model.resource_name, self.resource_type, values))
        label = '%s to SNS topic %s' % (function_name, model.topic)
        if permission:
            steps.append(Message('Updating SNS subscription of %s' % label))
            steps.extend(permission)
        else:
            steps.append(Message('No changes to SNS subscription of %s' % label))
        return steps

    def emit_sam(self, model, ctx):
        from chalice.deploy.naming import ACCOUNT_ID, PARTITION, REGION, function_event, sub

        topic_arn = sub(topic_arn_for(model.topic, PARTITION, REGION, ACCOUNT_ID))
        properties = {'Topic': topic_arn}
        # A topic named by ARN may be in another region than the stack's:
        # CloudFormation subscribes in the region given here.
        region = arn_region(model.topic)
        if region:
            properties['Region'] = region
        return function_event(ctx, model.function, model, 'SNS', properties)

    def emit_terraform(self, model, ctx):
        topic_arn = topic_arn_for(model.topic, ctx.partition, ctx.region, ctx.account_id)
        return tf_resources(
            ('aws_sns_topic_subscription', model.resource_name, {
                'topic_arn': ctx.value(topic_arn),
                'protocol': 'lambda',
                'endpoint': ctx.function_arn(model.function)}),
            ('aws_lambda_permission', model.resource_name, tf_permission(
                ctx, model.function, SNS_PRINCIPAL, topic_arn)),
        )

    def plan_delete(self, record, remote, ctx):
        steps = []
        arn = record.get('subscription_arn')
        if arn and (remote is None or remote.get('exists')):
            steps.append(APICall('sns', 'unsubscribe', {'SubscriptionArn': arn},
                                 ignore_errors=_GONE, region=sns_region(arn, ctx.region)))
        steps.append(ForgetResource(record['name']))
        return steps


def _in_this_account(topic_arn, aws):
    parts = topic_arn.split(':')
    return len(parts) >= 6 and parts[4] == aws.account_id


def _find_subscription(aws, topic, topic_arn, endpoint):
    """The ARN of the function's subscription to the topic, or None."""
    params = {'TopicArn': topic_arn}
    region = sns_region(topic_arn, aws.region)
    while True:
        response = aws.call('sns', 'list_subscriptions_by_topic', params, ignore_errors=_GONE,
                            region=region)
        if response is None:
            raise ChaliceError(
                'The SNS topic %s (%s) does not exist. Create the topic first, or change '
                'the topic given to @app.on_sns_message.' % (topic, topic_arn))
        for subscription in response.get('Subscriptions') or []:
            arn = subscription.get('SubscriptionArn') or ''
            if subscription.get('Protocol') == 'lambda' and \
                    subscription.get('Endpoint') == endpoint and arn.startswith('arn:'):
                return arn
        token = response.get('NextToken')
        if not token:
            return None
        params = {'TopicArn': topic_arn, 'NextToken': token}
