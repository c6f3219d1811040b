"""Custom domain names: ``api_gateway_custom_domain`` and ``websocket_api_custom_domain``.

A REST API's domain is an API Gateway (v1) domain name whose endpoint type
follows ``api_gateway_endpoint_type``: an EDGE domain takes the certificate
as ``certificateArn`` and is served by CloudFront, a REGIONAL one takes it
as ``regionalCertificateArn``.  Each base path (``url_prefix`` or
``url_prefixes``, the root by default) is a base path mapping to the API's
stage.  A websocket API's domain, and an HTTP API's (``api_gateway_custom_domain``
of a stage with ``api_gateway_type`` HTTP), is an API Gateway v2 domain name
with one REGIONAL configuration, and each base path is an API mapping (to
the websocket API's stage, or to the HTTP API's ``$default`` stage).

The domain is found by its name, so a domain that exists but is not
recorded (a state file that was lost) is taken over rather than created
again.  A redeploy compares what AWS reports with the config and changes
only what differs: the certificate, the TLS version and the endpoint type
in one UpdateDomainName, tags added or removed, mappings created, deleted
or pointed at the current API and stage.  An unchanged domain costs read
calls only.  Deleting removes the mappings, then the domain.  Route 53
records are never created: the deploy summary prints the hosted zone id and
the alias domain name the user's DNS must point at.

The state record (``resource_type`` ``domain_name``, named
``api_gateway_custom_domain``, ``http_api_custom_domain`` or
``websocket_api_custom_domain``: the name tells a v1 domain from a v2 one)
has Chalice's fields:
``domain_name``, ``certificate_arn``, ``security_policy``,
``hosted_zone_id``, ``alias_domain_name`` and ``api_mapping`` (one
``{"key": "/<base path>", ...}`` per mapping, ``"/"`` for the root; a v2
mapping's entry also has its ``id``), and is
rewritten after every mapping change, so it always lists the mappings that
exist.
"""
from typing import Optional

from chalice.deploy.naming import tf_ref, tf_resources, tf_stage_label, to_logical_id
from chalice.deploy.plan import APICall, ForgetResource, Message, RecordResource, SetVar, Var
from chalice.deploy.resources.base import ResourceHome, record_values, register

_GONE = ('NotFoundException',)
V1, V2 = 'apigateway', 'apigatewayv2'
WEBSOCKET_RECORD = 'websocket_api_custom_domain'
HTTP_RECORD = 'http_api_custom_domain'
ROOT_BASE_PATH = '(none)'  # how API Gateway v1 names the root mapping


def is_websocket_record(record):
    return record.get('name') == WEBSOCKET_RECORD


def is_v2_record(record):
    """Whether a ``domain_name`` record is of an API Gateway v2 domain."""
    return record.get('name') in (WEBSOCKET_RECORD, HTTP_RECORD)


def domain_arn(ctx, domain_name):
    return 'arn:%s:apigateway:%s::/domainnames/%s' % (ctx.partition, ctx.region, domain_name)


def record_urls(record):
    """The URLs a ``domain_name`` record's mappings serve."""
    scheme = 'wss' if is_websocket_record(record) else 'https'
    keys = [m.get('key', '/') for m in record.get('api_mapping') or []] or ['/']
    return ['%s://%s%s' % (scheme, record['domain_name'],
                           key if key == '/' else key.rstrip('/') + '/') for key in keys]


def _mapping_key(prefix):
    return '/' + prefix


def _owned_by(record, api_id=None):
    """Whether a mapping is this stage's: recorded by it, or to its API."""
    entries = (record or {}).get('api_mapping') or []
    keys = {entry.get('key') for entry in entries}
    apis = {entry.get('api_id') for entry in entries if entry.get('api_id')} | {api_id}
    return lambda mapping: _mapping_key(mapping['key']) in keys or mapping['api_id'] in apis


# -- reading AWS ----------------------------------------------------------

