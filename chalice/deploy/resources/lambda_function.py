"""Lambda functions: code, configuration, tags, reserved concurrency.

An update is planned only for what differs from what Lambda reports: the
code when ``CodeSha256`` differs from the new zip's or the function runs on
another architecture (``UpdateFunctionCode`` is the call that changes
``Architectures``, in place), the configuration when
any configured field differs, tags and reserved concurrency separately.  An
unchanged function costs read calls only.  The retention of the function's
log group belongs to :mod:`chalice.deploy.resources.log_group`.

Reading: through the remote reader's session, the configuration comes from
``ListFunctions`` (one call for the app's functions); tags and reserved
concurrency, which it does not report, are taken as the last deploy set
them when the record's ``settings_sha256`` (a digest of the tags and
concurrency it set) matches the app's, and read with ``GetFunction``
otherwise (first deploy by this version, a changed setting, a stage AWS
Chalice deployed).  The digest is recorded only once they are applied.
"""
from chalice.deploy.models import ManagedIAMRole
from chalice.deploy.naming import (
    archive_name,
    tf_arguments,
    tf_file_hash,
    tf_module_file,
    tf_resources,
)
from chalice.deploy.plan import (
    APICall,
    FileContents,
    ForgetResource,
    Message,
    RecordResource,
    SetVar,
    Var,
    sha256_of,
    try_resolve,
)
from chalice.deploy.reading import ABSENT, ReadSession
from chalice.deploy.resources.base import ResourceHome, record_values, register

_GONE = ('ResourceNotFoundException',)
#: The record's digest of the tags and reserved concurrency the last deploy set.
SETTINGS_KEY = 'settings_sha256'


def settings_digest(model):
    """What :data:`SETTINGS_KEY` holds once the model's tags and concurrency are set."""
    return sha256_of({'tags': dict(model.tags),
                      'reserved_concurrency': model.reserved_concurrency})


def role_arn_of(model):
    if isinstance(model.role, ManagedIAMRole):
        return Var('%s.role_arn' % model.role.resource_name)
    return model.role.role_arn


def layer_arns_of(model):
    arns = list(model.layers)
    if model.managed_layer is not None:
        arns.append(Var('%s.layer_version_arn' % model.managed_layer.resource_name))
    return arns


def desired_configuration(model):
    """The UpdateFunctionConfiguration parameters the model asks for."""
    return {
        'FunctionName': model.function_name,
        'Runtime': model.runtime,
        'Handler': model.handler,
        'Role': role_arn_of(model),
        'MemorySize': model.memory_size,
        'Timeout': model.timeout,
        'Environment': {'Variables': dict(model.environment_variables)},
        'Layers': layer_arns_of(model),
        'VpcConfig': {'SubnetIds': list(model.subnet_ids),
                      'SecurityGroupIds': list(model.security_group_ids)},
        'TracingConfig': {'Mode': 'Active' if model.xray else 'PassThrough'},
        'EphemeralStorage': {'Size': model.ephemeral_storage},
    }


def _comparable(config):
    """Project a configuration (ours or Lambda's) onto the fields we manage."""
    vpc = config.get('VpcConfig') or {}
    return {
        'Runtime': config.get('Runtime'),
        'Handler': config.get('Handler'),
        'Role': config.get('Role'),
        'MemorySize': config.get('MemorySize', 128),
        'Timeout': config.get('Timeout', 3),
        'Environment': (config.get('Environment') or {}).get('Variables') or {},
        'Layers': [layer if isinstance(layer, str) else layer.get('Arn')
                   for layer in config.get('Layers') or []],
        'SubnetIds': sorted(vpc.get('SubnetIds') or []),
        'SecurityGroupIds': sorted(vpc.get('SecurityGroupIds') or []),
        'TracingMode': (config.get('TracingConfig') or {}).get('Mode', 'PassThrough'),
        'EphemeralStorage': (config.get('EphemeralStorage') or {}).get('Size', 512),
    }


