"""moto shims for API Gateway custom domain names (see moto_support._register_area_shims).

v1 (REST API) domain names and base path mappings, and v2 (websocket) domain
names and API mappings, as ``chalice deploy`` uses them.  Each gap is one
shim, tested in test_deploy_domains.py with the shim switched off.

moto serves API Gateway v1 and v2 from one Flask app, built on the first
API Gateway request from ``APIGatewayBackend.flask_paths``; the tag URL
rules below are added there (an attribute no other shim patches), and,
once built, the app keeps them, so with the tags shim switched off a tag
request reaches moto's own handler.
"""
from __future__ import annotations

import json
from typing import Any, Callable
from urllib.parse import unquote

# Tag requests for a domain name ARN: the ARN holds a '/' once werkzeug has
# decoded the path, which moto's own tag rules ([^/]+) do not match.
_DOMAIN_TAG_PATHS = {
    '/tags/arn:<regex("[^/]+"):partition>:apigateway:<regex("[^/]+"):region_name>::'
    '/domainnames/<regex("[^/]+"):domain_name>': 'v1',
    '/v2/tags/arn:<regex("[^/]+"):partition>:apigateway:<regex("[^/]+"):region_name>::'
    '/domainnames/<regex("[^/]+"):domain_name>': 'v2',
}


def register_shims(register: Callable[..., None], original: Callable[..., Any]) -> None:
    from moto.apigateway.models import APIGatewayBackend
    from moto.apigateway.responses import APIGatewayResponse
    from moto.apigatewayv2.models import ApiGatewayV2Backend, DomainName
    from moto.apigatewayv2.responses import ApiGatewayV2Response
    from moto.core.base_backend import BaseBackend

    def get_base_path_mappings(self: Any, domain_name: str) -> list[Any]:
        if domain_name in self.domain_names and domain_name not in self.base_path_mappings:
            return []
        return original('apigateway-base-path-mappings-of-a-new-domain', 'APIGatewayBackend',
                        'get_base_path_mappings')(self, domain_name)

    def flask_paths(self: Any) -> dict[str, Any]:
        paths = dict(BaseBackend.flask_paths.fget(self))  # type: ignore[attr-defined]
        handlers = {'v1': APIGatewayResponse.dispatch, 'v2': ApiGatewayV2Response.dispatch}
        for path, version in _DOMAIN_TAG_PATHS.items():
            paths.setdefault(path, handlers[version])
        return paths

    def v1_tag_resource(self: Any) -> Any:
        domain = _v1_domain_of_tag_request(self)
        if domain is None:
            return original('apigateway-domain-tags', 'APIGatewayResponse', 'tag_resource')(self)
        domain.tags = dict(domain.tags or {}, **(self._get_param('tags') or {}))
        return 204, {}, ''

    def v1_untag_resource(self: Any) -> Any:
        domain = _v1_domain_of_tag_request(self)
        if domain is None:
            return original('apigateway-domain-tags', 'APIGatewayResponse',
                            'untag_resource')(self)
        keys = self.querystring.get('tagKeys') or []
        domain.tags = {k: v for k, v in (domain.tags or {}).items() if k not in keys}
        return 204, {}, ''

    def v2_tag_resource(self: Any, resource_arn: str, tags: dict[str, str]) -> None:
        original('apigatewayv2-domain-tags', 'ApiGatewayV2Backend', 'tag_resource')(
            self, resource_arn, tags)
        domain = _v2_domain_of_arn(self, resource_arn)
        if domain is not None:
            domain.tags = dict(domain.tags or {}, **(tags or {}))

    def v2_untag_resource(self: Any, resource_arn: str, tag_keys: list[str]) -> None:
        original('apigatewayv2-domain-tags', 'ApiGatewayV2Backend', 'untag_resource')(
            self, resource_arn, tag_keys)
        domain = _v2_domain_of_arn(self, resource_arn)
        if domain is not None:
            domain.tags = {k: v for k, v in (domain.tags or {}).items() if k not in tag_keys}

    def v2_domain_to_json(self: Any) -> dict[str, Any]:
        result = original('apigatewayv2-domain-configuration', 'DomainName', 'to_json')(self)
        result['domainNameConfigurations'] = [
            _v2_configuration(self, c) for c in self.domain_name_configurations or [{}]]
        return result

    # Gap: GetBasePathMappings of a domain that has never had a mapping
    # raises KeyError in APIGatewayBackend.get_base_path_mappings (HTTP 500)
    # instead of returning no items.
    register('apigateway-base-path-mappings-of-a-new-domain',
             'APIGatewayBackend.get_base_path_mappings: KeyError for a domain without mappings',
             APIGatewayBackend, 'get_base_path_mappings', get_base_path_mappings)
    # Gap: UpdateDomainName is not implemented (APIGatewayResponse has no
    # update_domain_name: NotImplementedError, HTTP 500).
    register('apigateway-update-domain-name',
             'APIGatewayResponse.update_domain_name: UpdateDomainName not implemented',
             APIGatewayResponse, 'update_domain_name', _v1_update_domain_name)
    # Gap: TagResource/UntagResource of a domain name ARN: no URL rule
    # (HTTP 404), and APIGatewayResponse.tag_resource/untag_resource only
    # know stage ARNs.
    register('apigateway-domain-tags',
             'APIGatewayResponse.tag_resource: domain name ARNs not handled',
             APIGatewayResponse, 'tag_resource', v1_tag_resource,
             (APIGatewayResponse, 'untag_resource', v1_untag_resource),
             (APIGatewayBackend, 'flask_paths', property(flask_paths)))
    # Gap: DomainName.to_json (v2) echoes the DomainNameConfigurations it
    # was given: no ApiGatewayDomainName, HostedZoneId or DomainNameStatus,
    # so there is no alias target to point DNS at.
    register('apigatewayv2-domain-configuration',
             'DomainName.to_json: DomainNameConfigurations without the alias target',
             DomainName, 'to_json', v2_domain_to_json)
    # Gap: UpdateDomainName (v2) is not implemented
    # (ApiGatewayV2Response.update_domain_name is missing: HTTP 500).
    register('apigatewayv2-update-domain-name',
             'ApiGatewayV2Response.update_domain_name: UpdateDomainName not implemented',
             ApiGatewayV2Response, 'update_domain_name', _v2_update_domain_name)
    # Gap: UpdateApiMapping is not implemented
    # (ApiGatewayV2Response.update_api_mapping is missing: HTTP 500).
    register('apigatewayv2-update-api-mapping',
             'ApiGatewayV2Response.update_api_mapping: UpdateApiMapping not implemented',
             ApiGatewayV2Response, 'update_api_mapping', _v2_update_api_mapping)
    # Gap: TagResource/UntagResource (v2) of a domain name ARN only reach
    # ApiGatewayV2Backend's tagger, not the tags GetDomainName reports.
    register('apigatewayv2-domain-tags',
             'ApiGatewayV2Backend.tag_resource: domain name tags not changed',
             ApiGatewayV2Backend, 'tag_resource', v2_tag_resource,
             (ApiGatewayV2Backend, 'untag_resource', v2_untag_resource))