def _read_v1(aws, domain_name):
    found = aws.call(V1, 'get_domain_name', {'domainName': domain_name}, ignore_errors=_GONE)
    if found is None:
        return None, []
    endpoint_type = ((found.get('endpointConfiguration') or {}).get('types') or ['EDGE'])[0]
    edge = endpoint_type == 'EDGE'
    domain = {
        'endpoint_type': endpoint_type,
        'certificate_arn': found.get('certificateArn' if edge else 'regionalCertificateArn'),
        'certificates': {'EDGE': found.get('certificateArn'),
                         'REGIONAL': found.get('regionalCertificateArn')},
        'security_policy': found.get('securityPolicy'),
        'hosted_zone_id': found.get('distributionHostedZoneId' if edge
                                    else 'regionalHostedZoneId'),
        'alias_domain_name': found.get('distributionDomainName' if edge
                                       else 'regionalDomainName'),
        'tags': found.get('tags') or {},
        'arn': found.get('domainNameArn'),
    }
    mappings = []
    for item in _all_items(aws, V1, 'get_base_path_mappings', {'domainName': domain_name},
                           ('items', 'position', 'position')):
        base_path = item.get('basePath') or ROOT_BASE_PATH
        mappings.append({'key': '' if base_path == ROOT_BASE_PATH else base_path,
                         'id': base_path, 'api_id': item.get('restApiId'),
                         'stage': item.get('stage')})
    return domain, mappings


def _read_v2(aws, domain_name):
    found = aws.call(V2, 'get_domain_name', {'DomainName': domain_name}, ignore_errors=_GONE)
    if found is None:
        return None, []
    configuration = (found.get('DomainNameConfigurations') or [{}])[0]
    domain = {
        'endpoint_type': configuration.get('EndpointType') or 'REGIONAL',
        'certificate_arn': configuration.get('CertificateArn'),
        'security_policy': configuration.get('SecurityPolicy'),
        'hosted_zone_id': configuration.get('HostedZoneId'),
        'alias_domain_name': configuration.get('ApiGatewayDomainName'),
        'tags': found.get('Tags') or {},
        'arn': found.get('DomainNameArn'),
    }
    mappings = [{'key': (item.get('ApiMappingKey') or '').strip('/'),
                 'id': item['ApiMappingId'], 'api_id': item.get('ApiId'),
                 'stage': item.get('Stage')}
                for item in _all_items(aws, V2, 'get_api_mappings', {'DomainName': domain_name},
                                       ('Items', 'NextToken', 'NextToken'))]
    return domain, mappings


def _all_items(aws, service, method, params, keys):
    """Every item of a paginated list call; ``keys``: (items, next token, token parameter)."""
    items_key, token_key, token_param = keys
    items = []
    while True:
        page = aws.call(service, method, params)
        items.extend(page.get(items_key) or [])
        if not page.get(token_key):
            return items
        params = dict(params, **{token_param: page[token_key]})


def _read(aws, v2, domain_name):
    return (_read_v2 if v2 else _read_v1)(aws, domain_name)


# -- the API calls of each flavour -----------------------------------------

class _Calls:
    """The calls both API Gateway versions make alike, with their parameter names."""

    service = ''
    domain_key = arn_key = tags_key = tag_keys_key = ''
    api_key = stage_key = prefix_key = ''
    create_mapping_method = ''
    # Where the create call's response has the new mapping's id (v1: the base path is it).
    mapping_id_output: Optional[str] = None

    @classmethod
    def tag(cls, arn, tags):
        return 'tag_resource', {cls.arn_key: arn, cls.tags_key: tags}

    @classmethod
    def untag(cls, arn, keys):
        return 'untag_resource', {cls.arn_key: arn, cls.tag_keys_key: keys}

    @classmethod
    def create_mapping(cls, domain_name, prefix, api_id, stage):
        params = {cls.domain_key: domain_name, cls.api_key: api_id, cls.stage_key: stage}
        if prefix:
            params[cls.prefix_key] = prefix
        return cls.create_mapping_method, params, cls.mapping_id_output

    @classmethod
    def delete_domain(cls, domain_name):
        return 'delete_domain_name', {cls.domain_key: domain_name}


