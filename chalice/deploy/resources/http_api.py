"""API Gateway v2 HTTP APIs (``"api_gateway_type": "HTTP"``).

One HTTP API per app and stage, named after the app, made of:

* one Lambda proxy integration of the API handler (``AWS_PROXY``, payload
  format 2.0) that every route targets;
* one route per view and method (``GET /users/{id}``) with its
  authorization: ``NONE``, ``JWT`` (a :class:`~chalice.JWTAuthorizer`, with
  the route's scopes), ``CUSTOM`` (an ``@app.authorizer()`` function as a
  REQUEST authorizer with payload format 2.0) or ``AWS_IAM``;
* the ``$default`` stage with auto-deploy, so route changes go live without
  a deployment, and the URL is ``https://<api id>.execute-api.<region>.
  <dns suffix>/``;
* CORS through the API's CorsConfiguration (API Gateway answers preflight
  requests itself);
* API Gateway's permission to invoke the handler and each authorizer,
  added only when the function's resource policy lacks it.

A redeploy reads the API, its routes, integrations, authorizers and stages
and changes only what differs, so an unchanged app makes read calls only.
A run that stopped half-way converges: a missing integration, authorizer,
route or stage is created, a spare one deleted.  The state record (resource
type ``http_api``) holds ``http_api_id`` and ``http_api_url``, named like
the websocket API's fields.
"""

