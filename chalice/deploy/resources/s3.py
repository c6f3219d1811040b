"""S3 bucket notifications: one entry in an existing bucket's configuration.

``@app.on_s3_event(bucket=...)`` names a bucket that chalice does not own.
Its notification configuration is one document shared by everyone who uses
the bucket, so this home changes only its own entry: a
``LambdaFunctionConfigurations`` item with a deterministic ``Id``
(``chalice-<function name>``, shortened with a hash when too long).  An
entry for the function with the same events and filter is adopted whatever
its Id (AWS Chalice lets S3 choose one), and any other entry for the
function is removed, so S3 invokes it once per event.  Every other entry -
other Lambda functions, queue and topic configurations, the EventBridge
switch - is written back exactly as it was read.

S3 must also be allowed to invoke the function: a resource-policy statement
for ``s3.amazonaws.com`` limited to the bucket's ARN and the deploying
account, with a deterministic statement id, added only when the function's
policy does not already grant it (S3 checks that permission when the
configuration is put, so it is added first, and removed first when deleting).

Records hold ``bucket``, ``lambda_arn`` (what AWS Chalice records) and
``notification_id``; a record is written right after the configuration
containing the entry is put, and redeploying an unchanged app makes no
mutating call.  Deleting puts the configuration back without the function's
entries, whatever their Id (a bucket that is gone is fine), and removes the
statements letting the bucket invoke it.

A race that S3's API makes unavoidable: there is no conditional write for a
bucket's notification configuration, so the document is read (while the
deploy reads remote state) and later written whole.  If another process
changes the bucket's notifications between the read and the write, that
change is lost.  The window is short (one deploy); deploy again, or redo the
other change, if that happened.
"""
import copy
import hashlib

from chalice.deploy.naming import tf_address, tf_resources
from chalice.deploy.plan import (
    APICall,
    ForgetResource,
    Message,
    RecordResource,
    Var,
)
from chalice.deploy.resources.base import ResourceHome, record_values, register
from chalice.deploy.resources.permissions import (
    function_policy_statements,
    granting_sids,
    has_grant,
    redundant_sids,
    remove_permission,
    tf_permission,
)
from chalice.errors import ChaliceError

_BUCKET_GONE = ('NoSuchBucket',)
_LAMBDA_KEY = 'LambdaFunctionConfigurations'
_PRINCIPAL = 's3.amazonaws.com'
# Lambda allows statement ids of up to 100 characters; S3 takes long ids, but
# short ones are easier to read in the console.
_MAX_STATEMENT_ID = 100
_MAX_NOTIFICATION_ID = 64


def _bounded(prefix, name, limit):
    """``prefix + name``, or a prefix of it plus a hash of ``name`` if too long."""
    text = prefix + name
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(name.encode('utf-8')).hexdigest()[:16]
    return text[:limit - len(digest) - 1] + '-' + digest


def notification_id(function_name):
    """The ``Id`` of the function's entry in the bucket's configuration."""
    return _bounded('chalice-', function_name, _MAX_NOTIFICATION_ID)


def statement_id(bucket):
    """The ``Sid`` of the function-policy statement that lets the bucket invoke it."""
    return _bounded('chalice-s3-', bucket, _MAX_STATEMENT_ID)


def bucket_arn(partition, bucket):
    return 'arn:%s:s3:::%s' % (partition, bucket)


def filter_rules(prefix, suffix):
    """S3 ``FilterRules`` for a literal key prefix/suffix (not globs)."""
    rules = []
    if prefix:
        rules.append({'Name': 'prefix', 'Value': prefix})
    if suffix:
        rules.append({'Name': 'suffix', 'Value': suffix})
    return rules


def desired_entry(model, function_arn):
    """Our ``LambdaFunctionConfigurations`` item (``function_arn`` may be a Var)."""
    entry = {
        'Id': notification_id(model.function.function_name),
        'LambdaFunctionArn': function_arn,
        'Events': list(model.events),
    }
    rules = filter_rules(model.prefix, model.suffix)
    if rules:
        entry['Filter'] = {'Key': {'FilterRules': rules}}
    return entry


def merged_configuration(configuration, entry=None, drop_ids=(), drop_arn=None):
    """The bucket's configuration with ``entry`` in it and others removed.

    The entries removed are those whose Id is in ``drop_ids`` and those
    invoking the function ``drop_arn``.  Every other entry and key is kept as
    read.  An existing entry with the new entry's Id is replaced where it
    stands; otherwise the entry is appended.  Empty lists are left out (S3
    treats them as absent).
    """
    merged = {}
    for key, value in (configuration or {}).items():
        if key == _LAMBDA_KEY:
            continue
        if isinstance(value, list) and not value:
            continue
        merged[key] = copy.deepcopy(value)
    drop = set(drop_ids)
    lambdas = []
    placed = False
    for existing in (configuration or {}).get(_LAMBDA_KEY) or []:
        existing_id = existing.get('Id')
        if entry is not None and existing_id == entry['Id']:
            if not placed:
                lambdas.append(entry)
                placed = True
            continue
        if existing_id in drop or (drop_arn is not None and
                                   existing.get('LambdaFunctionArn') == drop_arn):
            continue
        lambdas.append(copy.deepcopy(existing))
    if entry is not None and not placed:
        lambdas.append(entry)
    if lambdas:
        merged[_LAMBDA_KEY] = lambdas
    return merged


