"""Factories for HTTP API (API Gateway v2) events, payload format 2.0.

Written from the shape API Gateway documents for Lambda proxy integrations
and Lambda authorizers of HTTP APIs, independently of chalice.proxy (which
builds the same events for ``chalice local``), so the runtime is tested
against AWS's format rather than against our own builder.
"""
import base64
from urllib.parse import quote

REGION = 'us-west-2'
ACCOUNT_ID = '123456789012'
API_ID = 'r3pmxmplak'
DOMAIN = '%s.execute-api.%s.amazonaws.com' % (API_ID, REGION)
SOURCE_IP = '203.0.113.10'
USER_AGENT = 'pytest-events/1.0'
EPOCH_MS = 1700000000000


def http_api_event(route_key='GET /', path=None, headers=None, query=None, cookies=None,
                   path_params=None, body=None, binary=False, authorizer=None,
                   stage_variables=None):
    """The event a payload-format-2.0 Lambda integration receives.

    ``route_key`` is ``"<METHOD> <template>"`` or ``"$default"`` (then
    ``path`` must be given and the method is taken from ``headers``'s
    ``:method`` - use :func:`default_route_event` instead).  ``query`` is a
    list of (name, value) pairs in the order sent; ``headers`` a dict (names
    are lower-cased, as API Gateway delivers them).  ``body`` is bytes or
    text; ``binary`` sends it base64-encoded.
    """
    method, _, template = route_key.partition(' ')
    if path is None:
        path = template
        for name, value in (path_params or {}).items():
            path = path.replace('{%s+}' % name, value).replace('{%s}' % name, quote(value))
    return _event(route_key, method, path, headers, query, cookies, path_params, body, binary,
                  authorizer, stage_variables)


def default_route_event(method, path, **kwargs):
    """An event of the ``$default`` catch-all route (no path parameters)."""
    return _event('$default', method, path, kwargs.get('headers'), kwargs.get('query'),
                  kwargs.get('cookies'), None, kwargs.get('body'), kwargs.get('binary', False),
                  kwargs.get('authorizer'), None)


def _event(route_key, method, path, headers, query, cookies, path_params, body, binary,
           authorizer, stage_variables):
    query = list(query or [])
    raw_query = '&'.join('%s=%s' % (quote(k, safe=''), quote(v, safe='')) for k, v in query)
    single = {}
    for name, value in query:
        single[name] = single[name] + ',' + value if name in single else value
    event = {
        'version': '2.0',
        'routeKey': route_key,
        'rawPath': path,
        'rawQueryString': raw_query,
        'headers': {k.lower(): v for k, v in (headers or {}).items()},
        'requestContext': {
            'accountId': ACCOUNT_ID,
            'apiId': API_ID,
            'domainName': DOMAIN,
            'domainPrefix': API_ID,
            'http': {'method': method, 'path': path, 'protocol': 'HTTP/1.1',
                     'sourceIp': SOURCE_IP, 'userAgent': USER_AGENT},
            'requestId': 'JKJaXmPLvHcESHA=',
            'routeKey': route_key,
            'stage': '$default',
            'time': '14/Nov/2023:22:13:20 +0000',
            'timeEpoch': EPOCH_MS,
        },
        'isBase64Encoded': False,
    }
    if cookies:
        event['cookies'] = list(cookies)
    if single:
        event['queryStringParameters'] = single
    if path_params:
        event['pathParameters'] = dict(path_params)
    if stage_variables:
        event['stageVariables'] = dict(stage_variables)
    if authorizer is not None:
        event['requestContext']['authorizer'] = authorizer
    if body is not None:
        if binary:
            raw = body if isinstance(body, bytes) else body.encode('utf-8')
            event['body'] = base64.b64encode(raw).decode('ascii')
            event['isBase64Encoded'] = True
        else:
            event['body'] = body if isinstance(body, str) else body.decode('utf-8')
    return event


def route_arn(method='GET', path='/', api_id=API_ID):
    return 'arn:aws:execute-api:%s:%s:%s/$default/%s%s' % (REGION, ACCOUNT_ID, api_id,
                                                            method, path)


def authorizer_event(token, method='GET', path='/', route_key=None):
    """A payload-format-2.0 Lambda authorizer event (identity source: Authorization)."""
    route_key = route_key or '%s %s' % (method, path)
    return {
        'version': '2.0',
        'type': 'REQUEST',
        'routeArn': route_arn(method, path),
        'identitySource': [token],
        'routeKey': route_key,
        'rawPath': path,
        'rawQueryString': '',
        'headers': {'authorization': token},
        'requestContext': {'accountId': ACCOUNT_ID, 'apiId': API_ID,
                           'http': {'method': method, 'path': path, 'protocol': 'HTTP/1.1',
                                    'sourceIp': SOURCE_IP, 'userAgent': USER_AGENT},
                           'routeKey': route_key, 'stage': '$default'},
    }
