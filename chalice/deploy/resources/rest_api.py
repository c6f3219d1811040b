"""The REST API: its definition, its stage deployment and Lambda permissions.

The API is created by importing the Swagger definition and updated by
putting it in overwrite mode; a deployment to the API Gateway stage follows
either.  The sha256 of the definition that was last deployed is kept in the
state record (``api_definition_sha256``), so an unchanged app neither
re-imports nor redeploys.  API Gateway's permission to invoke the handler
(and each built-in authorizer) is added only when the function's resource
policy lacks it.
"""

from chalice.deploy.naming import tf_address, tf_ref, tf_resources
from chalice.deploy.plan import (
    APICall,
    Digest,
    ForgetResource,
    JSONDocument,
    Message,
    RecordResource,
    SetVar,
    Template,
    Var,
    sha256_of,
    try_resolve,
)
from chalice.deploy.resources.base import ResourceHome, register
from chalice.deploy.resources.permissions import (
    APIGATEWAY_PRINCIPAL,
    execute_api_arn,
    function_policy_statements,
    missing_grants,
    sam_execute_api_arn,
    sam_permission,
    tf_permission,
)

_GONE = ('NotFoundException',)
# The Terraform local holding the API definition (AWS Chalice's name).
SWAGGER_LOCAL = 'chalice_api_swagger'


def rest_api_url(api_id, region, stage, dns_suffix='amazonaws.com'):
    return Template(('https://', api_id, '.execute-api.%s.%s/%s/' % (region, dns_suffix,
                                                                        stage)))


