"""The HTTP side of the runtime: ``app(event, context)`` with REST proxy events.

Every test drives the app the way Lambda does, with an API Gateway REST API
proxy event from :mod:`tests.unit.events`, and checks the exact proxy
response (status code, headers, body).
"""
import base64
import decimal
import gzip
import json
import logging
import uuid

import pytest

from chalice import (
    APIGateway,
    BadRequestError,
    Blueprint,
    Chalice,
    ChaliceUnhandledError,
    ChaliceViewError,
    ConflictError,
    ConvertToMiddleware,
    CORSConfig,
    CustomAuthorizer,
    ForbiddenError,
    IAMAuthorizer,
    MethodNotAllowedError,
    MultiDict,
    NotFoundError,
    Request,
    RequestTimeoutError,
    Response,
    TooManyRequestsError,
    UnauthorizedError,
    UnprocessableEntityError,
    WebsocketAPI,
)
from tests.unit.events import FakeLambdaContext, rest_event

DEFAULT_ALLOW_HEADERS = 'Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key'
CORS_STAR = {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Headers': DEFAULT_ALLOW_HEADERS,
}
INTERNAL_ERROR = {'Code': 'InternalServerError',
                  'Message': 'An internal server error occurred.'}
DEFAULT_BINARY_TYPES = [
    'application/octet-stream', 'application/x-tar', 'application/zip',
    'audio/basic', 'audio/ogg', 'audio/mp4', 'audio/mpeg', 'audio/wav',
    'audio/webm', 'image/png', 'image/jpg', 'image/jpeg', 'image/gif',
    'video/ogg', 'video/mpeg', 'video/webm',
]


def unique_name(prefix='http-app'):
    return '%s-%s' % (prefix, uuid.uuid4().hex[:10])


@pytest.fixture
def app():
    return Chalice(unique_name())


def assert_proxy_response(response):
    """The shape API Gateway requires of a proxy integration's answer."""
    assert isinstance(response, dict)
    assert type(response['statusCode']) is int
    assert isinstance(response['headers'], dict)
    for name, value in response['headers'].items():
        assert isinstance(name, str) and isinstance(value, str), (name, value)
    for name, values in response.get('multiValueHeaders', {}).items():
        assert isinstance(name, str)
        assert isinstance(values, list) and all(isinstance(v, str) for v in values)
    assert response['body'] is None or isinstance(response['body'], str)
    json.dumps(response)


def invoke(app, resource='/', method='GET', context=None, **kwargs):
    """Send one REST proxy event to ``app`` and return its proxy response."""
    event = rest_event(resource, method, **kwargs)
    response = app(event, context if context is not None else FakeLambdaContext())
    assert_proxy_response(response)
    return response


def body_json(response):
    return json.loads(response['body'])


def assert_error(response, status, code, message):
    assert response['statusCode'] == status
    assert response['headers']['Content-Type'] == 'application/json'
    assert body_json(response) == {'Code': code, 'Message': message}


def named_view(name, result=None):
    """A distinct view function object whose ``__name__`` is ``name``."""
    def view():
        return result
    view.__name__ = name
    return view


# ---------------------------------------------------------------------------
# The event factory agrees with the proxy events chalice.proxy builds
# ---------------------------------------------------------------------------

def test_rest_event_has_the_same_shape_as_local_proxy_events():
    from chalice.proxy import build_proxy_event
    from chalice.routing import MatchResult

    local = build_proxy_event(
        method='POST', path='/users/42', query_string='a=1&a=2',
        headers=[('Content-Type', 'application/json'), ('X-A', '1'), ('X-A', '2')],
        body=b'{}', match=MatchResult('/users/{id}', {'id': '42'}))
    ours = rest_event('/users/{id}', 'POST', path_params={'id': '42'},
                      query={'a': ['1', '2']}, body='{}',
                      headers=[('Content-Type', 'application/json'), ('X-A', '1'),
                               ('X-A', '2')])
    assert set(ours) == set(local)
    assert set(ours['requestContext']) >= set(local['requestContext'])
    assert set(ours['requestContext']['identity']) >= set(
        local['requestContext']['identity'])
    for key in ('resource', 'path', 'httpMethod', 'headers', 'multiValueHeaders',
                'queryStringParameters', 'multiValueQueryStringParameters',
                'pathParameters', 'stageVariables', 'body', 'isBase64Encoded'):
        assert ours[key] == local[key], key
    for key in ('resourcePath', 'httpMethod', 'path', 'stage', 'protocol'):
        assert ours['requestContext'][key] == local['requestContext'][key], key


# ---------------------------------------------------------------------------
# Chalice(app_name): attributes, logging, per-request state
# ---------------------------------------------------------------------------

def test_app_attributes_and_defaults():
    app = Chalice('attrs-app')
    assert app.app_name == 'attrs-app'
    assert isinstance(app.api, APIGateway)
    assert isinstance(app.websocket_api, WebsocketAPI)
    assert app.debug is False
    assert isinstance(app.experimental_feature_flags, set)
    assert app.experimental_feature_flags == set()
    assert app.routes == {}
    assert app.api.cors is False
    assert app.current_request is None
    assert app.lambda_context is None


def test_app_name_is_positional_or_keyword():
    assert Chalice(app_name='kw-name').app_name == 'kw-name'
    assert Chalice('pos-name').app_name == 'pos-name'


def test_log_is_named_after_the_app_at_error_level():
    name = unique_name('log')
    app = Chalice(name)
    assert app.log is logging.getLogger(name)
    assert app.log.name == name
    assert app.log.level == logging.ERROR


def test_debug_switches_the_log_level():
    app = Chalice(unique_name('dbg'))
    app.debug = True
    assert app.debug is True
    assert app.log.level == logging.DEBUG
    app.debug = False
    assert app.log.level == logging.ERROR
    assert Chalice(unique_name('dbg'), debug=True).log.level == logging.DEBUG


def test_log_format_goes_to_stdout(capsys):
    name = unique_name('fmt')
    app = Chalice(name)
    app.log.debug('hidden at the default level')
    app.log.info('hidden too')
    app.log.error('an error statement')
    captured = capsys.readouterr()
    assert captured.out == '%s - ERROR - an error statement\n' % name
    assert captured.err == ''
    app.debug = True
    app.log.debug('a debug statement')
    assert capsys.readouterr().out == '%s - DEBUG - a debug statement\n' % name


def test_current_request_is_only_set_while_a_view_runs(app):
    seen = []

    @app.route('/seen')
    def seen_view():
        seen.append(app.current_request)
        return {'path': app.current_request.path}

    assert app.current_request is None
    response = invoke(app, '/seen')
    assert body_json(response) == {'path': '/seen'}
    assert isinstance(seen[0], Request)
    assert app.current_request is None


def test_current_request_is_cleared_after_an_error(app):
    @app.route('/fail')
    def fail():
        raise NotFoundError('x')

    invoke(app, '/fail')
    assert app.current_request is None
    assert app.lambda_context is None


def test_lambda_context_is_set_for_routes(app):
    context = FakeLambdaContext(function_name='ctx-fn')
    seen = []

    @app.route('/ctx')
    def ctx():
        seen.append(app.lambda_context)
        return {'name': app.lambda_context.function_name,
                'remaining': app.lambda_context.get_remaining_time_in_millis()}

    response = invoke(app, '/ctx', context=context)
    assert body_json(response) == {'name': 'ctx-fn', 'remaining': 60000}
    assert seen == [context]
    assert app.lambda_context is None


# ---------------------------------------------------------------------------
# route(): validation
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('path', [
    '/foo/',            # trailing slash
    '/foo bar',         # bad characters
    '/a/{x}/b/{x}',     # duplicate capture names
    '/a/{proxy+}/b',    # greedy not last
    '/a//b',            # empty segment
])
def test_routes_a_deploy_refuses_still_load_and_other_routes_work(app, path):
    # Chalice 1.x imports such apps (in Lambda, in the test client); only
    # `chalice deploy/package/local` refuse them (tests/unit/test_appcheck.py).
    @app.route(path)
    def view(**kwargs):
        return {}

    app.route('/fine')(named_view('fine', {'ok': True}))
    assert list(app.routes[path]) == ['GET']
    assert body_json(invoke(app, '/fine')) == {'ok': True}


def test_route_path_must_be_a_string(app):
    with pytest.raises(TypeError, match='string'):
        app.route(None)(named_view('none'))
    assert app.routes == {}


@pytest.mark.parametrize('path', [
    '/', '/a', '/a.b-c_d', '/a/{b}', '/{proxy+}', '/a/{b}/c/{d+}', '/A9/{x_1}',
])
def test_valid_route_paths_are_accepted(app, path):
    @app.route(path)
    def view(**kwargs):
        return {}

    assert list(app.routes[path]) == ['GET']


