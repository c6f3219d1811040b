"""IAM roles that chalice manages: the role and its one inline policy."""
from chalice.deploy.naming import tf_ref, tf_resources
from chalice.deploy.plan import (
    APICall,
    ForgetResource,
    JSONDocument,
    Message,
    RecordResource,
    SetVar,
    Var,
    canonical_json,
)
from chalice.deploy.resources.base import ResourceHome, record_values, register


@register
class IAMRoleHome(ResourceHome):
    resource_type = 'iam_role'

    def read_remote(self, aws, model, record):
        role_name = model.role_name
        role = aws.call('iam', 'get_role', {'RoleName': role_name},
                        ignore_errors=('NoSuchEntity',))
        if role is None:
            return None
        # The one inline policy we manage, if the role has it.
        found = aws.call('iam', 'get_role_policy', {
            'RoleName': role_name, 'PolicyName': model.policy_name},
            ignore_errors=('NoSuchEntity',))
        policy = found['PolicyDocument'] if found is not None else None
        return {'arn': role['Role']['Arn'],
                'trust_policy': role['Role'].get('AssumeRolePolicyDocument'),
                'policy': policy}

    def read_remote_for_delete(self, aws, record):
        names = aws.call('iam', 'list_role_policies', {'RoleName': record['role_name']},
                         ignore_errors=('NoSuchEntity',))
        return {'policy_names': names['PolicyNames'] if names else []}

    def plan(self, model, record, remote, ctx):
        arn_var = '%s.role_arn' % model.resource_name
        put_policy = APICall('iam', 'put_role_policy', {
            'RoleName': model.role_name, 'PolicyName': model.policy_name,
            'PolicyDocument': JSONDocument(model.policy_document)})
        if remote is None:
            return [
                APICall('iam', 'create_role', {
                    'RoleName': model.role_name,
                    'AssumeRolePolicyDocument': JSONDocument(model.trust_policy)},
                    outputs={arn_var: 'Role.Arn'},
                    message='Creating IAM role: %s' % model.role_name),
                RecordResource(model.resource_name, self.resource_type,
                               {'role_name': model.role_name, 'role_arn': Var(arn_var)}),
                put_policy,
            ]
        steps = [SetVar(arn_var, remote['arn'])]
        values = {'role_name': model.role_name, 'role_arn': remote['arn']}
        if record_values(record) != values:
            steps.append(RecordResource(model.resource_name, self.resource_type, values))
        changed = False
        if _canonical(remote['trust_policy']) != _canonical(model.trust_policy):
            changed = True
            steps.append(APICall('iam', 'update_assume_role_policy', {
                'RoleName': model.role_name,
                'PolicyDocument': JSONDocument(model.trust_policy)},
                message='Updating trust policy for IAM role: %s' % model.role_name))
        if _canonical(remote['policy']) != _canonical(model.policy_document):
            from chalice.policy import diff_policies

            changed = True
            added, removed = diff_policies(remote['policy'] or {}, model.policy_document)
            steps.append(APICall(
                put_policy.service, put_policy.method, put_policy.params,
                message='Updating policy for IAM role: %s' % model.role_name,
                details={'added': added, 'removed': removed}))
        if not changed:
            steps.append(Message('No changes to IAM role: %s' % model.role_name))
        return steps

    def plan_delete(self, record, remote, ctx):
        role_name = record['role_name']
        steps = [APICall('iam', 'delete_role_policy',
                         {'RoleName': role_name, 'PolicyName': name},
                         ignore_errors=('NoSuchEntity',))
                 for name in (remote or {}).get('policy_names', [])]
        steps.append(APICall('iam', 'delete_role', {'RoleName': role_name},
                             message='Deleting IAM role: %s' % role_name,
                             ignore_errors=('NoSuchEntity',)))
        steps.append(ForgetResource(record['name']))
        return steps

    def emit_sam(self, model, ctx):
        logical_id = ctx.role_id(model)
        return {logical_id: {
            'Type': 'AWS::IAM::Role',
            'Properties': {
                'AssumeRolePolicyDocument': model.trust_policy,
                'Policies': [{'PolicyName': logical_id + 'Policy',
                              'PolicyDocument': ctx.intrinsic(model.policy_document)}],
            },
        }}

    def emit_terraform(self, model, ctx):
        name = model.resource_name
        return tf_resources(
            ('aws_iam_role', name, {
                'name': ctx.value(model.role_name),
                'assume_role_policy': ctx.json_text(model.trust_policy)}),
            ('aws_iam_role_policy', name, {
                'name': ctx.value(model.policy_name),
                'role': tf_ref('aws_iam_role', name, 'id'),
                'policy': ctx.json_text(model.policy_document)}),
        )


def _canonical(document):
    if document is None:
        return None
    if isinstance(document, str):
        import json
        from urllib.parse import unquote

        try:
            document = json.loads(unquote(document))
        except ValueError:
            return document
    return canonical_json(_normalise(document))


def _normalise(value):
    # IAM may return a single-element Action list as a plain string and vice
    # versa; treat the two spellings as the same policy.
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normalise(v) for v in value]
        return items[0] if len(items) == 1 else items
    return value
