"""moto shims for API Gateway v2 HTTP APIs (see moto_support._register_area_shims).

Each gap is named where it is registered; tests/integration/
test_deploy_http_api.py shows each shim is still needed (moto's own code
fails without it).
"""
from __future__ import annotations

import json
from typing import Any, Callable


def register_shims(register: Callable[..., None], original: Callable[..., Any]) -> None:
    from moto.apigatewayv2.models import Route
    from moto.apigatewayv2.responses import ApiGatewayV2Response

    # Gap: GetAuthorizers is not implemented (ApiGatewayV2Response has no
    # get_authorizers: the request fails with HTTP 500), so a deploy cannot
    # list an HTTP API's authorizers.
    register('apigatewayv2-get-authorizers',
             'ApiGatewayV2Response.get_authorizers: GetAuthorizers not implemented',
             ApiGatewayV2Response, 'get_authorizers', _get_authorizers)

    def route_update(self: Any, **kwargs: Any) -> None:
        scopes = kwargs.get('authorization_scopes')
        original('apigatewayv2-route-clear-scopes', 'Route', 'update')(self, **kwargs)
        if scopes is not None:
            self.authorization_scopes = list(scopes)

    # Gap: UpdateRoute ignores an empty AuthorizationScopes list (Route.update
    # only assigns truthy values), so a route's scopes can never be removed.
    register('apigatewayv2-route-clear-scopes',
             'Route.update: AuthorizationScopes=[] ignored',
             Route, 'update', route_update)


def _get_authorizers(self: Any) -> Any:
    api_id = self.path.split('/')[-2]
    api = self.apigatewayv2_backend.get_api(api_id)
    items = [authorizer.to_json() for authorizer in api.authorizers.values()]
    return 200, {}, json.dumps({'items': items})
