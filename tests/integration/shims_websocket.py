"""moto shims for API Gateway v2 websocket APIs (see moto_support._register_area_shims).

moto 5.2.x serves apigatewayv2 from the apigateway (v1) Flask app: both
sign as ``apigateway`` and ``moto.apigateway.urls`` merges the v2 paths in,
so a v2 path is added there.  The Flask app is built on the first API
Gateway request, after the shims are applied, and keeps its URL rules: with
the deployments shim removed the rule stays but CreateDeployment answers
with moto's own "not implemented" error, as without the shim.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable

_DEPLOYMENTS_PATHS = (
    '{0}/v2/apis/(?P<api_id>[^/]+)/deployments$',
    '{0}/v2/apis/(?P<api_id>[^/]+)/deployments/(?P<deployment_id>[^/]+)$',
)


def register_shims(register: Callable[..., None], original: Callable[..., Any]) -> None:
    import moto.apigateway.urls as apigateway_urls
    from moto.apigatewayv2.models import Stage
    from moto.apigatewayv2.responses import ApiGatewayV2Response

    def stage_to_json(self: Any) -> dict[str, Any]:
        result = original('apigatewayv2-stage-deployment-id', 'Stage', 'to_json')(self)
        if self.config.get('deploymentId'):
            result['deploymentId'] = self.config['deploymentId']
        return result

    url_paths = dict(apigateway_urls.url_paths)
    for path in _DEPLOYMENTS_PATHS:
        url_paths[path] = ApiGatewayV2Response.dispatch

    # Gap: CreateDeployment and GetDeployments are not implemented: no URL
    # rule for /v2/apis/{apiId}/deployments (HTTP 404) and
    # ApiGatewayV2Response has no create_deployment/get_deployments.
    register('apigatewayv2-deployments',
             'ApiGatewayV2Response.create_deployment: CreateDeployment not implemented',
             ApiGatewayV2Response, 'create_deployment', _create_deployment,
             (ApiGatewayV2Response, 'get_deployments', _get_deployments),
             (apigateway_urls, 'url_paths', url_paths))
    # Gap: UpdateStage is not implemented (ApiGatewayV2Response.update_stage
    # is missing: NotImplementedError, HTTP 500), so a stage cannot be moved
    # to a new deployment.
    register('apigatewayv2-update-stage',
             'ApiGatewayV2Response.update_stage: UpdateStage not implemented',
             ApiGatewayV2Response, 'update_stage', _update_stage)
    # Gap: Stage.to_json leaves out deploymentId (GetStage/GetStages/CreateStage
    # never say which deployment a stage serves).
    register('apigatewayv2-stage-deployment-id',
             'Stage.to_json: deploymentId omitted',
             Stage, 'to_json', stage_to_json)


def _deployments(api: Any) -> dict[str, dict[str, Any]]:
    deployments = api.__dict__.get('_shim_deployments')
    if deployments is None:
        deployments = api.__dict__['_shim_deployments'] = {}
    return deployments


def _new_id() -> str:
    import string

    from moto.moto_api._internal import mock_random as random

    return ''.join(random.choice(string.ascii_lowercase + string.digits) for _ in range(6))


def _create_deployment(self: Any) -> Any:
    from moto.apigatewayv2.exceptions import BadRequestException

    api_id = self.path.split('/')[-2]
    api = self.apigatewayv2_backend.get_api(api_id)
    params = json.loads(self.body) if self.body else {}
    if not api.routes:
        # As API Gateway: a deployment needs at least one route.
        raise BadRequestException('At least one route is required before deploying the Api.')
    deployment = {
        'deploymentId': _new_id(),
        'deploymentStatus': 'DEPLOYED',
        'createdDate': datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'autoDeployed': False,
        # What the deployment serves: route key -> integration target.
        'routes': {route.route_key: route.target for route in api.routes.values()},
    }
    if params.get('description'):
        deployment['description'] = params['description']
    _deployments(api)[deployment['deploymentId']] = deployment
    stage_name = params.get('stageName')
    if stage_name:
        api.get_stage(stage_name).config['deploymentId'] = deployment['deploymentId']
    return 201, {}, json.dumps(_deployment_json(deployment))


def _deployment_json(deployment: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in deployment.items() if k != 'routes'}


def _get_deployments(self: Any) -> Any:
    api_id = self.path.split('/')[-2]
    api = self.apigatewayv2_backend.get_api(api_id)
    items = [_deployment_json(d) for d in _deployments(api).values()]
    return 200, {}, json.dumps({'items': items})


def _update_stage(self: Any) -> Any:
    from urllib.parse import unquote

    from moto.apigatewayv2.exceptions import BadRequestException

    api_id = self.path.split('/')[-3]
    stage_name = unquote(self.path.split('/')[-1])
    api = self.apigatewayv2_backend.get_api(api_id)
    stage = api.get_stage(stage_name)
    params = json.loads(self.body) if self.body else {}
    deployment_id = params.get('deploymentId')
    if deployment_id is not None:
        if deployment_id not in _deployments(api):
            raise BadRequestException('Invalid deployment identifier specified')
        stage.config['deploymentId'] = deployment_id
    if 'description' in params:
        stage.description = params['description']
    if 'stageVariables' in params:
        stage.stage_variables = params['stageVariables']
    stage.updated = datetime.now()
    return 200, {}, json.dumps(stage.to_json())


def deployed_routes(account_id: str, region: str, api_id: str,
                    deployment_id: str) -> dict[str, str] | None:
    """For tests: route key -> integration target a shimmed deployment serves.

    Reads the in-process moto backend (the test server runs in this
    process); None when the API or the deployment does not exist.
    """
    from moto.apigatewayv2.models import apigatewayv2_backends

    api = apigatewayv2_backends[account_id][region].apis.get(api_id)
    if api is None:
        return None
    deployment = _deployments(api).get(deployment_id)
    return None if deployment is None else dict(deployment['routes'])