def find_entry(configuration, entry_id):
    for entry in (configuration or {}).get(_LAMBDA_KEY) or []:
        if entry.get('Id') == entry_id:
            return entry
    return None


def entries_for(configuration, function_arn):
    """The Lambda entries invoking ``function_arn``, whatever their Id."""
    return [entry for entry in (configuration or {}).get(_LAMBDA_KEY) or []
            if entry.get('LambdaFunctionArn') == function_arn]


def _comparable(entry):
    rules = ((entry.get('Filter') or {}).get('Key') or {}).get('FilterRules') or []
    return {
        'arn': entry.get('LambdaFunctionArn'),
        'events': sorted(set(entry.get('Events') or [])),
        # S3 reports the rule names capitalised ("Prefix"); they are case-insensitive.
        'rules': sorted((str(r.get('Name', '')).lower(), r.get('Value')) for r in rules),
    }


def entry_matches(current, desired):
    return current is not None and _comparable(current) == _comparable(desired)




def _statement_ids(statements):
    return {s.get('Sid') for s in statements or []}




def _read_configuration(aws, bucket):
    """The bucket's notification configuration, or None when the bucket is gone."""
    return aws.call('s3', 'get_bucket_notification_configuration', {'Bucket': bucket},
                    ignore_errors=_BUCKET_GONE)


def _function_name_of(lambda_arn):
    return str(lambda_arn).rsplit(':', 1)[-1]