def test_a_rejected_route_leaves_app_routes_unchanged(app):
    app.route('/new', methods=['GET'])(named_view('first'))
    with pytest.raises(ValueError, match='Duplicate method'):
        app.route('/new', methods=['POST', 'GET'])(named_view('second'))
    assert list(app.routes['/new']) == ['GET']


def test_root_route(app):
    @app.route('/')
    def index():
        return {'hello': 'world'}

    response = invoke(app, '/')
    assert response['statusCode'] == 200
    assert body_json(response) == {'hello': 'world'}


def test_route_entry_records_the_registration(app):
    @app.route('/users/{user_id}/posts/{post_id}', methods=['PUT'], name='custom_name',
               api_key_required=True)
    def posts(user_id, post_id):
        return {}

    entry = app.routes['/users/{user_id}/posts/{post_id}']['PUT']
    assert entry.view_function is posts
    assert entry.view_name == 'custom_name'
    assert entry.uri_pattern == '/users/{user_id}/posts/{post_id}'
    assert entry.method == 'PUT'
    assert entry.view_args == ['user_id', 'post_id']
    assert entry.content_types == ['application/json']
    assert entry.api_key_required is True
    assert entry.cors is None
    assert entry.authorizer is None


def test_methods_default_to_get(app):
    app.route('/only-get')(named_view('only_get'))
    assert list(app.routes['/only-get']) == ['GET']
    response = invoke(app, '/only-get', 'POST')
    assert_error(response, 405, 'MethodNotAllowedError', 'Unsupported method: POST')


def test_lowercase_method_names_are_accepted(app):
    @app.route('/lower', methods=['post', 'Put'])
    def lower():
        return {'method': app.current_request.method}

    assert sorted(app.routes['/lower']) == ['POST', 'PUT']
    assert body_json(invoke(app, '/lower', 'POST')) == {'method': 'POST'}


def test_unknown_method_loads(app):
    app.route('/x', methods=['FETCH'])(named_view('x'))
    assert list(app.routes['/x']) == ['FETCH']


def test_several_views_per_path_by_method(app):
    @app.route('/myview', methods=['POST'])
    def myview_post():
        return {'view': 'post'}

    @app.route('/myview', methods=['PUT'])
    def myview_put():
        return {'view': 'put'}

    assert body_json(invoke(app, '/myview', 'POST')) == {'view': 'post'}
    assert body_json(invoke(app, '/myview', 'PUT')) == {'view': 'put'}
    assert app.routes['/myview']['POST'].view_name == 'myview_post'
    assert app.routes['/myview']['PUT'].view_name == 'myview_put'


def test_overlapping_methods_on_one_path_name_both_views(app):
    app.route('/dup', methods=['GET', 'PUT'])(named_view('first_view'))
    with pytest.raises(ValueError) as info:
        app.route('/dup', methods=['PUT'])(named_view('second_view'))
    message = str(info.value)
    assert 'first_view' in message and 'second_view' in message and 'PUT' in message
    # The failed registration did not replace the first view.
    assert app.routes['/dup']['PUT'].view_name == 'first_view'


def test_same_view_name_on_different_paths_is_fine(app):
    app.route('/one')(named_view('index', {'p': 1}))
    app.route('/two')(named_view('index', {'p': 2}))
    assert body_json(invoke(app, '/one')) == {'p': 1}
    assert body_json(invoke(app, '/two')) == {'p': 2}


def test_equal_cors_settings_on_one_path_are_accepted(app):
    app.route('/c', methods=['GET'], cors=CORSConfig(max_age=10))(named_view('c_get'))
    app.route('/c', methods=['PUT'], cors=CORSConfig(max_age=10))(named_view('c_put'))
    assert sorted(app.routes['/c']) == ['GET', 'PUT']


def test_all_binary_content_types_are_accepted(app):
    app.route('/b', methods=['POST'],
              content_types=['image/png', 'application/octet-stream'])(named_view('b'))
    assert app.routes['/b']['POST'].content_types == ['image/png', 'application/octet-stream']


def test_content_types_given_as_a_str_is_rejected(app):
    with pytest.raises(ValueError, match='list'):
        app.route('/s', methods=['POST'], content_types='application/json')(named_view('s'))


def test_view_missing_a_capture_loads_and_answers_500(app):
    # As in Chalice 1.x: the import works, the call fails (a TypeError -> 500);
    # `chalice deploy/package/local` refuse the app before that.
    app.log.setLevel(100)

    @app.route('/users/{name}')
    def users(user):
        return {}

    response = invoke(app, '/users/{name}', path_params={'name': 'x'})
    assert_error(response, 500, *INTERNAL_ERROR.values())


def test_view_with_var_kwargs_accepts_any_captures(app):
    @app.route('/a/{first}/b/{second}')
    def anything(**kwargs):
        return kwargs

    response = invoke(app, '/a/{first}/b/{second}',
                      path_params={'first': '1', 'second': '2'})
    assert body_json(response) == {'first': '1', 'second': '2'}


def test_unknown_route_kwargs_are_rejected(app):
    with pytest.raises(TypeError, match='not_an_option'):
        app.route('/k', not_an_option=True)(named_view('k'))


@pytest.mark.parametrize('options, names', [
    ({'authorizer_name': 'MyAuth'}, 'authorizer_name'),
    ({'authorizer_id': 'abc123', 'authorization_type': 'CUSTOM'},
     'authorization_type, authorizer_id'),
])
def test_authorizer_options_removed_before_1_0_are_rejected(app, options, names):
    # route(authorizer_id=, authorization_type=) went in 0.7.0 and
    # route(authorizer_name=) with app.define_authorizer() in 1.0.0b1: both
    # are refused by name rather than silently deploying an open route.
    with pytest.raises(TypeError) as info:
        app.route('/old', **options)(named_view('old'))
    assert str(info.value) == 'route() got unexpected keyword argument(s): %s' % names
    assert app.routes == {}
    assert not hasattr(app, 'define_authorizer')


def test_authorizer_of_the_wrong_type_is_rejected(app):
    with pytest.raises(TypeError):
        app.route('/auth', authorizer='my-authorizer')(named_view('auth'))
    with pytest.raises(TypeError):
        app.route('/auth', authorizer=object())(named_view('auth'))


def test_valid_authorizers_are_recorded(app):
    iam = IAMAuthorizer()
    custom = CustomAuthorizer(
        'custom', 'arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/'
                  'arn:aws:lambda:us-west-2:123456789012:function:auth/invocations')
    app.route('/iam', authorizer=iam)(named_view('iam'))
    app.route('/custom', authorizer=custom)(named_view('custom'))

    @app.authorizer()
    def builtin(auth_request):
        return None

    app.route('/builtin', authorizer=builtin)(named_view('builtin_view'))
    assert app.routes['/iam']['GET'].authorizer is iam
    assert app.routes['/iam']['GET'].authorizer_name == 'sigv4'
    assert app.routes['/custom']['GET'].authorizer_name == 'custom'
    assert app.routes['/builtin']['GET'].authorizer_name == 'builtin'


# ---------------------------------------------------------------------------
# Dispatch: captures, methods, unknown methods and resources
# ---------------------------------------------------------------------------

def test_captures_are_passed_as_keyword_arguments_in_any_order(app):
    @app.route('/a/{first}/b/{second}')
    def users(second, first):
        return {'first': first, 'second': second}

    response = invoke(app, '/a/{first}/b/{second}',
                      path_params={'first': 'one', 'second': 'two'})
    assert response['statusCode'] == 200
    assert body_json(response) == {'first': 'one', 'second': 'two'}


def test_greedy_capture_is_passed_whole(app):
    @app.route('/files/{proxy+}')
    def files(proxy):
        return {'proxy': proxy}

    response = invoke(app, '/files/{proxy+}', path_params={'proxy': 'a/b/c.txt'})
    assert body_json(response) == {'proxy': 'a/b/c.txt'}


def test_one_view_for_post_and_put(app):
    calls = []

    @app.route('/myview', methods=['POST', 'PUT'])
    def myview():
        calls.append(app.current_request.method)
        return {'method': app.current_request.method}

    assert body_json(invoke(app, '/myview', 'POST')) == {'method': 'POST'}
    assert body_json(invoke(app, '/myview', 'PUT')) == {'method': 'PUT'}
    assert calls == ['POST', 'PUT']


def test_tutorial_objects_example(app):
    objects = {}

    @app.route('/objects/{key}', methods=['GET', 'PUT'])
    def myobject(key):
        request = app.current_request
        if request.method == 'PUT':
            objects[key] = request.json_body
        elif request.method == 'GET':
            try:
                return {key: objects[key]}
            except KeyError:
                raise NotFoundError(key) from None

    params = {'key': 'mykey'}
    assert_error(invoke(app, '/objects/{key}', path_params=params),
                 404, 'NotFoundError', 'mykey')
    put = invoke(app, '/objects/{key}', 'PUT', path_params=params,
                 headers={'Content-Type': 'application/json'}, body='{"foo": "bar"}')
    assert (put['statusCode'], put['body']) == (200, 'null')
    get = invoke(app, '/objects/{key}', path_params=params)
    assert body_json(get) == {'mykey': {'foo': 'bar'}}