@register
class LambdaFunctionHome(ResourceHome):
    resource_type = 'lambda_function'

    def read_remote(self, aws, model, record):
        if isinstance(aws, ReadSession):
            listed = aws.function(model.function_name)
            if listed == ABSENT:
                return None
            if listed is not None and (record or {}).get(SETTINGS_KEY) == \
                    settings_digest(model) and record.get('lambda_arn') == \
                    listed.get('FunctionArn'):
                # Tags and reserved concurrency are as the last deploy set them
                # (ListFunctions reports neither).
                return {'config': listed, 'tags': dict(model.tags),
                        'concurrency': model.reserved_concurrency}
        response = aws.call('lambda', 'get_function', {'FunctionName': model.function_name},
                            ignore_errors=_GONE)
        if response is None:
            return None
        return {
            'config': response['Configuration'],
            'tags': response.get('Tags') or {},
            'concurrency': (response.get('Concurrency') or {}).get(
                'ReservedConcurrentExecutions'),
        }

    def plan(self, model, record, remote, ctx):
        arn_var = '%s.lambda_arn' % model.resource_name
        name = model.function_name
        digest = settings_digest(model)
        if remote is None:
            params = desired_configuration(model)
            params.update({
                'Code': {'ZipFile': FileContents(model.package.path)},
                'Tags': dict(model.tags),
                'Architectures': [model.architecture],
                'Publish': False,
            })
            if not model.subnet_ids and not model.security_group_ids:
                params.pop('VpcConfig')
            values = {'lambda_arn': Var(arn_var)}
            if model.reserved_concurrency is None:
                values[SETTINGS_KEY] = digest  # the tags are set by CreateFunction
            steps = [
                APICall('lambda', 'create_function', params, outputs={arn_var: 'FunctionArn'},
                        message='Creating lambda function: %s' % name),
                RecordResource(model.resource_name, self.resource_type, values),
                APICall('lambda', 'wait_function_ready', {'FunctionName': name}),
            ]
            if model.reserved_concurrency is not None:
                steps.append(self._put_concurrency(model))
                steps.append(RecordResource(model.resource_name, self.resource_type,
                                            dict(values, **{SETTINGS_KEY: digest})))
            return steps

        config = remote['config']
        arn = config['FunctionArn']
        steps = [SetVar(arn_var, arn)]
        settings = self._tag_changes(model, arn, remote['tags'])
        if remote['concurrency'] != model.reserved_concurrency:
            if model.reserved_concurrency is None:
                settings.append(APICall('lambda', 'delete_function_concurrency',
                                        {'FunctionName': name}))
            else:
                settings.append(self._put_concurrency(model))
        recorded = record_values(record)
        final = {'lambda_arn': arn, SETTINGS_KEY: digest}
        if settings:
            # Until they are applied, the record must not claim they are.
            if recorded != {'lambda_arn': arn}:
                steps.append(RecordResource(model.resource_name, self.resource_type,
                                            {'lambda_arn': arn}))
        elif recorded != final:
            steps.append(RecordResource(model.resource_name, self.resource_type, final))
        updating = []
        architecture_changed = list(config.get('Architectures') or ['x86_64']) != [
            model.architecture]
        if config.get('CodeSha256') != model.package.code_sha256 or architecture_changed:
            params = {'FunctionName': name, 'ZipFile': FileContents(model.package.path)}
            if architecture_changed:
                params['Architectures'] = [model.architecture]
            updating.append(APICall('lambda', 'update_function_code', params))
        desired = desired_configuration(model)
        resolved = try_resolve(desired, ctx.known)
        if resolved is None or _comparable(resolved) != _comparable(config):
            updating.append(APICall('lambda', 'update_function_configuration', desired))
        updating.extend(settings)
        if updating:
            steps.append(Message('Updating lambda function: %s' % name))
            steps.extend(updating)
        else:
            steps.append(Message('No changes to lambda function: %s' % name))
        if settings:
            steps.append(RecordResource(model.resource_name, self.resource_type, final))
        return steps

    def plan_delete(self, record, remote, ctx):
        return [
            APICall('lambda', 'delete_function', {'FunctionName': record['lambda_arn']},
                    message='Deleting function: %s' % record['lambda_arn'],
                    ignore_errors=_GONE),
            ForgetResource(record['name']),
        ]

    def emit_sam(self, model, ctx):
        from chalice.deploy.naming import archive_uri

        logical_id = ctx.function_id(model)
        # AWS Chalice's properties, in its order, defaults included
        # (Tracing, Architectures); EphemeralStorage is ours (AWS Chalice's
        # template leaves lambda_ephemeral_storage out).
        properties = {
            'Runtime': model.runtime,
            'Handler': model.handler,
            'CodeUri': archive_uri(model.package),
            'Tags': dict(model.tags),
            'Tracing': 'Active' if model.xray else 'PassThrough',
            'Timeout': model.timeout,
            'MemorySize': model.memory_size,
            'Architectures': [model.architecture],
        }
        if model.environment_variables:
            properties['Environment'] = {'Variables': dict(model.environment_variables)}
        if model.subnet_ids or model.security_group_ids:
            properties['VpcConfig'] = {'SecurityGroupIds': list(model.security_group_ids),
                                       'SubnetIds': list(model.subnet_ids)}
        if model.reserved_concurrency is not None:
            properties['ReservedConcurrentExecutions'] = model.reserved_concurrency
        layers = list(model.layers)
        if model.managed_layer is not None:
            layers.append(ctx.intrinsic(Var('%s.layer_version_arn'
                                            % model.managed_layer.resource_name)))
        if layers:
            properties['Layers'] = layers
        if model.ephemeral_storage != 512:
            properties['EphemeralStorage'] = {'Size': model.ephemeral_storage}
        properties['Role'] = ctx.role_arn(model.role)
        return {logical_id: {'Type': 'AWS::Serverless::Function', 'Properties': properties}}

    def emit_terraform(self, model, ctx):
        name = model.resource_name
        configuration = desired_configuration(model)
        # What the API takes empty (or at its default) the provider takes absent.
        if not model.environment_variables:
            configuration.pop('Environment')
        if not configuration['Layers']:
            configuration.pop('Layers')
        if not model.subnet_ids and not model.security_group_ids:
            configuration.pop('VpcConfig')
        if not model.xray:
            configuration.pop('TracingConfig')
        if model.ephemeral_storage == 512:
            configuration.pop('EphemeralStorage')
        if model.reserved_concurrency is not None:
            configuration['ReservedConcurrentExecutions'] = model.reserved_concurrency
        arguments = tf_arguments(ctx.value(configuration))
        arguments.update({
            'filename': tf_module_file(archive_name(model.package)),
            'source_code_hash': tf_file_hash(archive_name(model.package)),
            'architectures': [model.architecture],
            'tags': ctx.value(dict(model.tags)),
        })
        return tf_resources(('aws_lambda_function', name, arguments))

    @staticmethod
    def _put_concurrency(model):
        return APICall('lambda', 'put_function_concurrency', {
            'FunctionName': model.function_name,
            'ReservedConcurrentExecutions': model.reserved_concurrency})

    @staticmethod
    def _tag_changes(model, arn, remote_tags):
        """Untag/tag calls bringing the function's tags to the model's."""
        steps = []
        stale = sorted(set(remote_tags) - set(model.tags))
        if stale:
            steps.append(APICall('lambda', 'untag_resource',
                                 {'Resource': arn, 'TagKeys': stale}))
        changed = {k: v for k, v in model.tags.items() if remote_tags.get(k) != v}
        if changed:
            steps.append(APICall('lambda', 'tag_resource', {'Resource': arn, 'Tags': changed}))
        return steps