# -- API Gateway v1 ----------------------------------------------------------

def _v1_domain_of_tag_request(response: Any) -> Any:
    arn = unquote(response.path.split('/tags/', 1)[1])
    if '::/domainnames/' not in arn:
        return None
    return response.backend.get_domain_name(arn.rsplit('/', 1)[1])


_V1_CERTIFICATE_PATHS = {'/certificateArn': 'certificate_arn',
                         '/regionalCertificateArn': 'regional_certificate_arn'}


def _v1_update_domain_name(self: Any) -> Any:
    from moto.apigateway.exceptions import BadRequestException

    domain = self.backend.get_domain_name(unquote(self.path.split('/')[2]))
    for operation in self._get_param('patchOperations') or []:
        op, path, value = operation.get('op'), operation.get('path', ''), operation.get('value')
        if path in _V1_CERTIFICATE_PATHS and op in ('add', 'replace'):
            setattr(domain, _V1_CERTIFICATE_PATHS[path], value)
        elif path == '/securityPolicy' and op == 'replace':
            domain.security_policy = value
        elif path.startswith('/endpointConfiguration/types/') and op == 'replace':
            old = path.rsplit('/', 1)[1]
            types = (domain.endpoint_configuration or {}).get('types') or ['EDGE']
            if old not in types:
                raise BadRequestException(f'Invalid endpoint configuration type: {old}')
            domain.endpoint_configuration = {'types': [value if t == old else t
                                                       for t in types]}
        else:
            raise BadRequestException(f'Invalid patch operation: {op} {path}')
    types = (domain.endpoint_configuration or {}).get('types') or ['EDGE']
    # As API Gateway: the certificate of an endpoint type the domain no longer has goes.
    if 'EDGE' not in types:
        domain.certificate_arn = None
    if 'REGIONAL' not in types:
        domain.regional_certificate_arn = None
    return 200, {}, json.dumps(domain.to_json())


# -- API Gateway v2 ----------------------------------------------------------

def _v2_configuration(domain: Any, given: dict[str, Any]) -> dict[str, Any]:
    import hashlib

    region = domain.domain_name_arn.split(':')[3]
    digest = hashlib.sha256(domain.domain_name.encode('utf-8')).hexdigest()[:10]
    configuration = {'endpointType': 'REGIONAL', 'securityPolicy': 'TLS_1_2'}
    configuration.update(given)
    configuration.update({
        'apiGatewayDomainName': f'd-{digest}.execute-api.{region}.amazonaws.com',
        # API Gateway's regional hosted zone for us-west-2.
        'hostedZoneId': 'Z2OJLYMUO9EFXC',
        'domainNameStatus': 'AVAILABLE',
    })
    return configuration


def _v2_domain_of_arn(backend: Any, resource_arn: str) -> Any:
    if '::/domainnames/' not in resource_arn:
        return None
    return backend.domain_names.get(resource_arn.rsplit('/', 1)[1])


def _v2_update_domain_name(self: Any) -> Any:
    domain = self.apigatewayv2_backend.get_domain_name(unquote(self.path.split('/')[-1]))
    params = json.loads(self.body) if self.body else {}
    if 'domainNameConfigurations' in params:
        domain.domain_name_configurations = params['domainNameConfigurations']
    if 'mutualTlsAuthentication' in params:
        domain.mutual_tls_authentication = params['mutualTlsAuthentication']
    return 200, {}, json.dumps(domain.to_json())


def _v2_update_api_mapping(self: Any) -> Any:
    from moto.apigatewayv2.exceptions import BadRequestException

    parts = self.path.split('/')
    mapping = self.apigatewayv2_backend.get_api_mapping(
        api_mapping_id=parts[-1], domain_name=unquote(parts[-3]))
    params = json.loads(self.body) if self.body else {}
    api_id = params.get('apiId') or mapping.api_id
    if api_id not in self.apigatewayv2_backend.apis:
        raise BadRequestException(f'Invalid API identifier specified {api_id}')
    mapping.api_id = api_id
    mapping.stage = params.get('stage') or mapping.stage
    if 'apiMappingKey' in params:
        mapping.api_mapping_key = params['apiMappingKey']
    return 200, {}, json.dumps(mapping.to_json())
