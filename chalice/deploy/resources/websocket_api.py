"""API Gateway websocket APIs (API Gateway v2, protocol ``WEBSOCKET``).

One websocket API per app and stage, named ``<app>-<stage>-websocket-api``,
with one route per handler the app defines (``$connect``, ``$default`` for
messages, ``$disconnect``), each targeting a Lambda proxy integration of
its handler function, and one stage (``websocket_api_stage``, default
``api``) serving the latest deployment.  Integrations and routes carry the
settings AWS Chalice gives them (:data:`INTEGRATION_SETTINGS`, a
description per route, :data:`ROUTE_RESPONSE_SELECTION_EXPRESSION`), so an
API it deployed is taken over as it is.

The record holds the API id and its ``wss://`` URL as soon as the API
exists, and - once a deployment of the current routes is live on the
stage - the sha256 of the route -> integration mapping that was deployed
(``routes_sha256``).  A redeploy compares the routes and integrations AWS
reports with the app's and plans only the differences: a route added,
removed or pointed at another function is created, deleted or updated, and
only then is a new deployment made.  An unchanged app makes read calls
only.  Integrations left without a route (by a run that stopped between
creating an integration and its route) are reused or deleted, so reruns
converge.  API Gateway's permission to invoke each handler is added only
when the function's resource policy lacks it.
"""

from chalice.deploy.models import WEBSOCKET_ROUTE_DESCRIPTIONS
from chalice.deploy.naming import (
    WEBSOCKET_IDS,
    tf_address,
    tf_arguments,
    tf_ref,
    tf_resources,
    tf_stage_label,
)
from chalice.deploy.plan import (
    APICall,
    Digest,
    ForgetResource,
    Message,
    RecordResource,
    SetVar,
    Template,
    Var,
    sha256_of,
    try_resolve,
)
from chalice.deploy.resources.base import ResourceHome, record_values, register
from chalice.deploy.resources.permissions import (
    APIGATEWAY_PRINCIPAL,
    execute_api_arn,
    function_policy_statements,
    missing_grants,
    sam_execute_api_arn,
    sam_permission,
    tf_permission,
)

SERVICE = 'apigatewayv2'
ROUTE_SELECTION_EXPRESSION = '$request.body.action'
INTEGRATION_TYPE = 'AWS_PROXY'
INTEGRATION_SETTINGS = {'ConnectionType': 'INTERNET',
                        'ContentHandlingStrategy': 'CONVERT_TO_TEXT'}
ROUTE_RESPONSE_SELECTION_EXPRESSION = '$default'
DIGEST_KEY = 'routes_sha256'
STATEMENT_PREFIX = 'chalice-websocket-'
_GONE = ('NotFoundException',)


def websocket_api_url(api_id, region, stage, dns_suffix='amazonaws.com'):
    return Template(('wss://', api_id, '.execute-api.%s.%s/%s/' % (region, dns_suffix, stage)))


def integration_uri(function, ctx):
    """The Lambda invocation URI API Gateway calls for ``function``."""
    return Template(('arn:%s:apigateway:%s:lambda:path/2015-03-31/functions/'
                     % (ctx.partition, ctx.region),
                     Var('%s.lambda_arn' % function.resource_name), '/invocations'))