def test_unsupported_method_is_405_with_allow_header(app):
    app.route('/res', methods=['GET'])(named_view('res_get'))
    app.route('/res', methods=['PUT', 'POST'])(named_view('res_put'))
    response = invoke(app, '/res', 'DELETE')
    assert_error(response, 405, 'MethodNotAllowedError', 'Unsupported method: DELETE')
    assert response['headers']['Allow'] == 'GET,PUT,POST'


def test_unknown_resource_is_404(app):
    app.route('/known')(named_view('known'))
    response = invoke(app, '/unknown')
    assert_error(response, 404, 'NotFoundError', 'Unknown resource: /unknown')


# ---------------------------------------------------------------------------
# Request
# ---------------------------------------------------------------------------

@pytest.fixture
def echo_app(app):
    """An app whose views report what they see on ``current_request``."""
    @app.route('/echo/{name}', methods=['GET', 'POST', 'PUT'],
               content_types=['application/json', 'text/plain',
                              'application/x-www-form-urlencoded'])
    def echo(name):
        request = app.current_request
        query = request.query_params
        return {
            'method': request.method,
            'path': request.path,
            'query': None if query is None else {k: query.getlist(k) for k in query},
            'query_last': None if query is None else dict(query),
            'headers': dict(request.headers),
            'uri_params': request.uri_params,
            'stage_vars': request.stage_vars,
            'raw_body': base64.b64encode(request.raw_body).decode('ascii'),
            'raw_body_is_bytes': isinstance(request.raw_body, bytes),
        }

    return app


def test_request_basic_attributes(echo_app):
    response = invoke(echo_app, '/echo/{name}', 'PUT', path_params={'name': 'bob'},
                      stage_vars={'env': 'test'})
    assert body_json(response) == {
        'method': 'PUT',
        'path': '/echo/{name}',  # the route pattern, as in Chalice 1.x
        'query': None,
        'query_last': None,
        'headers': {},
        'uri_params': {'name': 'bob'},
        'stage_vars': {'env': 'test'},
        'raw_body': '',
        'raw_body_is_bytes': True,
    }


def test_query_params_are_a_multidict(echo_app):
    response = invoke(echo_app, '/echo/{name}', path_params={'name': 'q'},
                      query={'a': ['1', '2', '3'], 'b': 'x', 'empty': ''})
    result = body_json(response)
    assert result['query'] == {'a': ['1', '2', '3'], 'b': ['x'], 'empty': ['']}
    assert result['query_last'] == {'a': '3', 'b': 'x', 'empty': ''}


def test_query_params_from_single_value_field_only(app):
    @app.route('/q')
    def q():
        query = app.current_request.query_params
        return {'x': query['x'], 'all': query.getlist('x')}

    event = rest_event('/q', query={'x': 'only'})
    event['multiValueQueryStringParameters'] = None
    response = app(event, FakeLambdaContext())
    assert body_json(response) == {'x': 'only', 'all': ['only']}


def test_multidict_behaviour():
    multi = MultiDict({'a': ['1', '2'], 'b': ['3']})
    assert multi['a'] == '2'
    assert multi.getlist('a') == ['1', '2']
    assert multi.get('b') == '3'
    assert multi.get('missing') is None
    assert multi.get('missing', 'd') == 'd'
    assert 'a' in multi and 'z' not in multi
    assert sorted(multi) == ['a', 'b']
    assert len(multi) == 2
    with pytest.raises(KeyError):
        multi['z']
    with pytest.raises(KeyError):
        multi.getlist('z')
    returned = multi.getlist('a')
    returned.append('mutated')
    assert multi.getlist('a') == ['1', '2']


def test_docs_include_greeting_example(app):
    @app.route('/users/{name}')
    def users(name):
        result = {'name': name}
        query = app.current_request.query_params
        if query and query.get('include-greeting') == 'true':
            result['greeting'] = 'Hello, %s' % name
        return result

    params = {'name': 'bob'}
    assert body_json(invoke(app, '/users/{name}', path_params=params)) == {'name': 'bob'}
    response = invoke(app, '/users/{name}', path_params=params,
                      query={'include-greeting': 'true'})
    assert body_json(response) == {'name': 'bob', 'greeting': 'Hello, bob'}


def test_headers_are_case_insensitive(app):
    @app.route('/h')
    def h():
        headers = app.current_request.headers
        return {
            'lower': headers['x-custom'],
            'upper': headers['X-CUSTOM'],
            'get': headers.get('X-Custom'),
            'missing': headers.get('X-Missing', 'default'),
            'contains': 'X-CuStOm' in headers,
            'not_contains': 'nope' in headers,
            'keys': sorted(headers),
        }

    response = invoke(app, '/h', headers={'X-Custom': 'v', 'User-Agent': 'ua'})
    assert body_json(response) == {
        'lower': 'v', 'upper': 'v', 'get': 'v', 'missing': 'default',
        'contains': True, 'not_contains': False, 'keys': ['user-agent', 'x-custom'],
    }


def test_repeated_header_reads_as_its_last_value(app):
    @app.route('/h')
    def h():
        return {'accept': app.current_request.headers['accept']}

    response = invoke(app, '/h', headers=[('Accept', 'text/plain'), ('Accept', 'text/html')])
    assert body_json(response) == {'accept': 'text/html'}


def test_context_is_the_request_context(app):
    @app.route('/ctx')
    def ctx():
        return app.current_request.context

    event = rest_event('/ctx', request_id='req-1', source_ip='198.51.100.7',
                       authorizer={'principalId': 'user-1'})
    response = app(event, FakeLambdaContext())
    context = body_json(response)
    assert context == event['requestContext']
    assert context['resourcePath'] == '/ctx'
    assert context['httpMethod'] == 'GET'
    assert context['stage'] == 'api'
    assert context['requestId'] == 'req-1'
    assert context['identity']['sourceIp'] == '198.51.100.7'
    assert context['authorizer'] == {'principalId': 'user-1'}


def test_uri_params_and_stage_vars_are_none_when_absent(app):
    @app.route('/none')
    def none():
        request = app.current_request
        return {'uri': request.uri_params, 'stage': request.stage_vars,
                'query': request.query_params}

    assert body_json(invoke(app, '/none')) == {'uri': None, 'stage': None, 'query': None}


def test_json_body_is_parsed_for_json(app):
    @app.route('/j', methods=['POST'])
    def j():
        return {'got': app.current_request.json_body}

    for content_type in ('application/json', 'application/json; charset=utf-8',
                         'Application/JSON'):
        response = invoke(app, '/j', 'POST', headers={'Content-Type': content_type},
                          body='{"a": [1, 2, {"b": null}]}')
        assert body_json(response) == {'got': {'a': [1, 2, {'b': None}]}}


def test_json_body_without_content_type_header_is_parsed(app):
    @app.route('/j', methods=['POST'])
    def j():
        return {'got': app.current_request.json_body}

    assert body_json(invoke(app, '/j', 'POST', body='[1, 2]')) == {'got': [1, 2]}


def test_json_body_is_none_for_other_content_types_and_empty_bodies(app):
    @app.route('/form', methods=['POST', 'GET'],
               content_types=['application/x-www-form-urlencoded', 'application/json'])
    def form():
        request = app.current_request
        return {'json': request.json_body, 'raw': request.raw_body.decode('utf-8')}

    response = invoke(app, '/form', 'POST',
                      headers={'Content-Type': 'application/x-www-form-urlencoded'},
                      body='states=WA&states=CA')
    assert body_json(response) == {'json': None, 'raw': 'states=WA&states=CA'}
    response = invoke(app, '/form', 'GET')
    assert body_json(response) == {'json': None, 'raw': ''}


def test_json_body_is_parsed_for_json_patch_media_types(app):
    # Chalice 1.x parses any Content-Type starting with application/json,
    # so JSON Patch bodies (application/json-patch+json) reach json_body.
    @app.route('/patch', methods=['PATCH'],
               content_types=['application/json-patch+json', 'application/json-seq',
                              'application/vnd.api+json'])
    def patch():
        return {'json': app.current_request.json_body}

    ops = '[{"op": "remove", "path": "/a"}]'
    for content_type in ('application/json-patch+json',
                         'Application/JSON-Patch+JSON; charset=utf-8'):
        response = invoke(app, '/patch', 'PATCH', headers={'Content-Type': content_type},
                          body=ops)
        assert body_json(response) == {'json': [{'op': 'remove', 'path': '/a'}]}
    response = invoke(app, '/patch', 'PATCH',
                      headers={'Content-Type': 'application/json-patch+json'}, body='{x')
    assert_error(response, 400, 'BadRequestError', 'Error Parsing JSON')
    # Other types stay raw: JSON text sequences and vendor +json types.
    for content_type in ('application/json-seq', 'application/vnd.api+json'):
        response = invoke(app, '/patch', 'PATCH', headers={'Content-Type': content_type},
                          body=ops)
        assert body_json(response) == {'json': None}