class _V1Calls(_Calls):
    """API Gateway v1 (REST API) domain names and base path mappings."""

    service = V1
    domain_key, arn_key, tags_key, tag_keys_key = 'domainName', 'resourceArn', 'tags', 'tagKeys'
    api_key, stage_key, prefix_key = 'restApiId', 'stage', 'basePath'
    create_mapping_method = 'create_base_path_mapping'

    @staticmethod
    def alias_outputs(model, prefix):
        edge = model.endpoint_type == 'EDGE'
        return {prefix + 'hosted_zone_id': 'distributionHostedZoneId' if edge
                else 'regionalHostedZoneId',
                prefix + 'alias_domain_name': 'distributionDomainName' if edge
                else 'regionalDomainName'}

    @staticmethod
    def create_domain(model):
        params = {'domainName': model.domain_name,
                  'endpointConfiguration': {'types': [model.endpoint_type]},
                  'securityPolicy': model.tls_version}
        key = 'certificateArn' if model.endpoint_type == 'EDGE' else 'regionalCertificateArn'
        params[key] = model.certificate_arn
        if model.tags:
            params['tags'] = dict(model.tags)
        return 'create_domain_name', params

    @staticmethod
    def update_domain(model, current):
        """UpdateDomainName patch operations, or None when nothing differs."""
        ops = []
        new_type, old_type = model.endpoint_type, current['endpoint_type']
        cert_path = '/certificateArn' if new_type == 'EDGE' else '/regionalCertificateArn'
        if new_type != old_type:
            ops.append({'op': 'replace', 'path': '/endpointConfiguration/types/%s' % old_type,
                        'value': new_type})
            existing = current.get('certificates', {}).get(new_type)
            ops.append({'op': 'replace' if existing else 'add', 'path': cert_path,
                        'value': model.certificate_arn})
        elif current['certificate_arn'] != model.certificate_arn:
            ops.append({'op': 'replace', 'path': cert_path, 'value': model.certificate_arn})
        if current['security_policy'] != model.tls_version:
            ops.append({'op': 'replace', 'path': '/securityPolicy', 'value': model.tls_version})
        if not ops:
            return None
        return 'update_domain_name', {'domainName': model.domain_name, 'patchOperations': ops}

    @staticmethod
    def update_mapping(domain_name, mapping, api_id, stage):
        return 'update_base_path_mapping', {
            'domainName': domain_name, 'basePath': mapping['id'], 'patchOperations': [
                {'op': 'replace', 'path': '/restapiId', 'value': api_id},
                {'op': 'replace', 'path': '/stage', 'value': stage}]}

    @staticmethod
    def delete_mapping(domain_name, mapping):
        return 'delete_base_path_mapping', {'domainName': domain_name, 'basePath': mapping['id']}


class _V2Calls(_Calls):
    """API Gateway v2 (websocket and HTTP API) domain names and API mappings."""

    service = V2
    domain_key, arn_key, tags_key, tag_keys_key = 'DomainName', 'ResourceArn', 'Tags', 'TagKeys'
    api_key, stage_key, prefix_key = 'ApiId', 'Stage', 'ApiMappingKey'
    create_mapping_method = 'create_api_mapping'
    mapping_id_output = 'ApiMappingId'

    @staticmethod
    def alias_outputs(model, prefix):
        return {prefix + 'hosted_zone_id': 'DomainNameConfigurations.0.HostedZoneId',
                prefix + 'alias_domain_name': 'DomainNameConfigurations.0.ApiGatewayDomainName'}

    @staticmethod
    def _configurations(model):
        return [{'CertificateArn': model.certificate_arn, 'EndpointType': 'REGIONAL',
                 'SecurityPolicy': model.tls_version}]

    @classmethod
    def create_domain(cls, model):
        params = {'DomainName': model.domain_name,
                  'DomainNameConfigurations': cls._configurations(model)}
        if model.tags:
            params['Tags'] = dict(model.tags)
        return 'create_domain_name', params

    @classmethod
    def update_domain(cls, model, current):
        if (current['certificate_arn'], current['security_policy'],
                current['endpoint_type']) == (model.certificate_arn, model.tls_version,
                                              'REGIONAL'):
            return None
        return 'update_domain_name', {'DomainName': model.domain_name,
                                      'DomainNameConfigurations': cls._configurations(model)}

    @staticmethod
    def update_mapping(domain_name, mapping, api_id, stage):
        params = {'DomainName': domain_name, 'ApiMappingId': mapping['id'], 'ApiId': api_id,
                  'Stage': stage}
        if mapping['key']:
            params['ApiMappingKey'] = mapping['key']
        return 'update_api_mapping', params

    @staticmethod
    def delete_mapping(domain_name, mapping):
        return 'delete_api_mapping', {'DomainName': domain_name, 'ApiMappingId': mapping['id']}


def _calls(v2):
    return _V2Calls if v2 else _V1Calls