@register
class WebsocketAPIHome(ResourceHome):
    resource_type = 'websocket_api'

    # -- reading AWS

    def read_remote(self, aws, model, record):
        """What exists: the API, its routes, integrations, stages; the grants.

        ``{'api': None, ...}`` when nothing is recorded or the recorded API
        is gone; otherwise ``routes`` maps route keys to ``{'id', 'target'}``,
        ``integrations`` maps ids to ``{'uri', 'type'}`` and ``stages`` maps
        stage names to their deployment id.
        """
        permissions = {}
        for _, function in model.routes():
            permissions[function.function_name] = function_policy_statements(
                aws, function.function_name)
        remote = {'api': None, 'permissions': permissions}
        api_id = (record or {}).get('websocket_api_id')
        if not api_id:
            return remote
        api = aws.call(SERVICE, 'get_api', {'ApiId': api_id}, ignore_errors=_GONE)
        if api is None:
            return remote
        remote['api'] = {'id': api['ApiId'], 'name': api.get('Name')}
        remote['routes'] = {
            item['RouteKey']: {'id': item['RouteId'], 'target': item.get('Target'),
                               'response_selection': item.get(
                                   'RouteResponseSelectionExpression')}
            for item in all_items(aws, 'get_routes', api_id)}
        remote['integrations'] = {
            item['IntegrationId']: _integration_as_read(item)
            for item in all_items(aws, 'get_integrations', api_id)}
        remote['stages'] = {item['StageName']: item.get('DeploymentId')
                            for item in all_items(aws, 'get_stages', api_id)}
        return remote

    # -- planning

    def plan(self, model, record, remote, ctx):
        remote = remote or {}
        id_var = '%s.websocket_api_id' % model.resource_name
        api_id = Var(id_var)
        url = websocket_api_url(api_id, ctx.region, model.api_gateway_stage, ctx.dns_suffix)
        desired = {key: integration_uri(function, ctx) for key, function in model.routes()}
        deployed = {'routes': desired, 'stage': model.api_gateway_stage}
        api = remote.get('api')
        if api is None:
            return self._plan_create(model, remote, ctx, api_id, url, desired, deployed)

        ctx.known[id_var] = api['id']
        steps = [SetVar(id_var, api['id'])]
        changes, cleanup = self._route_changes(model, remote, ctx, api_id, desired)
        stages = remote.get('stages') or {}
        stage = model.api_gateway_stage
        resolved = try_resolve(deployed, ctx.known)
        current = resolved is not None and (record or {}).get(DIGEST_KEY) == sha256_of(resolved)
        redeploy = bool(changes) or not current or not stages.get(stage)
        stale_stages = [APICall(SERVICE, 'delete_stage', {'ApiId': api_id, 'StageName': name},
                                ignore_errors=_GONE)
                        for name in sorted(stages) if name != stage]
        permissions = self._permissions(model, remote, ctx, api_id)
        if not redeploy:
            # The deployed routes are current: refresh a stale record, without calls.
            values = {'websocket_api_id': api['id'],
                      'websocket_api_url': try_resolve(url, ctx.known),
                      DIGEST_KEY: record[DIGEST_KEY]}
            if record_values(record) != values:
                steps.append(RecordResource(model.resource_name, self.resource_type, values))
        if not (redeploy or cleanup or stale_stages or permissions):
            steps.append(Message('No changes to websocket api: %s' % model.api_name))
            return steps
        steps.append(Message('Updating websocket api: %s' % model.api_name))
        steps.extend(changes)
        if redeploy:
            steps.extend(self._deployment(model, api_id, stage in stages))
            steps.append(self._record(model, api_id, url, deployed))
        steps.extend(cleanup)
        steps.extend(stale_stages)
        steps.extend(permissions)
        return steps

    def _plan_create(self, model, remote, ctx, api_id, url, desired, deployed):
        steps = [
            APICall(SERVICE, 'create_api', {
                'Name': model.api_name, 'ProtocolType': 'WEBSOCKET',
                'RouteSelectionExpression': ROUTE_SELECTION_EXPRESSION},
                outputs={api_id.name: 'ApiId'},
                message='Creating websocket api: %s' % model.api_name),
            RecordResource(model.resource_name, self.resource_type,
                           {'websocket_api_id': api_id, 'websocket_api_url': url}),
        ]
        for key, uri in desired.items():
            integration_id = Var(self._integration_var(model, key))
            steps.append(self._create_integration(api_id, key, uri, integration_id))
            steps.append(self._create_route(api_id, key, integration_id))
        steps.extend(self._permissions(model, remote, ctx, api_id))
        steps.extend(self._deployment(model, api_id, stage_exists=False))
        steps.append(self._record(model, api_id, url, deployed))
        return steps

    def _route_changes(self, model, remote, ctx, api_id, desired):
        """Steps making the API's routes and integrations match ``desired``.

        Returns ``(changes, cleanup)``: the changes (stale routes deleted,
        then routes created or repointed) need a new deployment; the
        cleanup (deleting integrations no route uses) does not, and comes
        after it.
        """
        routes = remote.get('routes') or {}
        integrations = remote.get('integrations') or {}
        kept = {target_integration_id(routes[key]['target'])
                for key in desired if key in routes} & set(integrations)
        spare = [iid for iid in sorted(integrations) if iid not in kept]
        steps = [APICall(SERVICE, 'delete_route', {'ApiId': api_id, 'RouteId': routes[key]['id']},
                         ignore_errors=_GONE)
                 for key in sorted(routes) if key not in desired]
        for key, uri in desired.items():
            known_uri = try_resolve(uri, ctx.known)
            wanted = _integration_as_read(_integration_params(key, known_uri)) \
                if known_uri is not None else None
            route = routes.get(key)
            current = target_integration_id(route['target']) if route is not None else None
            if current in kept:
                if wanted is None or integrations[current] != wanted:
                    steps.append(APICall(SERVICE, 'update_integration', dict(
                        _integration_params(key, uri), ApiId=api_id, IntegrationId=current)))
                if route.get('response_selection') != ROUTE_RESPONSE_SELECTION_EXPRESSION:
                    steps.append(self._update_route(api_id, route['id'], None))
                continue
            # An integration a stopped run created but never routed to is reused.
            reusable = [iid for iid in spare if wanted is not None and
                        integrations[iid] == wanted]
            if reusable:
                spare.remove(reusable[0])
                integration_id = reusable[0]
            else:
                integration_id = Var(self._integration_var(model, key))
                steps.append(self._create_integration(api_id, key, uri, integration_id))
            if route is None:
                steps.append(self._create_route(api_id, key, integration_id))
            else:
                steps.append(self._update_route(api_id, route['id'], integration_id))
        cleanup = [APICall(SERVICE, 'delete_integration',
                           {'ApiId': api_id, 'IntegrationId': iid}, ignore_errors=_GONE)
                   for iid in spare]
        return steps, cleanup

    @staticmethod
    def _integration_var(model, route_key):
        return '%s.integration_id.%s' % (model.resource_name, route_key)

    @staticmethod
    def _create_integration(api_id, route_key, uri, integration_id):
        return APICall(SERVICE, 'create_integration',
                       dict(_integration_params(route_key, uri), ApiId=api_id),
                       outputs={integration_id.name: 'IntegrationId'})

    @staticmethod
    def _create_route(api_id, route_key, integration_id):
        return APICall(SERVICE, 'create_route', {
            'ApiId': api_id, 'RouteKey': route_key, 'Target': integration_target(integration_id),
            'RouteResponseSelectionExpression': ROUTE_RESPONSE_SELECTION_EXPRESSION})

    @staticmethod
    def _update_route(api_id, route_id, integration_id):
        """Point a route at ``integration_id`` (None: keep its target) with our settings."""
        params = {'ApiId': api_id, 'RouteId': route_id,
                  'RouteResponseSelectionExpression': ROUTE_RESPONSE_SELECTION_EXPRESSION}
        if integration_id is not None:
            params['Target'] = integration_target(integration_id)
        return APICall(SERVICE, 'update_route', params)

    @staticmethod
    def _deployment(model, api_id, stage_exists):
        deployment_var = '%s.deployment_id' % model.resource_name
        return [
            APICall(SERVICE, 'create_deployment', {'ApiId': api_id},
                    outputs={deployment_var: 'DeploymentId'}),
            APICall(SERVICE, 'update_stage' if stage_exists else 'create_stage', {
                'ApiId': api_id, 'StageName': model.api_gateway_stage,
                'DeploymentId': Var(deployment_var)}),
        ]

    def _record(self, model, api_id, url, deployed):
        return RecordResource(model.resource_name, self.resource_type, {
            'websocket_api_id': api_id, 'websocket_api_url': url,
            DIGEST_KEY: Digest(deployed)})

    @staticmethod
    def _permissions(model, remote, ctx, api_id):
        source_arn = execute_api_arn(ctx, api_id)
        functions = {function.resource_name: function for _, function in model.routes()}
        return missing_grants([(function, source_arn) for function in functions.values()],
                              remote.get('permissions') or {}, APIGATEWAY_PRINCIPAL,
                              STATEMENT_PREFIX, ctx.known)

    def emit_sam(self, model, ctx):
        api = {'Ref': 'WebsocketAPI'}
        resources = {'WebsocketAPI': {'Type': 'AWS::ApiGatewayV2::Api', 'Properties': {
            'Name': model.api_name, 'ProtocolType': 'WEBSOCKET',
            'RouteSelectionExpression': ROUTE_SELECTION_EXPRESSION}}}
        routes = []
        for key, function in model.routes():
            prefix = WEBSOCKET_IDS[key]
            function_id = ctx.function_id(function)
            # AWS Chalice's logical ids (a renamed one would make CloudFormation
            # replace the integration of a stack it created).
            integration_id = prefix + 'APIIntegration'
            # Their settings and URI form too; no Description (what chalice
            # deploy gives each integration), which AWS Chalice's template omits.
            resources[integration_id] = {
                'Type': 'AWS::ApiGatewayV2::Integration', 'Properties': dict(
                    ApiId=api, **INTEGRATION_SETTINGS, IntegrationType=INTEGRATION_TYPE,
                    IntegrationUri={'Fn::Sub': [
                        'arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/'
                        '2015-03-31/functions/arn:${AWS::Partition}:lambda:${AWS::Region}:'
                        '${AWS::AccountId}:function:${WebsocketHandler}/invocations',
                        {'WebsocketHandler': {'Ref': function_id}}]})}
            # No RouteResponseSelectionExpression, as in AWS Chalice's template:
            # without a route response (neither tool makes one) it changes nothing.
            resources[prefix + 'Route'] = {'Type': 'AWS::ApiGatewayV2::Route', 'Properties': {
                'ApiId': api, 'RouteKey': key,
                'Target': {'Fn::Join': ['/', ['integrations', {'Ref': integration_id}]]}}}
            routes.append(prefix + 'Route')
            # Each handler's name and ARN, as Chalice 1.34's template outputs them.
            ctx.outputs[prefix + 'HandlerArn'] = {'Value': {'Fn::GetAtt': [function_id, 'Arn']}}
            ctx.outputs[prefix + 'HandlerName'] = {'Value': {'Ref': function_id}}
            resources[function_id + 'InvokePermission'] = sam_permission(
                function_id, APIGATEWAY_PRINCIPAL, sam_execute_api_arn('WebsocketAPI', '/*'))
        resources['WebsocketAPIDeployment'] = {'Type': 'AWS::ApiGatewayV2::Deployment',
                                               'DependsOn': routes,
                                               'Properties': {'ApiId': api}}
        resources['WebsocketAPIStage'] = {'Type': 'AWS::ApiGatewayV2::Stage', 'Properties': {
            'ApiId': api, 'DeploymentId': {'Ref': 'WebsocketAPIDeployment'},
            'StageName': model.api_gateway_stage}}
        ctx.outputs.update({
            'WebsocketAPIId': {'Value': api},
            'WebsocketConnectEndpointURL': {'Value': {'Fn::Sub': (
                'wss://${WebsocketAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/%s/'
                % model.api_gateway_stage)}},
        })
        return resources

    def emit_terraform(self, model, ctx):
        """The API, an integration, route and grant per handler, a deployment
        and the stage, labelled as AWS Chalice 1.34 labels them
        (``websocket_connect_api_integration``, ``websocket_connect_route``,
        ``websocket_connect_invoke_permission``, ``websocket_api_deployment``,
        ``websocket_api_stage``), so state moves between the two tools."""
        name = model.resource_name
        api_id = tf_ref('aws_apigatewayv2_api', name, 'id')
        deployment, stage = '%s_deployment' % name, tf_stage_label(name)
        entries = [('aws_apigatewayv2_api', name, {
            'name': ctx.value(model.api_name), 'protocol_type': 'WEBSOCKET',
            'route_selection_expression': ROUTE_SELECTION_EXPRESSION})]
        routes, watched = [], []
        for key, function in model.routes():
            handler = function.resource_name
            integration_label = '%s_api_integration' % handler
            # The integration chalice deploy creates, its parameters as arguments.
            integration = self._create_integration(
                Var('%s.websocket_api_id' % name), key, integration_uri(function, ctx),
                Var('%s.integration_id' % integration_label))
            entries.append(('aws_apigatewayv2_integration', integration_label,
                            tf_arguments(ctx.value(integration.params))))
            entries.append(('aws_apigatewayv2_route', '%s_route' % handler, {
                'api_id': api_id, 'route_key': key,
                'route_response_selection_expression': ROUTE_RESPONSE_SELECTION_EXPRESSION,
                'target': 'integrations/%s' % tf_ref('aws_apigatewayv2_integration',
                                                     integration_label, 'id')}))
            routes.append(tf_address('aws_apigatewayv2_route', '%s_route' % handler))
            watched.extend([routes[-1],
                            tf_address('aws_apigatewayv2_integration', integration_label)])
            grant = tf_permission(ctx, function, APIGATEWAY_PRINCIPAL,
                                  execute_api_arn(ctx, Var('%s.websocket_api_id' % name)))
            # By name, as AWS Chalice writes it (``function_name`` forces a
            # new permission when it changes, so a moved state keeps it).
            grant['function_name'] = tf_ref('aws_lambda_function', handler, 'function_name')
            entries.append(('aws_lambda_permission', '%s_invoke_permission' % handler, grant))
            prefix = WEBSOCKET_IDS[key]
            ctx.outputs[prefix + 'HandlerArn'] = {
                'value': tf_ref('aws_lambda_function', handler, 'arn')}
            ctx.outputs[prefix + 'HandlerName'] = {
                'value': tf_ref('aws_lambda_function', handler, 'function_name')}
        entries.append(('aws_apigatewayv2_deployment', deployment, {
            'api_id': api_id,
            # A route or integration that changed is deployed anew.
            'triggers': {'redeployment': '${sha1(jsonencode([%s]))}' % ', '.join(watched)},
            'depends_on': routes,
            'lifecycle': {'create_before_destroy': True}}))
        entries.append(('aws_apigatewayv2_stage', stage, {
            'api_id': api_id, 'name': ctx.value(model.api_gateway_stage),
            'deployment_id': tf_ref('aws_apigatewayv2_deployment', deployment, 'id')}))
        ctx.outputs.update({
            'WebsocketAPIId': {'value': api_id},
            # The URL chalice deploy prints and records (with the closing ``/``).
            'WebsocketConnectEndpointURL': {'value': ctx.value(websocket_api_url(
                Var('%s.websocket_api_id' % name), ctx.region, model.api_gateway_stage,
                ctx.dns_suffix))},
        })
        return tf_resources(*entries)

    def plan_delete(self, record, remote, ctx):
        api_id = record['websocket_api_id']
        return [
            APICall(SERVICE, 'delete_api', {'ApiId': api_id},
                    message='Deleting Websocket API: %s' % api_id, ignore_errors=_GONE),
            ForgetResource(record['name']),
        ]