def test_invalid_json_is_only_an_error_when_json_body_is_read(app):
    @app.route('/lazy', methods=['POST'])
    def lazy():
        return {'raw': app.current_request.raw_body.decode('utf-8')}

    @app.route('/eager', methods=['POST'])
    def eager():
        return {'json': app.current_request.json_body}

    headers = {'Content-Type': 'application/json'}
    response = invoke(app, '/lazy', 'POST', headers=headers, body='{not json')
    assert body_json(response) == {'raw': '{not json'}
    response = invoke(app, '/eager', 'POST', headers=headers, body='{not json')
    assert_error(response, 400, 'BadRequestError', 'Error Parsing JSON')


def test_invalid_json_raises_on_every_read(app):
    @app.route('/twice', methods=['POST'])
    def twice():
        request = app.current_request
        try:
            first = request.json_body
        except BadRequestError:
            first = 'raised'
        return {'first': first, 'second': request.json_body}

    response = invoke(app, '/twice', 'POST', headers={'Content-Type': 'application/json'},
                      body='{not json')
    assert_error(response, 400, 'BadRequestError', 'Error Parsing JSON')


def test_raw_body_is_bytes(echo_app):
    def raw(**kwargs):
        response = invoke(echo_app, '/echo/{name}', 'POST', path_params={'name': 'r'},
                          headers={'Content-Type': 'text/plain'}, **kwargs)
        return base64.b64decode(body_json(response)['raw_body'])

    assert raw(body='h\u00e9llo') == 'h\u00e9llo'.encode('utf-8')
    assert raw(body=base64.b64encode(b'\xfe\xed\x00').decode('ascii'),
               is_base64=True) == b'\xfe\xed\x00'
    assert raw(body=b'\x00\x01binary') == b'\x00\x01binary'
    assert raw(body=None) == b''


def test_to_dict_is_json_serialisable_with_documented_keys(app):
    @app.route('/introspect/{item}', methods=['GET', 'POST'])
    def introspect(item):
        return app.current_request.to_dict()

    response = invoke(app, '/introspect/{item}', path_params={'item': 'i1'},
                      query={'query1': 'value1', 'query2': ['a', 'value2']},
                      headers={'X-TestHeader': 'Foo', 'Accept': '*/*'},
                      stage_vars={'s': 'v'})
    assert response['statusCode'] == 200
    result = body_json(response)
    assert set(result) == {'context', 'headers', 'method', 'path', 'query_params',
                           'stage_vars', 'uri_params'}
    assert result['headers'] == {'x-testheader': 'Foo', 'accept': '*/*'}
    assert result['method'] == 'GET'
    assert result['path'] == '/introspect/{item}'
    assert result['query_params'] == {'query1': 'value1', 'query2': 'value2'}
    assert result['stage_vars'] == {'s': 'v'}
    assert result['uri_params'] == {'item': 'i1'}
    assert result['context']['resourcePath'] == '/introspect/{item}'


def test_to_dict_with_a_binary_body_is_json_serialisable(app):
    @app.route('/bin', methods=['POST'], content_types=['application/octet-stream'])
    def binary():
        as_dict = app.current_request.to_dict()
        json.dumps(as_dict)
        return {'keys': sorted(as_dict), 'raw': len(app.current_request.raw_body)}

    response = invoke(app, '/bin', 'POST',
                      headers={'Content-Type': 'application/octet-stream'},
                      body=b'\xff\xfe\x00')
    assert body_json(response) == {
        'keys': ['context', 'headers', 'method', 'path', 'query_params', 'stage_vars',
                 'uri_params'], 'raw': 3}


def test_to_original_event_returns_the_event(app):
    seen = []

    @app.route('/orig')
    def orig():
        seen.append(app.current_request.to_original_event())
        return {}

    event = rest_event('/orig', headers={'A': 'b'})
    app(event, FakeLambdaContext())
    assert seen[0] is event


# ---------------------------------------------------------------------------
# Return values
# ---------------------------------------------------------------------------

def test_dict_and_list_are_json(app):
    app.route('/dict')(named_view('d', {'hello': 'world', 'n': [1, 2.5, None, True]}))
    app.route('/list')(named_view('l', [1, 'two', {'three': 3}]))
    response = invoke(app, '/dict')
    assert response['statusCode'] == 200
    assert response['headers'] == {'Content-Type': 'application/json'}
    assert body_json(response) == {'hello': 'world', 'n': [1, 2.5, None, True]}
    response = invoke(app, '/list')
    assert response['headers'] == {'Content-Type': 'application/json'}
    assert body_json(response) == [1, 'two', {'three': 3}]


def test_none_is_null(app):
    app.route('/none')(named_view('none', None))
    response = invoke(app, '/none')
    assert response['statusCode'] == 200
    assert response['body'] == 'null'
    assert response['headers']['Content-Type'] == 'application/json'


def test_str_is_returned_as_is(app):
    app.route('/str')(named_view('s', 'Foo'))
    response = invoke(app, '/str')
    assert response['statusCode'] == 200
    assert response['body'] == 'Foo'
    assert response['headers']['Content-Type'] == 'application/json'


def test_non_string_scalars_are_json(app):
    app.route('/int')(named_view('i', 42))
    app.route('/bool')(named_view('b', True))
    assert invoke(app, '/int')['body'] == '42'
    assert invoke(app, '/bool')['body'] == 'true'


def test_response_with_custom_status_and_headers(app):
    @app.route('/')
    def index():
        return Response(body='hello world!', status_code=201,
                        headers={'Content-Type': 'text/plain', 'X-Custom': 'yes'})

    response = invoke(app, '/')
    assert response['statusCode'] == 201
    assert response['headers'] == {'Content-Type': 'text/plain', 'X-Custom': 'yes'}
    assert response['body'] == 'hello world!'
    assert response.get('isBase64Encoded', False) is False


def test_response_defaults():
    response = Response('x')
    assert response.status_code == 200
    assert response.headers == {}
    assert response.body == 'x'


def test_plain_text_error_response(app):
    @app.route('/badrequest')
    def badrequest():
        return Response(body='Plain text error message',
                        headers={'Content-Type': 'text/plain'}, status_code=400)

    response = invoke(app, '/badrequest')
    assert response['statusCode'] == 400
    assert response['body'] == 'Plain text error message'
    assert response['headers']['Content-Type'] == 'text/plain'


def test_list_valued_headers_become_multi_value_headers(app):
    @app.route('/cookies')
    def cookies():
        return Response(body='ok', headers={'Content-Type': 'text/plain',
                                            'Set-Cookie': ['a=1', 'b=2']})

    response = invoke(app, '/cookies')
    assert response['multiValueHeaders'] == {'Set-Cookie': ['a=1', 'b=2']}
    assert 'Set-Cookie' not in response['headers']
    assert response['headers']['Content-Type'] == 'text/plain'


def test_non_string_header_values_are_stringified(app):
    @app.route('/count')
    def count():
        return Response('x', headers={'Content-Type': 'text/plain', 'X-Count': 5,
                                      'X-Multi': [1, 'two']})

    response = invoke(app, '/count')
    assert response['headers']['X-Count'] == '5'
    assert response['multiValueHeaders'] == {'X-Multi': ['1', 'two']}


def test_response_with_dict_body_is_json(app):
    @app.route('/created', methods=['POST'])
    def created():
        return Response(body={'id': 7, 'tags': ['a']}, status_code=201,
                        headers={'Location': '/items/7'})

    response = invoke(app, '/created', 'POST')
    assert response['statusCode'] == 201
    assert response['headers']['Content-Type'] == 'application/json'
    assert response['headers']['Location'] == '/items/7'
    assert body_json(response) == {'id': 7, 'tags': ['a']}


def test_response_with_none_body_is_null(app):
    @app.route('/nobody')
    def nobody():
        return Response(body=None, status_code=204)

    response = invoke(app, '/nobody')
    assert response['statusCode'] == 204
    assert response['body'] == 'null'


@pytest.fixture
def png_app(app):
    @app.route('/image')
    def image():
        return Response(body=b'\x89PNG\r\n\x1a\n\x00\xff',
                        headers={'Content-Type': 'image/png'})

    return app