@register
class DomainNameHome(ResourceHome):
    resource_type = 'domain_name'

    # -- reading AWS

    def read_remote(self, aws, model, record):
        """The domain of this name (None if absent) and its mappings.

        When the record names another domain (``domain_name`` was changed),
        what deleting that one needs is read too (``'old'``).
        """
        domain, mappings = _read(aws, model.v2, model.domain_name)
        remote = {'domain': domain, 'mappings': mappings, 'old': None}
        if record and record.get('domain_name') not in (None, model.domain_name):
            remote['old'] = self.read_remote_for_delete(aws, record)
        return remote

    def read_remote_for_delete(self, aws, record):
        domain, mappings = _read(aws, is_v2_record(record), record['domain_name'])
        return {'domain': domain, 'mappings': mappings}

    # -- planning

    def plan(self, model, record, remote, ctx):
        remote = remote or {}
        calls = _calls(model.v2)
        name = model.resource_name
        steps = []
        if remote.get('old') is not None:
            # domain_name changed: the recorded domain goes first.
            steps.extend(self._delete_steps(record, remote['old'], forget=True))
        # rest_api_id, websocket_api_id or http_api_id
        api_var = Var('%s.%s_id' % (model.api.resource_name, model.api.resource_type))
        api_id = ctx.known.get(api_var.name, api_var)
        stage = model.api.api_gateway_stage
        domain = remote.get('domain')
        zone, alias = Var(name + '.hosted_zone_id'), Var(name + '.alias_domain_name')
        changed = []
        if domain is None:
            method, params = calls.create_domain(model)
            steps.append(APICall(calls.service, method, params,
                                 outputs=calls.alias_outputs(model, name + '.'),
                                 message='Creating custom domain name: %s' % model.domain_name))
            changed.append(method)
            current = []
        else:
            for var, key in ((zone, 'hosted_zone_id'), (alias, 'alias_domain_name')):
                steps.append(SetVar(var.name, domain[key]))
                ctx.known[var.name] = domain[key]
            update = calls.update_domain(model, domain)
            if update is not None:
                steps.append(APICall(calls.service, update[0], update[1],
                                     outputs=calls.alias_outputs(model, name + '.'),
                                     message='Updating custom domain name: %s'
                                     % model.domain_name))
                changed.append(update[0])
            tag_steps = self._tag_steps(calls, model, domain, ctx)
            steps.extend(tag_steps)
            changed.extend(step.method for step in tag_steps)
            # Mappings of other APIs (another stage sharing the domain) are left alone,
            # unless they hold a base path this config claims.
            owned = _owned_by(record if (record or {}).get('domain_name') == model.domain_name
                              else None, api_id)
            current = [dict(m) for m in remote.get('mappings') or []
                       if owned(m) or m['key'] in model.url_prefixes]

        def record_step():
            return RecordResource(name, self.resource_type, self._record(
                model, zone, alias, current))

        if domain is None:
            steps.append(record_step())
        desired = {prefix: prefix for prefix in model.url_prefixes}
        for mapping in [m for m in current if m['key'] not in desired]:
            method, params = calls.delete_mapping(model.domain_name, mapping)
            steps.append(APICall(calls.service, method, params, ignore_errors=_GONE,
                                 message='Deleting api mapping: %s' % _mapping_key(
                                     mapping['key'])))
            current.remove(mapping)
            changed.append(method)
            steps.append(record_step())
        by_key = {m['key']: m for m in current}
        for prefix in model.url_prefixes:
            mapping = by_key.get(prefix)
            if mapping is None:
                id_var = '%s.api_mapping_id.%s' % (name, _mapping_key(prefix))
                method, params, id_path = calls.create_mapping(
                    model.domain_name, prefix, api_id, stage)
                steps.append(APICall(calls.service, method, params,
                                     outputs={id_var: id_path} if id_path else {},
                                     message='Creating api mapping: %s' % _mapping_key(prefix)))
                current.append({'key': prefix, 'id': Var(id_var) if id_path else
                                prefix or ROOT_BASE_PATH, 'api_id': api_id, 'stage': stage})
            elif (mapping['api_id'], mapping['stage']) != (api_id, stage):
                method, params = calls.update_mapping(model.domain_name, mapping, api_id, stage)
                steps.append(APICall(calls.service, method, params,
                                     message='Updating api mapping: %s' % _mapping_key(prefix)))
                mapping.update(api_id=api_id, stage=stage)
            else:
                continue
            changed.append(method)
            steps.append(record_step())
        if not changed:
            values = self._record(model, domain['hosted_zone_id'], domain['alias_domain_name'],
                                  current)
            if record_values(record) != values:
                steps.append(RecordResource(name, self.resource_type, values))
            steps.append(Message('No changes to custom domain name: %s' % model.domain_name))
        elif not (steps and isinstance(steps[-1], RecordResource)):
            steps.append(record_step())
        steps.extend(Message('Custom domain URL: %s' % url) for url in model.urls())
        return steps

    def _tag_steps(self, calls, model, domain, ctx):
        arn = domain.get('arn') or domain_arn(ctx, model.domain_name)
        current, desired = domain.get('tags') or {}, dict(model.tags)
        steps = []
        stale = sorted(key for key in current if key not in desired)
        if stale:
            steps.append(APICall(calls.service, *calls.untag(arn, stale)))
        added = {key: value for key, value in desired.items() if current.get(key) != value}
        if added:
            steps.append(APICall(calls.service, *calls.tag(arn, added)))
        return steps

    @staticmethod
    def _record(model, zone, alias, mappings):
        entries = []
        for mapping in sorted(mappings, key=lambda m: m['key']):
            entry = {'key': _mapping_key(mapping['key']), 'stage': mapping['stage'],
                     'api_id': mapping['api_id']}
            if model.v2:
                entry['id'] = mapping['id']
            entries.append(entry)
        return {'domain_name': model.domain_name, 'certificate_arn': model.certificate_arn,
                'security_policy': model.tls_version, 'hosted_zone_id': zone,
                'alias_domain_name': alias, 'api_mapping': entries}

    def plan_delete(self, record, remote, ctx):
        return self._delete_steps(record, remote, forget=True)

    def _delete_steps(self, record, remote, forget):
        """Delete the recorded domain's mappings, then the domain."""
        calls = _calls(is_v2_record(record))
        domain_name = record['domain_name']
        steps = []
        if remote is None or remote.get('domain') is not None:
            mappings = (remote or {}).get('mappings')
            if mappings is None:  # nothing read: fall back on the record
                mappings = [{'key': m['key'].strip('/'),
                             'id': m.get('id') or m['key'].strip('/') or ROOT_BASE_PATH}
                            for m in record.get('api_mapping') or []]
            owned = _owned_by(record)
            foreign = [m for m in mappings if not owned(m)]
            values = record_values(record)
            for mapping in [m for m in mappings if owned(m)]:
                method, params = calls.delete_mapping(domain_name, mapping)
                steps.append(APICall(calls.service, method, params, ignore_errors=_GONE))
                # The record keeps listing exactly the mappings that are left.
                left = [m for m in values.get('api_mapping') or []
                        if m.get('key') != _mapping_key(mapping['key'])]
                if left != values.get('api_mapping'):
                    values = dict(values, api_mapping=left)
                    steps.append(RecordResource(record['name'], self.resource_type, values))
            if foreign:
                steps.append(Message(
                    'Keeping custom domain name %s: other APIs are mapped to it (%s)'
                    % (domain_name, ', '.join(sorted(_mapping_key(m['key']) for m in foreign)))))
            else:
                method, params = calls.delete_domain(domain_name)
                steps.append(APICall(calls.service, method, params, ignore_errors=_GONE,
                                     message='Deleting custom domain name: %s' % domain_name))
        if forget:
            steps.append(ForgetResource(record['name']))
        return steps

    # -- packaging

    def emit_sam(self, model, ctx):
        logical_id = to_logical_id(model.resource_name)
        if model.v2:
            properties = {'DomainName': model.domain_name, 'DomainNameConfigurations': [{
                'CertificateArn': model.certificate_arn, 'EndpointType': 'REGIONAL',
                'SecurityPolicy': model.tls_version}]}
            if model.tags:
                properties['Tags'] = dict(model.tags)
            domain_type, mapping_type = ('AWS::ApiGatewayV2::DomainName',
                                         'AWS::ApiGatewayV2::ApiMapping')
            # SAM names the HTTP API's $default stage HttpAPI.Stage.
            api = 'WebsocketAPI' if model.websocket else 'HttpAPI'
            target = {'ApiId': {'Ref': api}, 'Stage': {'Ref': api + (
                'Stage' if model.websocket else '.Stage')}}
            prefix_key = 'ApiMappingKey'
            zone, alias = 'RegionalHostedZoneId', 'RegionalDomainName'
        else:
            edge = model.endpoint_type == 'EDGE'
            properties = {'DomainName': model.domain_name,
                          'EndpointConfiguration': {'Types': [model.endpoint_type]},
                          'SecurityPolicy': model.tls_version,
                          'CertificateArn' if edge else 'RegionalCertificateArn':
                              model.certificate_arn}
            if model.tags:
                properties['Tags'] = [{'Key': key, 'Value': value}
                                      for key, value in sorted(model.tags.items())]
            domain_type, mapping_type = ('AWS::ApiGateway::DomainName',
                                         'AWS::ApiGateway::BasePathMapping')
            target = {'RestApiId': {'Ref': 'RestAPI'}, 'Stage': {'Ref': 'RestAPI.Stage'}}
            prefix_key = 'BasePath'
            zone = 'DistributionHostedZoneId' if edge else 'RegionalHostedZoneId'
            alias = 'DistributionDomainName' if edge else 'RegionalDomainName'
        resources = {logical_id: {'Type': domain_type, 'Properties': properties}}
        for index, prefix in enumerate(model.url_prefixes):
            mapping = dict({'DomainName': {'Ref': logical_id}}, **target)
            if prefix:
                mapping[prefix_key] = prefix
            resources['%sMapping%s' % (logical_id, index or '')] = {
                'Type': mapping_type, 'Properties': mapping}
        ctx.outputs.update({
            logical_id + 'HostedZoneId': {'Value': {'Fn::GetAtt': [logical_id, zone]}},
            logical_id + 'AliasDomainName': {'Value': {'Fn::GetAtt': [logical_id, alias]}},
        })
        return resources

    def emit_terraform(self, model, ctx):
        name = model.resource_name
        if model.v2:
            domain_type, mapping_type = ('aws_apigatewayv2_domain_name',
                                         'aws_apigatewayv2_api_mapping')
            domain = {'domain_name': model.domain_name, 'domain_name_configuration': {
                'certificate_arn': model.certificate_arn, 'endpoint_type': 'REGIONAL',
                'security_policy': model.tls_version}}
            configuration = tf_ref(domain_type, name, 'domain_name_configuration')[:-1]
            zone = configuration + '[0].hosted_zone_id}'
            alias = configuration + '[0].target_domain_name}'
        else:
            domain_type, mapping_type = ('aws_api_gateway_domain_name',
                                         'aws_api_gateway_base_path_mapping')
            edge = model.endpoint_type == 'EDGE'
            domain = {'domain_name': model.domain_name,
                      'endpoint_configuration': {'types': [model.endpoint_type]},
                      'security_policy': model.tls_version,
                      'certificate_arn' if edge else 'regional_certificate_arn':
                          model.certificate_arn}
            zone = tf_ref(domain_type, name, 'cloudfront_zone_id' if edge
                          else 'regional_zone_id')
            alias = tf_ref(domain_type, name, 'cloudfront_domain_name' if edge
                           else 'regional_domain_name')
        if model.tags:
            domain['tags'] = dict(model.tags)
        entries = [(domain_type, name, ctx.value(domain))]
        api = model.api.resource_name
        stage = tf_stage_label(api) if model.api.resource_type == 'websocket_api' else api
        for index, prefix in enumerate(model.url_prefixes):
            if model.v2:
                mapping = {'api_id': tf_ref('aws_apigatewayv2_api', api, 'id'),
                           'domain_name': tf_ref(domain_type, name, 'domain_name'),
                           'stage': tf_ref('aws_apigatewayv2_stage', stage, 'name')}
                if prefix:
                    mapping['api_mapping_key'] = ctx.value(prefix)
            else:
                mapping = {'api_id': tf_ref('aws_api_gateway_rest_api', api, 'id'),
                           'domain_name': tf_ref(domain_type, name, 'domain_name'),
                           'stage_name': tf_ref('aws_api_gateway_stage', api, 'stage_name')}
                if prefix:
                    mapping['base_path'] = ctx.value(prefix)
            # AWS Chalice's label for the (first) mapping; more prefixes, more mappings.
            entries.append((mapping_type, '%s_mapping%s' % (name, '-%d' % index if index else ''),
                            mapping))
        # A REST API's domain has AWS Chalice's output names; the others (which
        # it gives no output) are prefixed with the domain's logical id.
        logical_id = '' if model.api.resource_type == 'rest_api' else to_logical_id(name)
        ctx.outputs.update({logical_id + 'HostedZoneId': {'value': zone},
                            logical_id + 'AliasDomainName': {'value': alias}})
        return tf_resources(*entries)