def integration_target(integration_id):
    """A route's ``Target``: ``integrations/<id>``."""
    return Template(('integrations/', integration_id))


def _integration_params(route_key, uri):
    """CreateIntegration/UpdateIntegration parameters of a route's integration."""
    return dict(INTEGRATION_SETTINGS, IntegrationType=INTEGRATION_TYPE, IntegrationUri=uri,
                IntegrationMethod='POST',
                Description=WEBSOCKET_ROUTE_DESCRIPTIONS[route_key])


def _integration_as_read(item):
    """The settings of an integration we manage, as GetIntegrations reports them."""
    keys = ('IntegrationType', 'IntegrationUri', 'Description') + tuple(INTEGRATION_SETTINGS)
    return {key: item.get(key) for key in keys}


def target_integration_id(target):
    """The integration id a route's ``Target`` names (None for another target)."""
    if isinstance(target, str) and target.startswith('integrations/'):
        return target[len('integrations/'):]
    return None


def all_items(aws, method, api_id):
    """Every item of a paginated API Gateway v2 listing of one API (routes, stages...)."""
    items = []
    params = {'ApiId': api_id}
    while True:
        response = aws.call(SERVICE, method, params)
        items.extend(response.get('Items') or [])
        token = response.get('NextToken')
        if not token:
            return items
        params = {'ApiId': api_id, 'NextToken': token}