@pytest.mark.parametrize('accept', [
    'image/png', 'IMAGE/PNG', 'text/html, image/png;q=0.9', 'image/png; q=1',
])
def test_binary_response_is_base64_when_accept_matches(png_app, accept):
    response = invoke(png_app, '/image', headers={'Accept': accept})
    assert response['statusCode'] == 200
    assert response['isBase64Encoded'] is True
    assert response['headers']['Content-Type'] == 'image/png'
    assert base64.b64decode(response['body']) == b'\x89PNG\r\n\x1a\n\x00\xff'


def binary_accept_error(content_type):
    return ('Request did not specify an Accept header with %s, The response has a '
            'Content-Type of %s. If a response has a binary Content-Type then the request '
            'must specify an Accept header that matches.' % (content_type, content_type))


@pytest.mark.parametrize('headers', [None, {'Accept': 'application/json'},
                                     {'Accept': 'text/html, application/xml;q=0.9'}])
def test_binary_response_without_matching_accept_is_400(png_app, headers):
    response = invoke(png_app, '/image', headers=headers)
    assert_error(response, 400, 'BadRequest', binary_accept_error('image/png'))
    assert response.get('isBase64Encoded', False) is False


def test_docs_binary_echo_example(app):
    @app.route('/bin-echo', methods=['POST'], content_types=['application/octet-stream'])
    def bin_echo():
        raw_request_body = app.current_request.raw_body
        return Response(body=raw_request_body, status_code=200,
                        headers={'Content-Type': 'application/octet-stream'})

    headers = {'Content-Type': 'application/octet-stream',
               'Accept': 'application/octet-stream'}
    response = invoke(app, '/bin-echo', 'POST', headers=headers, body=b'\xfe\xed')
    assert response['isBase64Encoded'] is True
    assert base64.b64decode(response['body']) == b'\xfe\xed'

    response = invoke(app, '/bin-echo', 'POST',
                      headers={'Content-Type': 'application/octet-stream'},
                      body=b'\xfe\xed')
    assert_error(response, 400, 'BadRequest',
                 binary_accept_error('application/octet-stream'))


def test_gzip_example_from_the_docs(app):
    app.api.binary_types.append('application/json')

    @app.route('/')
    def index():
        blob = json.dumps({'hello': 'world'}).encode('utf-8')
        payload = gzip.compress(blob)
        custom_headers = {'Content-Type': 'application/json', 'Content-Encoding': 'gzip'}
        return Response(body=payload, status_code=200, headers=custom_headers)

    response = invoke(app, '/', headers={'Accept': 'application/json'})
    assert response['statusCode'] == 200
    assert response['headers'] == {'Content-Type': 'application/json',
                                   'Content-Encoding': 'gzip'}
    assert response['isBase64Encoded'] is True
    assert json.loads(gzip.decompress(base64.b64decode(response['body']))) == {
        'hello': 'world'}


def test_dict_return_when_json_is_binary_is_base64(app):
    app.api.binary_types.append('application/json')
    app.route('/d')(named_view('d', {'a': 1}))
    response = invoke(app, '/d', headers={'Accept': 'application/json'})
    assert response['isBase64Encoded'] is True
    assert json.loads(base64.b64decode(response['body'])) == {'a': 1}
    response = invoke(app, '/d')
    assert_error(response, 400, 'BadRequest', binary_accept_error('application/json'))


def test_decimal_in_a_dict_serialises(app):
    app.route('/dec')(named_view('dec', {
        'price': decimal.Decimal('1.5'), 'count': decimal.Decimal('10'),
        'nested': [decimal.Decimal('0.25')]}))
    response = invoke(app, '/dec')
    assert response['statusCode'] == 200
    assert body_json(response) == {'price': 1.5, 'count': 10, 'nested': [0.25]}
    assert '"count":10' in response['body']


def test_unserialisable_response_body_is_a_500(app):
    app.route('/set')(named_view('s', {1, 2}))
    response = invoke(app, '/set')
    assert response['statusCode'] == 500
    assert body_json(response) == INTERNAL_ERROR