@register
class S3BucketNotificationHome(ResourceHome):
    resource_type = 's3_event'

    # -- reading

    def read_remote(self, aws, model, record):
        remote = {
            'configuration': _read_configuration(aws, model.bucket),
            'statements': function_policy_statements(aws, model.function.function_name),
            'previous': None,
        }
        if record and record.get('bucket') and record['bucket'] != model.bucket:
            # The app moved the handler to another bucket: the old entry goes.
            remote['previous'] = self.read_remote_for_delete(aws, record)
        return remote

    def read_remote_for_delete(self, aws, record):
        return {
            'configuration': _read_configuration(aws, record['bucket']),
            'statements': function_policy_statements(aws, record['lambda_arn']),
        }

    # -- planning

    def plan(self, model, record, remote, ctx):
        remote = remote or {}
        function = model.function
        configuration = remote.get('configuration')
        if configuration is None:
            raise ChaliceError(
                'The S3 bucket %r used by on_s3_event (function %s) does not exist or is '
                'not reachable. Create the bucket first, or fix the bucket name; nothing '
                'was changed.' % (model.bucket, function.function_name))
        arn_var = '%s.lambda_arn' % function.resource_name
        known_arn = ctx.known.get(arn_var)
        # Entries of a function that does not exist yet can only be stale
        # ones of an earlier function of that name.
        function_arn = known_arn or 'arn:%s:lambda:%s:%s:function:%s' % (
            ctx.partition, ctx.region, ctx.account_id, function.function_name)
        entry_id = notification_id(function.function_name)
        target = 'in bucket %s to function %s' % (model.bucket, function.function_name)
        steps = []
        if record and record.get('bucket') and record['bucket'] != model.bucket:
            steps.extend(self.plan_delete(record, remote.get('previous'), ctx))
            record = None

        changes = self._permission(model, remote.get('statements'), ctx, Var(arn_var))
        stale_ids = set()
        if record and record.get('notification_id') not in (None, entry_id):
            stale_ids.add(record['notification_id'])
        # The function's entries, whatever their Id (AWS Chalice lets S3 pick
        # it): one with the desired events and filter is adopted as it is.
        current = entries_for(configuration, function_arn)
        wanted = desired_entry(model, function_arn)
        adopted = next((e for e in current if entry_matches(e, wanted)), None)
        if adopted is not None and adopted.get('Id'):
            entry_id = adopted['Id']
        others = [e for e in current if e is not adopted]
        stale_present = bool(others) or any(
            find_entry(configuration, i) is not None for i in stale_ids - {entry_id})
        up_to_date = known_arn is not None and adopted is not None and not stale_present
        values = {'bucket': model.bucket, 'lambda_arn': Var(arn_var),
                  'notification_id': entry_id}
        if not up_to_date:
            entry = dict(desired_entry(model, Var(arn_var)), Id=entry_id)
            changes.append(APICall('s3', 'put_bucket_notification_configuration', {
                'Bucket': model.bucket,
                'NotificationConfiguration': merged_configuration(
                    configuration, entry, stale_ids - {entry_id}, drop_arn=function_arn)}))
            changes.append(RecordResource(model.resource_name, self.resource_type, values))
        elif record_values(record) != dict(values, lambda_arn=known_arn):
            # In place but not (exactly) recorded, e.g. after an interrupted deploy.
            changes.append(RecordResource(model.resource_name, self.resource_type, values))
        if any(isinstance(step, APICall) for step in changes):
            steps.append(Message('Configuring S3 events %s' % target))
        steps.extend(changes)
        if not any(isinstance(step, APICall) for step in steps):
            steps.append(Message('No changes to S3 events %s' % target))
        return steps

    def emit_sam(self, model, ctx):
        from chalice.errors import ChaliceError

        raise ChaliceError('on_s3_event cannot be packaged: CloudFormation cannot configure '
                           'an existing bucket; use chalice deploy')

    def emit_terraform(self, model, ctx):
        """The grant and this handler's entry in the bucket's notification resource.

        Terraform owns a bucket's whole notification configuration through
        one ``aws_s3_bucket_notification`` (labelled ``<bucket>_notify``, as
        AWS Chalice labels it), so the entries of every handler of a bucket
        are gathered into it.
        """
        function = model.function
        entry = desired_entry(model, ctx.function_arn(function))
        notification = {'id': ctx.value(entry['Id']),
                        'lambda_function_arn': entry['LambdaFunctionArn'],
                        'events': ctx.value(entry['Events'])}
        if model.prefix:
            notification['filter_prefix'] = ctx.value(model.prefix)
        if model.suffix:
            notification['filter_suffix'] = ctx.value(model.suffix)
        return tf_resources(
            ('aws_lambda_permission', model.resource_name, tf_permission(
                ctx, function, _PRINCIPAL, bucket_arn(ctx.partition, model.bucket),
                source_account=ctx.account_id, statement_id=model.resource_name)),
            ('aws_s3_bucket_notification', '%s_notify' % model.bucket, {
                'bucket': ctx.value(model.bucket),
                'lambda_function': [notification],
                # S3 checks its permission to invoke when the configuration is put.
                'depends_on': [tf_address('aws_lambda_permission', model.resource_name)]}),
        )

    def plan_delete(self, record, remote, ctx):
        remote = remote or {}
        bucket = record['bucket']
        entry_id = record.get('notification_id')
        function_arn = record['lambda_arn']
        configuration = remote.get('configuration')
        steps = []
        # The grant goes first: should a later call fail, the entry (what
        # the record stands for) is still there and recorded, and the next
        # run finishes the job; the other order could leave a grant behind
        # that nothing records.  Ours and any other statement letting the
        # bucket invoke the function (AWS Chalice's) go.
        statements = remote.get('statements')
        sids = granting_sids(statements, _PRINCIPAL, bucket_arn(ctx.partition, bucket))
        sid = statement_id(bucket)
        if sid in _statement_ids(statements) and sid not in sids:
            sids.insert(0, sid)
        steps.extend(remove_permission(function_arn, s) for s in sids if s)
        # The function's entries go whatever their Id (AWS Chalice's too).
        if configuration is not None and (
                find_entry(configuration, entry_id) is not None
                or entries_for(configuration, function_arn)):
            steps.append(APICall(
                's3', 'put_bucket_notification_configuration', {
                    'Bucket': bucket,
                    'NotificationConfiguration': merged_configuration(
                        configuration, None, [entry_id], drop_arn=function_arn)},
                ignore_errors=_BUCKET_GONE))
        if steps:
            steps.insert(0, Message('Removing S3 events in bucket %s from function %s' % (
                bucket, _function_name_of(record['lambda_arn']))))
        steps.append(ForgetResource(record['name']))
        return steps

    @staticmethod
    def _permission(model, statements, ctx, function_arn):
        source_arn = bucket_arn(ctx.partition, model.bucket)
        sid = statement_id(model.bucket)
        if has_grant(statements, _PRINCIPAL, source_arn, ctx.account_id):
            # One statement for the grant is enough (ours, or AWS Chalice's).
            return [remove_permission(function_arn, extra) for extra in redundant_sids(
                statements, _PRINCIPAL, source_arn, sid, ctx.account_id) if extra]
        steps = []
        if sid in _statement_ids(statements):
            # Ours, but not (or no longer) the grant we need: replace it.
            steps.append(remove_permission(function_arn, sid))
        steps.append(APICall('lambda', 'add_permission', {
            'FunctionName': function_arn,
            'StatementId': sid,
            'Action': 'lambda:InvokeFunction',
            'Principal': _PRINCIPAL,
            'SourceArn': source_arn,
            'SourceAccount': ctx.account_id},
            ignore_errors=('ResourceConflictException',)))
        return steps