@register
class RestAPIHome(ResourceHome):
    resource_type = 'rest_api'

    def read_remote(self, aws, model, record):
        permissions = {}
        for function in (model.lambda_function,) + tuple(model.authorizers):
            permissions[function.function_name] = function_policy_statements(
                aws, function.function_name)
        if not record or not record.get('rest_api_id'):
            return {'api': None, 'permissions': permissions}
        api_id = record['rest_api_id']
        api = aws.call('apigateway', 'get_rest_api', {'restApiId': api_id},
                       ignore_errors=_GONE)
        stage = None
        if api is not None:
            stage = aws.call('apigateway', 'get_stage', {
                'restApiId': api_id, 'stageName': model.api_gateway_stage},
                ignore_errors=_GONE)
        return {'api': api, 'stage_exists': stage is not None,
                'stage_tracing': bool((stage or {}).get('tracingEnabled')),
                'permissions': permissions}

    def plan(self, model, record, remote, ctx):
        id_var = '%s.rest_api_id' % model.resource_name
        api_id = Var(id_var)
        definition = JSONDocument(model.definition, as_bytes=True)
        url = rest_api_url(api_id, ctx.region, model.api_gateway_stage, ctx.dns_suffix)
        api = (remote or {}).get('api')
        steps = []
        if api is None:
            steps.append(APICall(
                'apigateway', 'import_rest_api', {
                    'body': definition,
                    'parameters': {'endpointConfigurationTypes': model.endpoint_type}},
                outputs={id_var: 'id'}, message='Creating Rest API'))
            steps.append(RecordResource(model.resource_name, self.resource_type, {
                'rest_api_id': api_id, 'rest_api_url': url}))
            steps.extend(self._compression(model, None, api_id))
            steps.append(self._deployment(model, api_id))
            steps.extend(self._tracing(model, False, api_id))
            changed = True
        else:
            steps.append(SetVar(id_var, api['id']))
            ctx.known[id_var] = api['id']
            updates = self._updates(model, record, remote, ctx, api, api_id, url)
            changed = bool(updates)
            if changed:
                steps.append(Message('Updating rest API'))
                steps.extend(updates)
        permissions = self._permissions(model, remote, ctx, api_id)
        if permissions and not changed:
            steps.append(Message('Updating rest API permissions'))
            changed = True
        steps.extend(permissions)
        if changed:
            steps.append(RecordResource(model.resource_name, self.resource_type, {
                'rest_api_id': api_id, 'rest_api_url': url,
                'api_definition_sha256': Digest(model.definition)}))
        else:
            steps.append(Message('No changes to Rest API: %s' % api['id']))
        return steps

    def _updates(self, model, record, remote, ctx, api, api_id, url):
        """The calls that bring an existing API to the model; [] if it is current."""
        steps = []
        resolved = try_resolve(model.definition, ctx.known)
        if resolved is None or record.get('api_definition_sha256') != sha256_of(resolved):
            steps.append(APICall('apigateway', 'put_rest_api', {
                'restApiId': api_id, 'mode': 'overwrite',
                'body': JSONDocument(model.definition, as_bytes=True)}))
        remote_types = (api.get('endpointConfiguration') or {}).get('types') or []
        if remote_types and remote_types != [model.endpoint_type]:
            steps.append(APICall('apigateway', 'update_rest_api', {
                'restApiId': api_id, 'patchOperations': [{
                    'op': 'replace',
                    'path': '/endpointConfiguration/types/%s' % remote_types[0],
                    'value': model.endpoint_type}]}))
        steps.extend(self._compression(model, api.get('minimumCompressionSize'), api_id))
        # Deployed last time to another API Gateway stage (--api-gateway-stage):
        # this stage may hold an older definition, and the recorded URL is wrong.
        other_stage = record.get('rest_api_url') != try_resolve(url, ctx.known)
        if steps or other_stage or not remote.get('stage_exists'):
            steps.append(self._deployment(model, api_id))
        # A stage that create_deployment makes anew is not traced yet.
        tracing = bool(remote.get('stage_exists') and remote.get('stage_tracing'))
        steps.extend(self._tracing(model, tracing, api_id))
        return steps

    def plan_delete(self, record, remote, ctx):
        return [
            APICall('apigateway', 'delete_rest_api', {'restApiId': record['rest_api_id']},
                    message='Deleting Rest API: %s' % record['rest_api_id'],
                    ignore_errors=_GONE),
            ForgetResource(record['name']),
        ]

    def emit_sam(self, model, ctx):
        definition = dict(model.definition)
        properties = {
            'EndpointConfiguration': model.endpoint_type,
            'StageName': model.api_gateway_stage,
        }
        # SAM's property (as AWS Chalice writes it) rather than the extension.
        if definition.pop('x-amazon-apigateway-minimum-compression-size', None) is not None:
            properties['MinimumCompressionSize'] = model.minimum_compression_size
        properties['DefinitionBody'] = ctx.intrinsic(definition)
        if model.xray:
            properties['TracingEnabled'] = True
        resources = {'RestAPI': {'Type': 'AWS::Serverless::Api', 'Properties': properties}}
        for function, suffix in _grants(model):
            function_id = ctx.function_id(function)
            resources[function_id + 'InvokePermission'] = sam_permission(
                function_id, APIGATEWAY_PRINCIPAL, sam_execute_api_arn('RestAPI', suffix),
                by_arn=function is not model.lambda_function)
        handler_id = ctx.function_id(model.lambda_function)
        ctx.outputs.update({
            'RestAPIId': {'Value': {'Ref': 'RestAPI'}},
            handler_id + 'Name': {'Value': {'Ref': handler_id}},
            handler_id + 'Arn': {'Value': ctx.function_arn(model.lambda_function)},
            'EndpointURL': {'Value': {'Fn::Sub': (
                'https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/%s/'
                % model.api_gateway_stage)}},
        })
        return resources

    def emit_terraform(self, model, ctx):
        name = model.resource_name
        api = {
            'name': ctx.value(model.api_name),
            # The definition is the local AWS Chalice names ``chalice_api_swagger``
            # (files of the user's own may refer to it).
            'body': '${local.%s}' % SWAGGER_LOCAL,
            'endpoint_configuration': {'types': [model.endpoint_type]},
        }
        binary_types = model.definition.get('x-amazon-apigateway-binary-media-types')
        if binary_types:
            api['binary_media_types'] = ctx.value(binary_types)
        if model.minimum_compression_size is not None:
            api['minimum_compression_size'] = model.minimum_compression_size
        if model.policy is not None:
            api['policy'] = ctx.json_text(model.policy)
        stage = {
            'rest_api_id': tf_ref('aws_api_gateway_rest_api', name, 'id'),
            'deployment_id': tf_ref('aws_api_gateway_deployment', name, 'id'),
            'stage_name': ctx.value(model.api_gateway_stage)}
        if model.xray:
            stage['xray_tracing_enabled'] = True
        entries = [
            ('aws_api_gateway_rest_api', name, api),
            ('aws_api_gateway_deployment', name, {
                'rest_api_id': tf_ref('aws_api_gateway_rest_api', name, 'id'),
                # A changed definition (routes, policy, binary types) is deployed anew.
                'triggers': {'redeployment': '${sha1(%s.body)}' % tf_address(
                    'aws_api_gateway_rest_api', name)},
                'lifecycle': {'create_before_destroy': True}}),
            ('aws_api_gateway_stage', name, stage),
        ]
        execution_arn = tf_ref('aws_api_gateway_rest_api', name, 'execution_arn')
        for function, suffix in _grants(model):
            # AWS Chalice's labels: ``rest_api_invoke`` for the handler,
            # ``<authorizer>_invoke`` for each built-in authorizer.
            label = '%s_invoke' % (name if function is model.lambda_function
                                   else function.resource_name)
            grant = tf_permission(ctx, function, APIGATEWAY_PRINCIPAL, None)
            # The API's ARN as AWS Chalice writes it (the same value).
            grant['source_arn'] = execution_arn + suffix
            entries.append(('aws_lambda_permission', label, grant))
        ctx.outputs.update({
            'EndpointURL': {'value': tf_ref('aws_api_gateway_stage', name, 'invoke_url')},
            'RestAPIId': {'value': tf_ref('aws_api_gateway_rest_api', name, 'id')},
        })
        fragment = tf_resources(*entries)
        fragment['locals'] = {SWAGGER_LOCAL: ctx.json_text(model.definition)}
        return fragment

    @staticmethod
    def _deployment(model, api_id):
        return APICall('apigateway', 'create_deployment', {
            'restApiId': api_id, 'stageName': model.api_gateway_stage})

    @staticmethod
    def _tracing(model, current, api_id):
        """Turn the stage's active X-Ray tracing on or off (``xray``)."""
        if current == model.xray:
            return []
        return [APICall('apigateway', 'update_stage', {
            'restApiId': api_id, 'stageName': model.api_gateway_stage,
            'patchOperations': [{'op': 'replace', 'path': '/tracingEnabled',
                                 'value': 'true' if model.xray else 'false'}]})]

    @staticmethod
    def _compression(model, current, api_id):
        desired = model.minimum_compression_size
        if current == desired:
            return []
        return [APICall('apigateway', 'update_rest_api', {
            'restApiId': api_id, 'patchOperations': [{
                'op': 'replace', 'path': '/minimumCompressionSize',
                'value': '' if desired is None else str(desired)}]})]

    def _permissions(self, model, remote, ctx, api_id):
        everything = execute_api_arn(ctx, api_id)
        # AWS Chalice lets API Gateway invoke an authorizer for every route
        # of the API; ours grants the authorizers only and replaces that.
        grants = [(function, execute_api_arn(ctx, api_id, suffix), [everything])
                  for function, suffix in _grants(model)]
        return missing_grants(grants, (remote or {}).get('permissions', {}),
                              APIGATEWAY_PRINCIPAL, 'chalice-apigateway-', ctx.known)


def _grants(model):
    """``(function, execute-api ARN suffix)``: the handler for every route, the
    built-in authorizers for ``/authorizers/*`` only."""
    return [(model.lambda_function, '/*')] + [(authorizer, '/authorizers/*')
                                              for authorizer in model.authorizers]