from chalice.deploy.naming import tf_arguments, tf_ref, tf_resources, to_logical_id
from chalice.deploy.plan import (
    APICall,
    ForgetResource,
    Message,
    RecordResource,
    SetVar,
    Template,
    Var,
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
from chalice.deploy.resources.websocket_api import (
    all_items,
    integration_target,
    integration_uri,
    target_integration_id,
)
from chalice.httpapi import JWT, NONE, normalized_cors

SERVICE = 'apigatewayv2'
INTEGRATION_TYPE = 'AWS_PROXY'
PAYLOAD_FORMAT = '2.0'
STAGE = '$default'
STATEMENT_PREFIX = 'chalice-httpapi-'
_GONE = ('NotFoundException',)


def http_api_url(api_id, region, dns_suffix='amazonaws.com'):
    return Template(('https://', api_id, '.execute-api.%s.%s/' % (region, dns_suffix)))


def authorizer_params(model, spec, ctx):
    """CreateAuthorizer's parameters (without ApiId) for an authorizer spec."""
    params = {'Name': spec.name, 'AuthorizerType': spec.authorizer_type,
              'IdentitySource': list(spec.identity_source)}
    if spec.authorizer_type == JWT:
        params['JwtConfiguration'] = {'Issuer': spec.issuer, 'Audience': list(spec.audience)}
    else:
        params.update({
            'AuthorizerUri': integration_uri(model.authorizer_function(spec), ctx),
            'AuthorizerPayloadFormatVersion': PAYLOAD_FORMAT,
            'EnableSimpleResponses': False,
            'AuthorizerResultTtlInSeconds': spec.ttl_seconds})
    return params


def _authorizer_shape(params):
    """What an authorizer does, from CreateAuthorizer parameters or GetAuthorizers."""
    jwt = params.get('JwtConfiguration') or {}
    shape = {'type': params.get('AuthorizerType'),
             'identity': sorted(params.get('IdentitySource') or [])}
    if shape['type'] == JWT:
        shape.update({'issuer': jwt.get('Issuer'), 'audience': sorted(jwt.get('Audience') or [])})
    else:
        shape.update({'uri': params.get('AuthorizerUri'),
                      'payload': params.get('AuthorizerPayloadFormatVersion'),
                      'simple': bool(params.get('EnableSimpleResponses')),
                      'ttl': params.get('AuthorizerResultTtlInSeconds') or 0})
    return shape


def _route_shape(target, auth_type, authorizer_id, scopes):
    """What a route does, for comparing the desired route with AWS's."""
    auth_type = auth_type or NONE
    if auth_type == NONE:
        return (target, NONE, None, ())
    return (target, auth_type, authorizer_id, tuple(sorted(scopes or ()) if auth_type == JWT
                                                   else ()))


@register
class HttpAPIHome(ResourceHome):
    resource_type = 'http_api'

    # -- reading AWS

    def read_remote(self, aws, model, record):
        """The API with its routes, integrations, authorizers and stages; the grants.

        ``{'api': None, ...}`` when nothing is recorded or the recorded API is
        gone (or is not an HTTP API).
        """
        permissions = {}
        for function in (model.lambda_function,) + tuple(model.authorizer_functions):
            permissions[function.function_name] = function_policy_statements(
                aws, function.function_name)
        remote = {'api': None, 'permissions': permissions}
        api_id = (record or {}).get('http_api_id')
        if not api_id:
            return remote
        api = aws.call(SERVICE, 'get_api', {'ApiId': api_id}, ignore_errors=_GONE)
        if api is None or api.get('ProtocolType') != 'HTTP':
            return remote
        remote['api'] = {'id': api['ApiId'], 'name': api.get('Name'),
                         'cors': api.get('CorsConfiguration')}
        remote['routes'] = {
            item['RouteKey']: {'id': item['RouteId'], 'target': item.get('Target'),
                               'shape': _route_shape(item.get('Target'),
                                                     item.get('AuthorizationType'),
                                                     item.get('AuthorizerId'),
                                                     item.get('AuthorizationScopes'))}
            for item in all_items(aws, 'get_routes', api_id)}
        remote['integrations'] = {
            item['IntegrationId']: (item.get('IntegrationType'), item.get('IntegrationUri'),
                                    item.get('PayloadFormatVersion'))
            for item in all_items(aws, 'get_integrations', api_id)}
        remote['authorizers'] = [
            {'id': item['AuthorizerId'], 'name': item.get('Name'),
             'shape': _authorizer_shape(item)}
            for item in all_items(aws, 'get_authorizers', api_id)]
        remote['stages'] = {item['StageName']: bool(item.get('AutoDeploy'))
                            for item in all_items(aws, 'get_stages', api_id)}
        return remote

    # -- planning

    def plan(self, model, record, remote, ctx):
        remote = remote or {}
        id_var = '%s.http_api_id' % model.resource_name
        api_id = Var(id_var)
        url = http_api_url(api_id, ctx.region, ctx.dns_suffix)
        api = remote.get('api')
        if api is None:
            return self._plan_create(model, remote, ctx, api_id, url)
        ctx.known[id_var] = api['id']
        steps = [SetVar(id_var, api['id'])]
        changes = self._api_changes(model, api, api_id)
        integration_id, integration_steps, spare = self._integration(model, remote, ctx, api_id)
        changes += integration_steps
        authorizer_ids, authorizer_steps, stale_authorizers = self._authorizers(
            model, remote, ctx, api_id)
        changes += authorizer_steps
        changes += self._routes(model, remote, ctx, api_id, integration_id, authorizer_ids)
        if STAGE not in (remote.get('stages') or {}):
            changes.append(self._create_stage(api_id))
        changes += stale_authorizers
        changes += [APICall(SERVICE, 'delete_integration', {'ApiId': api_id, 'IntegrationId': iid},
                            ignore_errors=_GONE) for iid in spare]
        changes += self._permissions(model, remote, ctx, api_id)
        values = {'http_api_id': api['id'], 'http_api_url': try_resolve(url, ctx.known)}
        if record_values(record) != values:
            steps.append(RecordResource(model.resource_name, self.resource_type, values))
        if not changes:
            steps.append(Message('No changes to HTTP API: %s' % model.api_name))
            return steps
        steps.append(Message('Updating HTTP API: %s' % model.api_name))
        return steps + changes

    def _plan_create(self, model, remote, ctx, api_id, url):
        params = {'Name': model.api_name, 'ProtocolType': 'HTTP'}
        if model.cors:
            params['CorsConfiguration'] = model.cors
        steps = [
            APICall(SERVICE, 'create_api', params, outputs={api_id.name: 'ApiId'},
                    message='Creating HTTP API: %s' % model.api_name),
            RecordResource(model.resource_name, self.resource_type,
                           {'http_api_id': api_id, 'http_api_url': url}),
        ]
        integration_id = Var('%s.integration_id' % model.resource_name)
        steps.append(self._create_integration(model, ctx, api_id, integration_id))
        authorizer_ids = {}
        for spec in model.authorizers:
            authorizer_ids[spec.name] = Var(self._authorizer_var(model, spec))
            steps.append(self._create_authorizer(model, spec, ctx, api_id,
                                                 authorizer_ids[spec.name]))
        for key, auth in model.routes:
            steps.append(APICall(SERVICE, 'create_route', self._route_params(
                api_id, key, integration_id, auth, authorizer_ids)))
        steps.append(self._create_stage(api_id))
        steps.extend(self._permissions(model, remote, ctx, api_id))
        return steps

    # -- the pieces

    @staticmethod
    def _api_changes(model, api, api_id):
        params = {}
        if api.get('name') != model.api_name:
            params['Name'] = model.api_name
        if normalized_cors(api.get('cors')) != normalized_cors(model.cors):
            if not model.cors:
                return ([APICall(SERVICE, 'update_api', dict(params, ApiId=api_id))]
                        if params else []) + [
                    APICall(SERVICE, 'delete_cors_configuration', {'ApiId': api_id},
                            ignore_errors=_GONE)]
            params['CorsConfiguration'] = model.cors
        return [APICall(SERVICE, 'update_api', dict(params, ApiId=api_id))] if params else []

    def _integration(self, model, remote, ctx, api_id):
        """The integration every route targets: ``(id, steps, spare ids)``.

        An integration that already does the job is kept (the one the routes
        use first); otherwise one the routes use is updated, or a new one is
        created.  The others are spare and deleted once no route uses them.
        """
        integrations = remote.get('integrations') or {}
        params = self._integration_params(model, ctx)
        wanted = try_resolve((INTEGRATION_TYPE, params['IntegrationUri'], PAYLOAD_FORMAT),
                             ctx.known)
        used = [target_integration_id(route['target'])
                for _, route in sorted((remote.get('routes') or {}).items())]
        ordered = [iid for iid in used if iid in integrations] + sorted(integrations)
        matching = [iid for iid in ordered if wanted is not None and
                    integrations[iid] == tuple(wanted)]
        steps = []
        if matching:
            chosen = matching[0]
        elif ordered:
            chosen = ordered[0]
            steps.append(APICall(SERVICE, 'update_integration', dict(
                params, ApiId=api_id, IntegrationId=chosen)))
        else:
            chosen = Var('%s.integration_id' % model.resource_name)
            steps.append(self._create_integration(model, ctx, api_id, chosen))
        spare = [iid for iid in sorted(integrations) if iid != chosen]
        return chosen, steps, spare

    def _authorizers(self, model, remote, ctx, api_id):
        """``({name: id}, steps creating/updating, steps deleting the unwanted)``."""
        existing = {}
        stale = []
        for item in remote.get('authorizers') or []:
            if item['name'] in existing:
                stale.append(item['id'])  # a duplicate name: keep the first
            else:
                existing[item['name']] = item
        ids, steps = {}, []
        for spec in model.authorizers:
            params = authorizer_params(model, spec, ctx)
            found = existing.pop(spec.name, None)
            if found is None:
                ids[spec.name] = Var(self._authorizer_var(model, spec))
                steps.append(self._create_authorizer(model, spec, ctx, api_id, ids[spec.name]))
                continue
            ids[spec.name] = found['id']
            if try_resolve(_authorizer_shape(params), ctx.known) != found['shape']:
                steps.append(APICall(SERVICE, 'update_authorizer', dict(
                    params, ApiId=api_id, AuthorizerId=found['id'])))
        stale.extend(item['id'] for item in existing.values())
        deletes = [APICall(SERVICE, 'delete_authorizer', {'ApiId': api_id, 'AuthorizerId': aid},
                           ignore_errors=_GONE) for aid in stale]
        return ids, steps, deletes

    def _routes(self, model, remote, ctx, api_id, integration_id, authorizer_ids):
        routes = remote.get('routes') or {}
        desired = dict(model.routes)
        steps = [APICall(SERVICE, 'delete_route', {'ApiId': api_id, 'RouteId': routes[key]['id']},
                         ignore_errors=_GONE)
                 for key in sorted(routes) if key not in desired]
        for key, auth in model.routes:
            params = self._route_params(api_id, key, integration_id, auth, authorizer_ids)
            route = routes.get(key)
            if route is None:
                steps.append(APICall(SERVICE, 'create_route', params))
                continue
            shape = try_resolve(_route_shape(params['Target'], auth.authorization_type,
                                             params.get('AuthorizerId'), auth.scopes), ctx.known)
            if shape != route['shape']:
                del params['RouteKey']
                steps.append(APICall(SERVICE, 'update_route', dict(params,
                                                                   RouteId=route['id'])))
        return steps

    @staticmethod
    def _route_params(api_id, key, integration_id, auth, authorizer_ids):
        params = {'ApiId': api_id, 'RouteKey': key, 'Target': integration_target(integration_id),
                  'AuthorizationType': auth.authorization_type}
        if auth.authorizer is not None and auth.authorizer in authorizer_ids:
            params['AuthorizerId'] = authorizer_ids[auth.authorizer]
        if auth.authorization_type == JWT:
            params['AuthorizationScopes'] = list(auth.scopes)
        return params

    @staticmethod
    def _integration_params(model, ctx):
        return {'IntegrationType': INTEGRATION_TYPE,
                'IntegrationUri': Var('%s.lambda_arn' % model.lambda_function.resource_name),
                'PayloadFormatVersion': PAYLOAD_FORMAT}

    def _create_integration(self, model, ctx, api_id, integration_id):
        return APICall(SERVICE, 'create_integration',
                       dict(self._integration_params(model, ctx), ApiId=api_id),
                       outputs={integration_id.name: 'IntegrationId'})

    @staticmethod
    def _authorizer_var(model, spec):
        return '%s.authorizer_id.%s' % (model.resource_name, spec.name)

    @staticmethod
    def _create_authorizer(model, spec, ctx, api_id, authorizer_id):
        return APICall(SERVICE, 'create_authorizer',
                       dict(authorizer_params(model, spec, ctx), ApiId=api_id),
                       outputs={authorizer_id.name: 'AuthorizerId'})

    @staticmethod
    def _create_stage(api_id):
        return APICall(SERVICE, 'create_stage', {'ApiId': api_id, 'StageName': STAGE,
                                                 'AutoDeploy': True})

    @staticmethod
    def _grants(model, ctx, api_id):
        grants = [(model.lambda_function, execute_api_arn(ctx, api_id, '/*'))]
        grants.extend((function, execute_api_arn(ctx, api_id, '/authorizers/*'))
                      for function in model.authorizer_functions)
        return grants

    def _permissions(self, model, remote, ctx, api_id):
        return missing_grants(self._grants(model, ctx, api_id),
                              remote.get('permissions') or {}, APIGATEWAY_PRINCIPAL,
                              STATEMENT_PREFIX, ctx.known)

    def plan_delete(self, record, remote, ctx):
        api_id = record['http_api_id']
        return [
            APICall(SERVICE, 'delete_api', {'ApiId': api_id},
                    message='Deleting HTTP API: %s' % api_id, ignore_errors=_GONE),
            ForgetResource(record['name']),
        ]

    # -- packaging

    def emit_sam(self, model, ctx):
        properties = {}
        if model.cors:
            properties['CorsConfiguration'] = dict(model.cors)
        authorizers = {}
        for spec in model.authorizers:
            if spec.authorizer_type == JWT:
                authorizers[spec.name] = {
                    'IdentitySource': spec.identity_source[0],
                    'JwtConfiguration': {'issuer': spec.issuer,
                                         'audience': list(spec.audience)}}
            else:
                function = model.authorizer_function(spec)
                authorizers[spec.name] = {
                    'FunctionArn': ctx.function_arn(function),
                    'AuthorizerPayloadFormatVersion': PAYLOAD_FORMAT,
                    'EnableSimpleResponses': False,
                    'Identity': {'Headers': [source.rsplit('.', 1)[1]
                                             for source in spec.identity_source],
                                 'ReauthorizeEvery': spec.ttl_seconds}}
        auth = {}
        if authorizers:
            auth['Authorizers'] = authorizers
        if any(route_auth.authorization_type == 'AWS_IAM' for _, route_auth in model.routes):
            auth['EnableIamAuthorizer'] = True
        if auth:
            properties['Auth'] = auth
        resources = {'HttpAPI': {'Type': 'AWS::Serverless::HttpApi', 'Properties': properties}}
        handler_id = ctx.function_id(model.lambda_function)
        events = {}
        for key, route_auth in model.routes:
            method, path = key.split(' ', 1)
            event = {'ApiId': {'Ref': 'HttpAPI'}, 'Method': method, 'Path': path,
                     'PayloadFormatVersion': PAYLOAD_FORMAT}
            if route_auth.authorization_type != NONE:
                event['Auth'] = {'Authorizer': route_auth.authorizer
                                 if route_auth.authorization_type != 'AWS_IAM' else 'AWS_IAM'}
                if route_auth.authorization_type == JWT and route_auth.scopes:
                    event['Auth']['AuthorizationScopes'] = list(route_auth.scopes)
            events[_unique(events, 'HttpApi' + to_logical_id(key))] = {
                'Type': 'HttpApi', 'Properties': event}
        resources[handler_id] = {'Properties': {'Events': events}}
        for function in model.authorizer_functions:
            function_id = ctx.function_id(function)
            resources[function_id + 'InvokePermission'] = sam_permission(
                function_id, APIGATEWAY_PRINCIPAL, sam_execute_api_arn('HttpAPI', '/authorizers/*'),
                by_arn=True)
        ctx.outputs.update({
            'HttpAPIId': {'Value': {'Ref': 'HttpAPI'}},
            handler_id + 'Name': {'Value': {'Ref': handler_id}},
            handler_id + 'Arn': {'Value': ctx.function_arn(model.lambda_function)},
            'EndpointURL': {'Value': {'Fn::Sub': (
                'https://${HttpAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/')}},
        })
        return resources

    def emit_terraform(self, model, ctx):
        name = model.resource_name
        api_ref = tf_ref('aws_apigatewayv2_api', name, 'id')
        api_var = Var('%s.http_api_id' % name)
        api = {'name': ctx.value(model.api_name), 'protocol_type': 'HTTP'}
        if model.cors:
            api['cors_configuration'] = tf_arguments(ctx.value(model.cors))
        integration = tf_arguments(ctx.value(self._integration_params(model, ctx)))
        integration['api_id'] = api_ref
        entries = [('aws_apigatewayv2_api', name, api),
                   ('aws_apigatewayv2_integration', name, integration)]
        authorizer_refs = {}
        for spec in model.authorizers:
            label = '%s-%s' % (name, spec.name)
            authorizer_refs[spec.name] = tf_ref('aws_apigatewayv2_authorizer', label, 'id')
            entries.append(('aws_apigatewayv2_authorizer', label,
                            self._tf_authorizer(model, spec, ctx, api_ref)))
        labels = {}
        for key, auth in model.routes:
            label = _unique(labels, '%s-%s' % (name, to_logical_id(key)))
            labels[label] = True
            route = {'api_id': api_ref, 'route_key': key,
                     'target': 'integrations/%s' % tf_ref('aws_apigatewayv2_integration', name,
                                                          'id'),
                     'authorization_type': auth.authorization_type}
            if auth.authorizer in authorizer_refs:
                route['authorizer_id'] = authorizer_refs[auth.authorizer]
            if auth.authorization_type == JWT and auth.scopes:
                route['authorization_scopes'] = ctx.value(list(auth.scopes))
            entries.append(('aws_apigatewayv2_route', label, route))
        entries.append(('aws_apigatewayv2_stage', name, {
            'api_id': api_ref, 'name': STAGE, 'auto_deploy': True}))
        for function, source_arn in self._grants(model, ctx, api_var):
            entries.append(('aws_lambda_permission', '%s-%s-invoke' % (
                function.resource_name, name), tf_permission(
                ctx, function, APIGATEWAY_PRINCIPAL, source_arn)))
        ctx.outputs.update({
            'EndpointURL': {'value': tf_ref('aws_apigatewayv2_stage', name, 'invoke_url')},
            'HttpAPIId': {'value': api_ref},
        })
        return tf_resources(*entries)

    @staticmethod
    def _tf_authorizer(model, spec, ctx, api_ref):
        arguments = {'api_id': api_ref, 'name': ctx.value(spec.name),
                     'authorizer_type': spec.authorizer_type,
                     'identity_sources': ctx.value(list(spec.identity_source))}
        if spec.authorizer_type == JWT:
            arguments['jwt_configuration'] = {'issuer': ctx.value(spec.issuer),
                                              'audience': ctx.value(list(spec.audience))}
        else:
            function = model.authorizer_function(spec)
            arguments.update({
                'authorizer_uri': tf_ref('aws_lambda_function', function.resource_name,
                                         'invoke_arn'),
                'authorizer_payload_format_version': PAYLOAD_FORMAT,
                'enable_simple_responses': False,
                'authorizer_result_ttl_in_seconds': spec.ttl_seconds})
        return arguments


def _unique(taken, name):
    """``name``, or ``name`` with a number when it is already taken."""
    candidate, number = name, 2
    while candidate in taken:
        candidate = '%s%d' % (name, number)
        number += 1
    return candidate