def test_unserialisable_dict_return_value_is_a_500(app):
    app.route('/obj')(named_view('obj', {'x': object()}))
    response = invoke(app, '/obj')
    assert response['statusCode'] == 500
    assert body_json(response) == INTERNAL_ERROR


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('error_class, status', [
    (BadRequestError, 400),
    (UnauthorizedError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (MethodNotAllowedError, 405),
    (RequestTimeoutError, 408),
    (ConflictError, 409),
    (UnprocessableEntityError, 422),
    (TooManyRequestsError, 429),
    (ChaliceViewError, 500),
])
def test_chalice_view_errors_map_to_status_and_json_body(app, error_class, status):
    @app.route('/err')
    def err():
        raise error_class('something about %s' % error_class.__name__)

    response = invoke(app, '/err')
    assert_error(response, status, error_class.__name__,
                 'something about %s' % error_class.__name__)
    assert error_class.STATUS_CODE == status


def test_docs_bad_request_example(app):
    cities = {'seattle': 'WA', 'portland': 'OR'}

    @app.route('/cities/{city}')
    def state_of_city(city):
        try:
            return {'state': cities[city]}
        except KeyError:
            raise BadRequestError("Unknown city '%s', valid choices are: %s" % (
                city, ', '.join(cities.keys()))) from None

    response = invoke(app, '/cities/{city}', path_params={'city': 'seattle'})
    assert body_json(response) == {'state': 'WA'}
    response = invoke(app, '/cities/{city}', path_params={'city': 'vancouver'})
    assert_error(response, 400, 'BadRequestError',
                 "Unknown city 'vancouver', valid choices are: seattle, portland")


def test_unhandled_exception_is_a_generic_500_and_is_logged(capsys):
    name = unique_name('unhandled')
    app = Chalice(name)

    @app.route('/boom')
    def boom():
        raise ValueError('secret detail')

    response = invoke(app, '/boom')
    assert response['statusCode'] == 500
    assert response['headers'] == {'Content-Type': 'application/json'}
    assert body_json(response) == INTERNAL_ERROR
    assert 'secret detail' not in response['body']
    out = capsys.readouterr().out
    assert '%s - ERROR - ' % name in out
    assert 'ValueError: secret detail' in out


def test_debug_returns_the_traceback_as_text(app):
    app.debug = True

    @app.route('/boom')
    def boom():
        return helper()

    def helper():
        raise ValueError('Hello, error!')

    response = invoke(app, '/boom')
    assert response['statusCode'] == 500
    assert response['headers'] == {'Content-Type': 'text/plain'}
    assert response['body'].startswith('Traceback (most recent call last):')
    assert 'in helper' in response['body']
    assert response['body'].rstrip().endswith('ValueError: Hello, error!')


def test_debug_does_not_change_chalice_view_errors(app):
    app.debug = True

    @app.route('/nf')
    def nf():
        raise NotFoundError('nope')

    assert_error(invoke(app, '/nf'), 404, 'NotFoundError', 'nope')


def test_chalice_unhandled_error_propagates(app):
    @app.route('/unhandled')
    def unhandled():
        raise ChaliceUnhandledError('let it fail')

    with pytest.raises(ChaliceUnhandledError, match='let it fail'):
        app(rest_event('/unhandled'), FakeLambdaContext())
    assert app.current_request is None


def test_chalice_unhandled_error_propagates_in_debug_mode(app):
    app.debug = True

    @app.route('/unhandled')
    def unhandled():
        raise ChaliceUnhandledError('still fails')

    with pytest.raises(ChaliceUnhandledError):
        app(rest_event('/unhandled'), FakeLambdaContext())


def test_unsupported_content_type_is_415(app):
    called = []

    @app.route('/', methods=['POST'])
    def index():
        called.append(True)
        return {}

    response = invoke(app, '/', 'POST', headers={'Content-Type': 'text/plain'}, body='hi')
    assert_error(response, 415, 'UnsupportedMediaType', 'Unsupported media type: text/plain')
    response = invoke(app, '/', 'POST',
                      headers={'Content-Type': 'text/plain; charset=utf-8'}, body='hi')
    assert_error(response, 415, 'UnsupportedMediaType', 'Unsupported media type: text/plain')
    assert called == []


def test_content_type_parameters_and_case_are_ignored(app):
    @app.route('/form', methods=['POST'], content_types=['application/x-www-form-urlencoded'])
    def form():
        return {'raw': app.current_request.raw_body.decode('utf-8')}

    for content_type in ('application/x-www-form-urlencoded; charset=utf-8',
                         'Application/X-WWW-Form-Urlencoded'):
        response = invoke(app, '/form', 'POST', headers={'Content-Type': content_type},
                          body='states=WA&states=CA')
        assert body_json(response) == {'raw': 'states=WA&states=CA'}
    response = invoke(app, '/form', 'POST', headers={'Content-Type': 'application/json'},
                      body='{}')
    assert_error(response, 415, 'UnsupportedMediaType',
                 'Unsupported media type: application/json')


def test_get_without_body_or_content_type_is_not_rejected(app):
    @app.route('/plain', content_types=['text/plain'])
    def plain():
        return {'ok': True}

    response = invoke(app, '/plain')
    assert response['statusCode'] == 200
    assert body_json(response) == {'ok': True}


def test_body_without_content_type_counts_as_json(app):
    app.route('/json', methods=['POST'])(named_view('json_view', {'ok': 1}))
    app.route('/text', methods=['POST'], content_types=['text/plain'])(
        named_view('text_view', {'ok': 2}))
    assert body_json(invoke(app, '/json', 'POST', body='{}')) == {'ok': 1}
    response = invoke(app, '/text', 'POST', body='hello')
    assert_error(response, 415, 'UnsupportedMediaType',
                 'Unsupported media type: application/json')


def test_wildcard_content_type_accepts_anything(app):
    @app.route('/any', methods=['POST'], content_types=['*/*'])
    def anything():
        return {'ct': app.current_request.headers.get('content-type')}

    response = invoke(app, '/any', 'POST', headers={'Content-Type': 'x-weird/thing'},
                      body='zz')
    assert body_json(response) == {'ct': 'x-weird/thing'}


# ---------------------------------------------------------------------------
# CORS
# ---------------------------------------------------------------------------

def test_cors_true_adds_headers_to_success(app):
    @app.route('/supports-cors', methods=['PUT'], cors=True)
    def supports_cors():
        return {}

    response = invoke(app, '/supports-cors', 'PUT')
    assert response['statusCode'] == 200
    assert response['headers'] == dict(CORS_STAR, **{'Content-Type': 'application/json'})
    assert app.routes['/supports-cors']['PUT'].cors == CORSConfig()


def test_cors_preflight_lists_the_methods(app):
    @app.route('/supports-cors', methods=['PUT'], cors=True)
    def supports_cors():
        return {}

    response = invoke(app, '/supports-cors', 'OPTIONS')
    assert response['statusCode'] == 200
    assert response['headers'] == dict(CORS_STAR, **{
        'Access-Control-Allow-Methods': 'PUT,OPTIONS'})
    assert response['body'] is None


def test_cors_preflight_covers_every_view_of_the_path(app):
    app.route('/multi', methods=['GET'], cors=True)(named_view('multi_get'))
    app.route('/multi', methods=['POST', 'DELETE'], cors=True)(named_view('multi_post'))
    response = invoke(app, '/multi', 'OPTIONS')
    assert response['statusCode'] == 200
    assert response['headers']['Access-Control-Allow-Methods'] == 'GET,POST,DELETE,OPTIONS'


@pytest.fixture
def cors_app(app):
    @app.route('/cors', methods=['GET', 'POST'], cors=True)
    def cors_view():
        request = app.current_request
        kind = request.query_params['kind'] if request.query_params else 'ok'
        if kind == 'bad':
            raise BadRequestError('bad')
        if kind == 'boom':
            raise RuntimeError('boom')
        if kind == 'png':
            return Response(b'\x00', headers={'Content-Type': 'image/png'})
        return {'ok': True}

    return app


@pytest.mark.parametrize('kwargs, status', [
    ({'query': {'kind': 'bad'}}, 400),
    ({'query': {'kind': 'boom'}}, 500),
    ({'query': {'kind': 'png'}}, 400),
    ({'method': 'POST', 'headers': {'Content-Type': 'text/plain'}, 'body': 'x'}, 415),
    ({'method': 'DELETE'}, 405),
])
def test_cors_headers_on_error_responses(cors_app, kwargs, status):
    response = invoke(cors_app, '/cors', **kwargs)
    assert response['statusCode'] == status
    for name, value in CORS_STAR.items():
        assert response['headers'][name] == value
    assert response['headers']['Content-Type'] == 'application/json'
    assert set(body_json(response)) == {'Code', 'Message'}


def test_cors_headers_on_debug_traceback(cors_app):
    cors_app.debug = True
    response = invoke(cors_app, '/cors', query={'kind': 'boom'})
    assert response['statusCode'] == 500
    assert response['headers'] == dict(CORS_STAR, **{'Content-Type': 'text/plain'})
    assert 'RuntimeError: boom' in response['body']


def test_cors_405_allow_includes_options(cors_app):
    response = invoke(cors_app, '/cors', 'PUT')
    assert response['headers']['Allow'] == 'GET,POST,OPTIONS'


def test_cors_config_options(app):
    cors_config = CORSConfig(
        allow_origin='https://foo.example.com',
        allow_headers=['X-Special-Header'],
        max_age=600,
        expose_headers=['X-Special-Header', 'X-Other'],
        allow_credentials=True,
    )

    @app.route('/custom-cors', methods=['GET'], cors=cors_config)
    def supports_custom_cors():
        return {'cors': True}

    expected = {
        'Access-Control-Allow-Origin': 'https://foo.example.com',
        'Access-Control-Expose-Headers': 'X-Special-Header,X-Other',
        'Access-Control-Max-Age': '600',
        'Access-Control-Allow-Credentials': 'true',
    }
    for method in ('GET', 'OPTIONS'):
        response = invoke(app, '/custom-cors', method)
        assert response['statusCode'] == 200
        headers = response['headers']
        for name, value in expected.items():
            assert headers[name] == value
        allow = headers['Access-Control-Allow-Headers'].split(',')
        assert allow[:5] == DEFAULT_ALLOW_HEADERS.split(',')
        assert set(allow) == set(DEFAULT_ALLOW_HEADERS.split(',')) | {'X-Special-Header'}
        assert len(allow) == 6
    preflight = invoke(app, '/custom-cors', 'OPTIONS')
    assert preflight['headers']['Access-Control-Allow-Methods'] == 'GET,OPTIONS'
    assert body_json(invoke(app, '/custom-cors')) == {'cors': True}


def test_cors_config_defaults_and_attributes():
    config = CORSConfig()
    assert config.allow_origin == '*'
    assert config.allow_headers == DEFAULT_ALLOW_HEADERS
    assert config.expose_headers == []
    assert config.max_age is None
    assert config.allow_credentials is None
    assert config.get_access_control_headers() == CORS_STAR
    assert CORSConfig(allow_credentials=False).get_access_control_headers() == CORS_STAR
    assert CORSConfig(max_age=5) == CORSConfig(max_age=5)
    assert CORSConfig(max_age=5) != CORSConfig(max_age=6)
    assert CORSConfig(allow_headers=['content-type']).allow_headers == DEFAULT_ALLOW_HEADERS


def test_global_cors_true_applies_to_routes_without_cors(app):
    app.api.cors = True
    app.route('/g', methods=['GET', 'PUT'])(named_view('g', {'g': 1}))
    response = invoke(app, '/g')
    assert response['headers'] == dict(CORS_STAR, **{'Content-Type': 'application/json'})
    preflight = invoke(app, '/g', 'OPTIONS')
    assert preflight['statusCode'] == 200
    assert preflight['headers']['Access-Control-Allow-Methods'] == 'GET,PUT,OPTIONS'
    assert app.routes['/g']['GET'].cors == CORSConfig()


def test_global_cors_config_is_used(app):
    app.api.cors = CORSConfig(allow_origin='https://a.example.com', max_age=60)
    app.route('/g')(named_view('g', {'g': 1}))
    headers = invoke(app, '/g')['headers']
    assert headers['Access-Control-Allow-Origin'] == 'https://a.example.com'
    assert headers['Access-Control-Max-Age'] == '60'


def test_route_cors_overrides_the_global_setting(app):
    app.api.cors = True
    app.route('/off', cors=False)(named_view('off', {'off': 1}))
    app.route('/own', cors=CORSConfig(allow_origin='https://own.example.com'))(
        named_view('own', {}))
    response = invoke(app, '/off')
    assert response['headers'] == {'Content-Type': 'application/json'}
    assert app.routes['/off']['GET'].cors is None
    response = invoke(app, '/off', 'OPTIONS')
    assert_error(response, 405, 'MethodNotAllowedError', 'Unsupported method: OPTIONS')
    headers = invoke(app, '/own')['headers']
    assert headers['Access-Control-Allow-Origin'] == 'https://own.example.com'


def test_no_cors_headers_by_default(app):
    app.route('/plain')(named_view('plain', {}))
    assert invoke(app, '/plain')['headers'] == {'Content-Type': 'application/json'}
    response = invoke(app, '/plain', 'OPTIONS')
    assert response['statusCode'] == 405
    assert 'Access-Control-Allow-Origin' not in response['headers']


def test_view_may_set_its_own_cors_header(app):
    @app.route('/mine', cors=True)
    def mine():
        return Response('x', headers={'Access-Control-Allow-Origin': 'https://me.example.com'})

    response = invoke(app, '/mine')
    assert response['headers']['Access-Control-Allow-Origin'] == 'https://me.example.com'
    assert response['headers']['Access-Control-Allow-Headers'] == DEFAULT_ALLOW_HEADERS


def test_user_defined_options_view_is_called_normally(app):
    allowed_origins = {'http://allowed1.example.com', 'http://allowed2.example.com'}

    @app.route('/cors_multiple_origins', methods=['GET', 'OPTIONS'])
    def supports_cors_multiple_origins():
        method = app.current_request.method
        if method == 'OPTIONS':
            headers = {
                'Access-Control-Allow-Method': 'GET,OPTIONS',
                'Access-Control-Allow-Origin': ','.join(sorted(allowed_origins)),
                'Access-Control-Allow-Headers': 'X-Some-Header',
            }
            origin = app.current_request.headers.get('origin', '')
            if origin in allowed_origins:
                headers.update({'Access-Control-Allow-Origin': origin})
            return Response(body=None, headers=headers)
        elif method == 'GET':
            return 'Foo'

    response = invoke(app, '/cors_multiple_origins', 'OPTIONS',
                      headers={'Origin': 'http://allowed2.example.com'})
    assert response['statusCode'] == 200
    assert response['headers']['Access-Control-Allow-Origin'] == 'http://allowed2.example.com'
    assert response['headers']['Access-Control-Allow-Method'] == 'GET,OPTIONS'
    assert response['headers']['Access-Control-Allow-Headers'] == 'X-Some-Header'
    response = invoke(app, '/cors_multiple_origins', 'OPTIONS',
                      headers={'Origin': 'http://evil.example.com'})
    assert response['headers']['Access-Control-Allow-Origin'] == (
        'http://allowed1.example.com,http://allowed2.example.com')
    response = invoke(app, '/cors_multiple_origins', 'GET')
    assert response['body'] == 'Foo'


# ---------------------------------------------------------------------------
# binary_types
# ---------------------------------------------------------------------------

def test_default_binary_types(app):
    assert app.api.binary_types == DEFAULT_BINARY_TYPES
    assert app.api.default_binary_types == DEFAULT_BINARY_TYPES
    assert len(app.api.default_binary_types) == 16
    app.api.default_binary_types.append('mutate/me')
    assert app.api.default_binary_types == DEFAULT_BINARY_TYPES


def test_binary_types_is_per_app(app):
    other = Chalice(unique_name())
    app.api.binary_types.append('application/my-binary-data')
    assert 'application/my-binary-data' not in other.api.binary_types
    assert 'application/my-binary-data' not in app.api.default_binary_types


def test_appended_binary_type_makes_responses_binary(app):
    app.api.binary_types.append('application/my-binary-data')

    @app.route('/data')
    def data():
        return Response(b'\x01\x02', headers={'Content-Type': 'application/my-binary-data'})

    response = invoke(app, '/data', headers={'Accept': 'application/my-binary-data'})
    assert response['isBase64Encoded'] is True
    assert base64.b64decode(response['body']) == b'\x01\x02'


def test_reassigned_binary_types(app):
    app.api.binary_types = ['application/octet-stream', 'application/my-binary-data']
    assert app.api.binary_types == ['application/octet-stream', 'application/my-binary-data']

    @app.route('/png')
    def png():
        return Response('not binary any more', headers={'Content-Type': 'image/png'})

    response = invoke(app, '/png')
    assert response['statusCode'] == 200
    assert response['body'] == 'not binary any more'
    assert response.get('isBase64Encoded', False) is False


def test_binary_request_body_is_delivered_as_bytes(app):
    payload = bytes(range(256))

    @app.route('/upload', methods=['POST'], content_types=['application/octet-stream'])
    def upload():
        raw = app.current_request.raw_body
        return {'type': type(raw).__name__, 'len': len(raw),
                'same': raw == payload, 'json': app.current_request.json_body}

    response = invoke(app, '/upload', 'POST',
                      headers={'Content-Type': 'application/octet-stream'}, body=payload)
    assert body_json(response) == {'type': 'bytes', 'len': 256, 'same': True, 'json': None}


# ---------------------------------------------------------------------------
# HTTP middleware
# ---------------------------------------------------------------------------

def test_http_middleware_gets_a_request_and_can_modify_the_response(app):
    seen = []

    @app.middleware('http')
    def add_header(event, get_response):
        seen.append((type(event), event.path, app.current_request is event))
        response = get_response(event)
        seen.append(type(response))
        response.headers['X-Middleware'] = 'yes'
        response.status_code = 202
        return response

    app.route('/m')(named_view('m', {'view': True}))
    response = invoke(app, '/m')
    assert response['statusCode'] == 202
    assert response['headers']['X-Middleware'] == 'yes'
    assert response['headers']['Content-Type'] == 'application/json'
    assert body_json(response) == {'view': True}
    assert seen == [(Request, '/m', True), Response]


def test_middleware_decorator_returns_the_function(app):
    def mw(event, get_response):
        return get_response(event)

    assert app.middleware('http')(mw) is mw


def test_middleware_runs_in_registration_order(app):
    order = []

    def make(name):
        def mw(event, get_response):
            order.append('%s-in' % name)
            response = get_response(event)
            order.append('%s-out' % name)
            return response
        return mw

    app.register_middleware(make('first'), 'http')
    app.middleware('all')(make('second'))
    app.register_middleware(make('third'))

    @app.route('/o')
    def o():
        order.append('view')
        return {}

    invoke(app, '/o')
    assert order == ['first-in', 'second-in', 'third-in', 'view',
                     'third-out', 'second-out', 'first-out']


def test_middleware_can_short_circuit(app):
    called = []

    @app.middleware('http')
    def deny(event, get_response):
        if event.headers.get('x-deny'):
            return Response({'denied': True}, status_code=403)
        return get_response(event)

    @app.route('/s')
    def s():
        called.append(True)
        return {'ok': True}

    response = invoke(app, '/s', headers={'X-Deny': '1'})
    assert response['statusCode'] == 403
    assert body_json(response) == {'denied': True}
    assert called == []
    assert body_json(invoke(app, '/s')) == {'ok': True}
    assert called == [True]


def test_view_error_reaches_middleware_as_a_response(app):
    seen = []

    @app.middleware('http')
    def watch(event, get_response):
        response = get_response(event)
        seen.append((response.status_code, response.body))
        return response

    @app.route('/nf')
    def nf():
        raise NotFoundError('missing thing')

    response = invoke(app, '/nf')
    assert_error(response, 404, 'NotFoundError', 'missing thing')
    assert seen == [(404, {'Code': 'NotFoundError', 'Message': 'missing thing'})]


def test_chalice_view_error_in_middleware_becomes_its_response(app):
    @app.middleware('http')
    def auth(event, get_response):
        raise UnauthorizedError('no token')

    app.route('/u', cors=True)(named_view('u', {}))
    response = invoke(app, '/u')
    assert_error(response, 401, 'UnauthorizedError', 'no token')
    assert response['headers']['Access-Control-Allow-Origin'] == '*'


def test_unhandled_error_in_middleware_is_a_500(app):
    @app.middleware('http')
    def broken(event, get_response):
        raise RuntimeError('middleware bug')

    app.route('/b')(named_view('b', {}))
    response = invoke(app, '/b')
    assert response['statusCode'] == 500
    assert body_json(response) == INTERNAL_ERROR


def test_unhandled_view_error_under_middleware_honours_debug(app):
    app.debug = True
    app.register_middleware(lambda event, get_response: get_response(event), 'http')

    @app.route('/boom')
    def boom():
        raise KeyError('vancouver')

    response = invoke(app, '/boom')
    assert response['statusCode'] == 500
    assert response['headers']['Content-Type'] == 'text/plain'
    assert "KeyError: 'vancouver'" in response['body']


def test_middleware_for_other_event_types_is_not_run_for_http(app):
    calls = []

    @app.middleware('s3')
    def s3_only(event, get_response):
        calls.append('s3')
        return get_response(event)

    @app.middleware('websocket')
    def ws_only(event, get_response):
        calls.append('ws')
        return get_response(event)

    app.route('/x')(named_view('x', {'x': 1}))
    assert body_json(invoke(app, '/x')) == {'x': 1}
    assert calls == []


def test_middleware_registered_after_a_request_is_used(app):
    app.route('/late')(named_view('late', {}))
    assert 'X-Late' not in invoke(app, '/late')['headers']

    @app.middleware('http')
    def late(event, get_response):
        response = get_response(event)
        response.headers['X-Late'] = '1'
        return response

    assert invoke(app, '/late')['headers']['X-Late'] == '1'


def test_unknown_middleware_type_is_rejected_at_decoration_time(app):
    with pytest.raises(ValueError, match='bogus'):
        app.middleware('bogus')
    with pytest.raises(ValueError):
        app.register_middleware(lambda e, g: g(e), 'HTTP')


def test_convert_to_middleware_wraps_a_plain_lambda_decorator(app):
    calls = []

    def lambda_decorator(handler):
        def wrapped(event, context):
            calls.append((event['path'], event['httpMethod'], context.function_name))
            response = handler(event, context)
            response.headers['X-Wrapped'] = 'yes'
            return response
        return wrapped

    app.register_middleware(ConvertToMiddleware(lambda_decorator), 'http')
    app.route('/w')(named_view('w', {'w': 1}))
    response = invoke(app, '/w', context=FakeLambdaContext(function_name='fn'))
    assert response['headers']['X-Wrapped'] == 'yes'
    assert body_json(response) == {'w': 1}
    assert calls == [('/w', 'GET', 'fn')]


def test_convert_to_middleware_decorator_can_short_circuit(app):
    def reject_all(handler):
        def wrapped(event, context):
            return Response('rejected', status_code=418,
                            headers={'Content-Type': 'text/plain'})
        return wrapped

    app.register_middleware(ConvertToMiddleware(reject_all), 'all')
    app.route('/r')(named_view('r', {}))
    response = invoke(app, '/r')
    assert (response['statusCode'], response['body']) == (418, 'rejected')


# ---------------------------------------------------------------------------
# Blueprints with routes
# ---------------------------------------------------------------------------

def test_blueprint_routes_with_url_prefix(app):
    bp = Blueprint(__name__)

    @bp.route('/')
    def bp_index():
        return {'bp': 'index'}

    @bp.route('/items/{item_id}', methods=['GET', 'PUT'])
    def bp_item(item_id):
        return {'item': item_id, 'method': bp.current_request.method}

    app.register_blueprint(bp, url_prefix='/v1')
    assert sorted(app.routes) == ['/v1', '/v1/items/{item_id}']
    assert body_json(invoke(app, '/v1')) == {'bp': 'index'}
    response = invoke(app, '/v1/items/{item_id}', 'PUT', path_params={'item_id': '9'})
    assert body_json(response) == {'item': '9', 'method': 'PUT'}


def test_blueprint_routes_without_prefix(app):
    bp = Blueprint(__name__)
    bp.route('/plain')(named_view('plain', {'p': 1}))
    app.register_blueprint(bp)
    assert body_json(invoke(app, '/plain')) == {'p': 1}


def test_blueprint_name_prefix_does_not_affect_routes(app):
    bp = Blueprint('chalicelib.blueprints')

    @bp.route('/named')
    def named():
        return {}

    app.register_blueprint(bp, name_prefix='prefix_')
    entry = app.routes['/named']['GET']
    assert entry.view_name == 'named'
    assert entry.view_function is named
    assert set(app.handler_map) == {'api_handler'}
    assert app.handler_map['api_handler'] is app


def test_blueprint_proxies_to_the_app(capsys):
    name = unique_name('bp')
    app = Chalice(name)
    bp = Blueprint(__name__)

    @bp.route('/info')
    def info():
        bp.log.error('from the blueprint')
        return {
            'path': bp.current_request.path,
            'app': bp.current_app.app_name,
            'same_request': bp.current_request is app.current_request,
            'context': bp.lambda_context.function_name,
        }

    app.register_blueprint(bp)
    assert bp.current_app is app
    assert bp.log is app.log
    response = invoke(app, '/info', context=FakeLambdaContext(function_name='bp-fn'))
    assert body_json(response) == {'path': '/info', 'app': name, 'same_request': True,
                                   'context': 'bp-fn'}
    assert capsys.readouterr().out == '%s - ERROR - from the blueprint\n' % name
    assert bp.current_request is None


@pytest.mark.parametrize('attribute', ['current_request', 'current_app', 'log',
                                       'lambda_context'])
def test_blueprint_proxies_before_registration_raise(attribute):
    bp = Blueprint(__name__)
    with pytest.raises(RuntimeError):
        getattr(bp, attribute)


def test_blueprint_route_validation_happens_at_registration(app):
    bp = Blueprint(__name__)
    bp.route('/clash', methods=['GET'])(named_view('bp_clash'))
    app.route('/clash', methods=['GET'])(named_view('app_clash'))
    with pytest.raises(ValueError, match='bp_clash'):
        app.register_blueprint(bp)


def test_blueprint_middleware_applies_to_app_routes(app):
    bp = Blueprint(__name__)

    @bp.middleware('http')
    def tag(event, get_response):
        response = get_response(event)
        response.headers['X-From-Blueprint'] = '1'
        return response

    app.route('/a')(named_view('a', {}))
    app.register_blueprint(bp)
    assert invoke(app, '/a')['headers']['X-From-Blueprint'] == '1'


def test_blueprint_root_url_prefix(app):
    bp = Blueprint(__name__)
    bp.route('/')(named_view('root', {'root': True}))
    bp.route('/child')(named_view('child', {'child': True}))
    app.register_blueprint(bp, url_prefix='/')
    assert sorted(app.routes) == ['/', '/child']


# -- app.api settings changed after the app has served requests

def test_global_cors_set_after_first_request_applies():
    app = Chalice(app_name='late')

    @app.route('/x')
    def x():
        return {'a': 1}

    assert 'Access-Control-Allow-Origin' not in app(rest_event('/x'), None)['headers']
    app.api.cors = True
    headers = app(rest_event('/x'), None)['headers']
    assert headers['Access-Control-Allow-Origin'] == '*'
    preflight = app(rest_event('/x', method='OPTIONS'), None)
    assert preflight['statusCode'] == 200
    assert preflight['headers']['Access-Control-Allow-Methods'] == 'GET,OPTIONS'


def test_binary_types_changed_in_place_after_first_request_apply():
    app = Chalice(app_name='late')

    @app.route('/x')
    def x():
        return Response(b'PNGDATA', headers={'Content-Type': 'application/x-custom'})

    accept = {'Accept': 'application/x-custom'}
    first = app(rest_event('/x', headers=accept), None)
    assert not first.get('isBase64Encoded')
    app.api.binary_types.append('application/x-custom')
    second = app(rest_event('/x', headers=accept), None)
    assert second['isBase64Encoded'] is True
    assert base64.b64decode(second['body']) == b'PNGDATA'
    app.api.binary_types.remove('application/x-custom')
    assert not app(rest_event('/x', headers=accept), None).get('isBase64Encoded')


CUSTOM_BINARY = 'application/x-custom'


def _custom_binary_app():
    app = Chalice(app_name='late')

    @app.route('/x')
    def x():
        return Response(b'PNGDATA', headers={'Content-Type': CUSTOM_BINARY})

    return app


def _is_binary(app):
    response = app(rest_event('/x', headers={'Accept': CUSTOM_BINARY}), None)
    assert response['statusCode'] == 200
    return response.get('isBase64Encoded', False)


def _insert(types):
    types.insert(0, CUSTOM_BINARY)


def _assign_item(types):
    types[0] = CUSTOM_BINARY


def _assign_slice(types):
    types[1:1] = [CUSTOM_BINARY]


def _extend(types):
    types.extend([CUSTOM_BINARY])


@pytest.mark.parametrize('change', [_insert, _assign_item, _assign_slice, _extend])
def test_binary_type_added_in_place_after_first_request_applies(change):
    app = _custom_binary_app()
    assert _is_binary(app) is False
    change(app.api.binary_types)
    assert CUSTOM_BINARY in app.api.binary_types
    assert _is_binary(app) is True


def _clear(types):
    types.clear()


def _pop_last(types):
    assert types.pop() == CUSTOM_BINARY


def _pop_at_index(types):
    assert types.pop(types.index(CUSTOM_BINARY)) == CUSTOM_BINARY


def _overwrite_item(types):
    types[types.index(CUSTOM_BINARY)] = 'application/x-something-else'


def _delete_item(types):
    del types[types.index(CUSTOM_BINARY)]


@pytest.mark.parametrize('change', [_clear, _pop_last, _pop_at_index, _overwrite_item,
                                    _delete_item])
def test_binary_type_removed_in_place_after_first_request_applies(change):
    app = _custom_binary_app()
    app.api.binary_types.append(CUSTOM_BINARY)
    assert _is_binary(app) is True
    change(app.api.binary_types)
    assert CUSTOM_BINARY not in app.api.binary_types
    assert _is_binary(app) is False


def test_binary_types_reassigned_after_first_request_apply():
    app = Chalice(app_name='late')

    @app.route('/x')
    def x():
        return {'a': 1}

    assert app(rest_event('/x'), None)['body'] == '{"a":1}'
    app.api.binary_types = ['application/json']
    # JSON is now binary: the Accept header must ask for it.
    assert app(rest_event('/x'), None)['statusCode'] == 400
    ok = app(rest_event('/x', headers={'Accept': 'application/json'}), None)
    assert ok['isBase64Encoded'] is True
    assert isinstance(app.api.binary_types, list)
