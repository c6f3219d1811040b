"""The managed Lambda layer (``automatic_layer: true``) with the dependencies.

A layer version cannot change: new content, or another architecture than
the published version's ``CompatibleArchitectures``, publishes a new
version and deletes the one it replaces.
"""
from chalice.deploy.naming import archive_name, tf_file_hash, tf_module_file, tf_resources
from chalice.deploy.plan import (
    APICall,
    FileContents,
    ForgetResource,
    Message,
    RecordResource,
    SetVar,
    Var,
)
from chalice.deploy.resources.base import ResourceHome, record_values, register


@register
class LambdaLayerHome(ResourceHome):
    resource_type = 'lambda_layer'

    def read_remote(self, aws, model, record):
        if not record or not record.get('layer_version_arn'):
            return None
        layer = aws.call('lambda', 'get_layer_version_by_arn',
                         {'Arn': record['layer_version_arn']},
                         ignore_errors=('ResourceNotFoundException',))
        if layer is None:
            return None
        return {'arn': layer['LayerVersionArn'],
                'code_sha256': (layer.get('Content') or {}).get('CodeSha256'),
                'architectures': list(layer.get('CompatibleArchitectures') or [])}

    def plan(self, model, record, remote, ctx):
        arn_var = '%s.layer_version_arn' % model.resource_name
        if remote is not None and remote['code_sha256'] == model.package.code_sha256 \
                and remote.get('architectures') == [model.architecture]:
            steps = [SetVar(arn_var, remote['arn'])]
            if record_values(record) != {'layer_version_arn': remote['arn']}:
                steps.append(RecordResource(model.resource_name, self.resource_type,
                                            {'layer_version_arn': remote['arn']}))
            steps.append(Message('No changes to lambda layer: %s' % model.layer_name))
            return steps
        verb = 'Creating' if remote is None else 'Updating'
        steps = [
            APICall('lambda', 'publish_layer_version', {
                'LayerName': model.layer_name,
                'Content': {'ZipFile': FileContents(model.package.path)},
                'CompatibleRuntimes': [model.runtime],
                'CompatibleArchitectures': [model.architecture],
            }, outputs={arn_var: 'LayerVersionArn'},
                message='%s lambda layer: %s' % (verb, model.layer_name)),
            RecordResource(model.resource_name, self.resource_type,
                           {'layer_version_arn': Var(arn_var)}),
        ]
        if remote is not None:
            # The replaced version is no longer recorded anywhere: delete it now.
            # Functions still attached to it keep working until they are
            # switched to the new version a few steps later.
            steps.append(self._delete_version(remote['arn']))
        return steps

    def emit_sam(self, model, ctx):
        from chalice.deploy.naming import archive_uri, to_logical_id

        return {to_logical_id(model.resource_name): {
            'Type': 'AWS::Serverless::LayerVersion',
            'Properties': {
                'CompatibleRuntimes': [model.runtime],
                'CompatibleArchitectures': [model.architecture],
                'ContentUri': archive_uri(model.package),
                'LayerName': model.layer_name,
            },
        }}

    def emit_terraform(self, model, ctx):
        return tf_resources(('aws_lambda_layer_version', model.resource_name, {
            'layer_name': ctx.value(model.layer_name),
            'filename': tf_module_file(archive_name(model.package)),
            'source_code_hash': tf_file_hash(archive_name(model.package)),
            'compatible_runtimes': [model.runtime],
            'compatible_architectures': [model.architecture],
        }))

    @staticmethod
    def _delete_version(arn):
        name, _, version = arn.rpartition(':')
        return APICall('lambda', 'delete_layer_version', {
            'LayerName': name, 'VersionNumber': int(version)},
            message='Deleting layer version: %s' % arn,
            ignore_errors=('ResourceNotFoundException',))

    def plan_delete(self, record, remote, ctx):
        return [self._delete_version(record['layer_version_arn']),
                ForgetResource(record['name'])]
