"""moto shim for API Gateway SDK generation (applied by moto_support).

moto 5.2.x does not implement GetSdk
(``GET /restapis/{restapi_id}/stages/{stage_name}/sdks/{sdk_type}``): there
is no URL rule for it (HTTP 404) and APIGatewayResponse has no ``get_sdk``.
API Gateway answers with a zip holding one top folder
(``apiGateway-js-sdk/`` for JavaScript); the shim answers with a small zip
of the same layout, whose ``apigClient.js`` names the API, the stage and
one method per resource and HTTP method, the way API Gateway names them
(``/hello/{name}`` GET -> ``helloNameGet``), so a test can tell which API it
was generated for.  Only the zip's layout is like API Gateway's, not its
JavaScript.
"""
from __future__ import annotations

import io
import re
import zipfile
from typing import Any, Callable

SDK_PATH = '{0}/restapis/(?P<function_id>[^/]+)/stages/(?P<stage_name>[^/]+)/sdks/' \
           '(?P<sdk_type>[^/]+)/?$'
SDK_TYPES = ('javascript', 'android', 'objectivec', 'swift', 'ruby')
TOP_FOLDER = 'apiGateway-js-sdk'
#: What the shim's JavaScript SDK holds, below the top folder (as in API
#: Gateway's SDK, which the documented example page loads).
SDK_FILES = (
    'README.md',
    'apigClient.js',
    'lib/CryptoJS/components/enc-base64.js',
    'lib/CryptoJS/components/hmac.js',
    'lib/CryptoJS/rollups/hmac-sha256.js',
    'lib/CryptoJS/rollups/sha256.js',
    'lib/apiGatewayCore/apiGatewayClient.js',
    'lib/apiGatewayCore/sigV4Client.js',
    'lib/apiGatewayCore/simpleHttpClient.js',
    'lib/apiGatewayCore/utils.js',
    'lib/axios/dist/axios.standalone.js',
    'lib/url-template/url-template.js',
)


def register_shims(register: Callable[..., None], original: Callable[..., Any]) -> None:
    from moto.apigateway.models import APIGatewayBackend
    from moto.apigateway.responses import APIGatewayResponse
    from moto.core.base_backend import BaseBackend

    def url_paths(self: Any) -> dict[str, Any]:
        # Read when moto builds its Flask app, after every shim is applied,
        # so the module-level url_paths of other shims are kept.
        paths = BaseBackend.url_paths.fget(self)
        paths[SDK_PATH.format('')] = APIGatewayResponse.dispatch
        return paths

    # Gap: GetSdk is not implemented: no URL rule for
    # /restapis/{id}/stages/{stage}/sdks/{type} (HTTP 404) and
    # APIGatewayResponse has no get_sdk.
    register('apigateway-get-sdk',
             'APIGatewayResponse.get_sdk: GetSdk not implemented',
             APIGatewayResponse, 'get_sdk', _get_sdk,
             (APIGatewayBackend, 'url_paths', property(url_paths)))


def _get_sdk(self: Any) -> Any:
    from urllib.parse import unquote

    from moto.apigateway.exceptions import BadRequestException

    parts = self.path.rstrip('/').split('/')
    api_id, stage_name, sdk_type = parts[-5], unquote(parts[-3]), parts[-1]
    # As API Gateway: NotFoundException for an unknown API or stage.
    self.backend.get_stage(api_id, stage_name)
    api = self.backend.get_rest_api(api_id)
    if sdk_type not in SDK_TYPES:
        raise BadRequestException('Invalid SDK type: %s' % sdk_type)
    headers = {
        'Content-Type': 'application/octet-stream',
        'Content-Disposition': 'attachment; filename="%s_%s.zip"' % (sdk_type, stage_name),
    }
    return 200, headers, sdk_zip(api, stage_name)


def method_names(api: Any) -> list[str]:
    """API Gateway's SDK method names: path words in camel case, then the method."""
    names = []
    for resource in api.resources.values():
        words = re.findall(r'[A-Za-z0-9]+', resource.get_path()) or ['root']
        stem = words[0][0].lower() + words[0][1:] + ''.join(
            w[0].upper() + w[1:] for w in words[1:])
        for method in resource.resource_methods:
            names.append(stem + method.capitalize())
    return sorted(names)


def sdk_zip(api: Any, stage_name: str) -> bytes:
    client = ''.join(
        ['// SDK for REST API %s, stage %s (moto shim)\n' % (api.id, stage_name),
         'var apigClientFactory = {};\n'] +
        ['// apigClient.%s\n' % name for name in method_names(api)])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as archive:
        for name in SDK_FILES:
            text = client if name == 'apigClient.js' else '// %s\n' % name
            archive.writestr('%s/%s' % (TOP_FOLDER, name), text)
    return buffer.getvalue()
