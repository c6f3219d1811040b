"""Drop-in behaviour of the HTTP runtime (issue 7, items 1-3).

Each behaviour is checked twice: with the event handed to ``app(event,
context)`` as Lambda does, and through ``chalice.test.Client`` (its HTTP
side, or ``lambda_.invoke('api_handler', event)`` for hand-made events).
"""
import base64
import json
import logging
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalice import Chalice, MultiDict, Response
from chalice.test import Client
from tests.unit.events import FakeLambdaContext, rest_event

INTERNAL_ERROR = {'Code': 'InternalServerError',
                  'Message': 'An internal server error occurred.'}
PNG = b'\x89PNG\r\n\x1a\n\x00\xff'


def quiet_app(name='dropin'):
    app = Chalice(name)
    app.log.setLevel(100)  # the 500 tests would print tracebacks otherwise
    return app


def introspect_app():
    app = quiet_app()

    @app.route('/users/{user_id}', methods=['GET', 'POST'])
    def user(user_id):
        request = app.current_request
        return {
            'user_id': user_id,
            'method': request.method,
            'uri_params': request.uri_params,
            'query_params': None if request.query_params is None
            else dict(request.query_params),
            'headers': dict(request.headers),
            'json_body': request.json_body,
            'raw_body': request.raw_body.decode('utf-8'),
            'context': request.context,
            'stage_vars': request.stage_vars,
            'path': request.path,
            'to_dict': request.to_dict(),
        }

    return app


@pytest.fixture
def client(tmp_path):
    def make(app):
        return Client(app, project_dir=str(tmp_path))
    return make


def minimal_event(resource='/users/{user_id}', method='GET', **extra):
    event = {'requestContext': {'resourcePath': resource, 'httpMethod': method}}
    event.update(extra)
    return event


# ---------------------------------------------------------------------------
# 1. Events the runtime must accept
# ---------------------------------------------------------------------------

def test_a_minimal_rest_event_routes_and_fills_current_request():
    app = introspect_app()
    response = app(minimal_event(), FakeLambdaContext())
    assert response['statusCode'] == 200
    assert json.loads(response['body']) == {
        'user_id': None, 'method': 'GET', 'uri_params': None, 'query_params': None,
        'headers': {}, 'json_body': None, 'raw_body': '',
        'context': {'resourcePath': '/users/{user_id}', 'httpMethod': 'GET'},
        'stage_vars': None, 'path': '/users/{user_id}',
        'to_dict': {'query_params': None, 'headers': {}, 'uri_params': None,
                    'method': 'GET',
                    'context': {'resourcePath': '/users/{user_id}', 'httpMethod': 'GET'},
                    'stage_vars': None, 'path': '/users/{user_id}'},
    }


OPTIONAL_FIELDS = ['headers', 'pathParameters', 'multiValueQueryStringParameters',
                   'queryStringParameters', 'stageVariables', 'body', 'path', 'httpMethod',
                   'resource', 'multiValueHeaders', 'isBase64Encoded']


@pytest.mark.parametrize('field', OPTIONAL_FIELDS)
@pytest.mark.parametrize('how', ['missing', 'none'])
def test_each_optional_field_may_be_missing_or_none(field, how):
    app = introspect_app()
    event = rest_event('/users/{user_id}', 'POST', path_params={'user_id': '7'},
                       headers={'Content-Type': 'application/json', 'X-A': 'b'},
                       query={'q': ['1', '2']}, stage_vars={'s': 'v'}, body='{"n": 1}')
    if how == 'missing':
        del event[field]
    else:
        event[field] = None
    response = app(event, FakeLambdaContext())
    assert response['statusCode'] == 200, response
    result = json.loads(response['body'])
    assert result['method'] == 'POST'
    assert result['path'] == '/users/{user_id}'
    # Either query field alone is enough (the multi-value one is preferred).
    assert result['query_params'] == {'q': '2'}
    assert result['user_id'] == (None if field == 'pathParameters' else '7')
    assert result['stage_vars'] == (None if field == 'stageVariables' else {'s': 'v'})
    assert result['json_body'] == (None if field == 'body' else {'n': 1})
    json.dumps(result['to_dict'])


def test_minimal_event_through_the_test_client(client):
    app = introspect_app()
    with client(app) as test_client:
        payload = test_client.lambda_.invoke('api_handler', minimal_event()).payload
    assert payload['statusCode'] == 200
    assert json.loads(payload['body'])['path'] == '/users/{user_id}'


MALFORMED_EVENTS = [
    {'random': 'event'},
    [],
    ['requestContext'],
    'a string',
    42,
    None,
    {'requestContext': None},
    {'requestContext': {}},
    {'requestContext': 'x'},
    {'requestContext': {'resourcePath': '/users/{user_id}'}},       # no method anywhere
    {'requestContext': {'resourcePath': ['a'], 'httpMethod': 'GET'}},
    {'requestContext': {'resourcePath': '/users/{user_id}', 'httpMethod': ['GET']}},
    minimal_event(headers=['Content-Type']),
    minimal_event(headers={'Content-Type': 5}),
]


@pytest.mark.parametrize('event', MALFORMED_EVENTS)
def test_a_malformed_event_is_a_500_never_an_exception(event):
    app = introspect_app()
    response = app(event, FakeLambdaContext())
    assert response['statusCode'] == 500
    assert response['headers']['Content-Type'] == 'application/json'
    assert json.loads(response['body']) == INTERNAL_ERROR


@pytest.mark.parametrize('event', MALFORMED_EVENTS[:4])
def test_a_malformed_event_through_the_test_client(client, event):
    app = introspect_app()
    with client(app) as test_client:
        payload = test_client.lambda_.invoke('api_handler', event).payload
    assert payload['statusCode'] == 500
    assert json.loads(payload['body']) == INTERNAL_ERROR


def test_a_malformed_event_with_debug_gives_the_traceback():
    app = introspect_app()
    app.debug = True
    response = app({'random': 'event'}, FakeLambdaContext())
    assert response['statusCode'] == 500
    assert response['headers']['Content-Type'] == 'text/plain'
    assert response['body'].startswith('Traceback (most recent call last):')
    assert "KeyError: 'requestContext'" in response['body']


def test_a_malformed_event_is_logged(caplog):
    app = Chalice('logged-app', configure_logs=False)
    app.route('/')(lambda: {})
    with caplog.at_level('ERROR', logger='logged-app'):
        app({'random': 'event'}, None)
    assert 'malformed API Gateway event' in caplog.text


def test_to_dict_has_exactly_the_chalice_keys():
    app = introspect_app()
    event = rest_event('/users/{user_id}', path_params={'user_id': '1'},
                       query={'a': ['1', '2'], 'b': 'x'}, headers={'X-Thing': 'y'},
                       stage_vars={'k': 'v'})
    result = json.loads(app(event, FakeLambdaContext())['body'])['to_dict']
    assert list(result) == ['query_params', 'headers', 'uri_params', 'method', 'context',
                            'stage_vars', 'path']
    assert result['query_params'] == {'a': '2', 'b': 'x'}
    assert type(result['query_params']) is dict
    assert result['headers'] == {'x-thing': 'y'}
    assert result['uri_params'] == {'user_id': '1'}
    assert result['path'] == '/users/{user_id}'
    assert result['context'] == event['requestContext']


def test_to_dict_through_the_test_client(client):
    app = introspect_app()
    with client(app) as test_client:
        result = test_client.http.get('/users/9?x=1&x=2').json_body['to_dict']
    assert result['query_params'] == {'x': '2'}
    assert result['uri_params'] == {'user_id': '9'}
    assert result['path'] == '/users/{user_id}'
    assert result['method'] == 'GET'


_json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
_strings = st.text(max_size=10)


def _maybe(strategy):
    """A field that is missing (None here, dropped below), null, or a value."""
    return st.one_of(st.just('<missing>'), st.none(), strategy)


random_rest_events = st.fixed_dictionaries({
    'requestContext': st.fixed_dictionaries({
        'resourcePath': st.sampled_from(['/users/{user_id}', '/nope']),
        'httpMethod': st.sampled_from(['GET', 'POST', 'DELETE']),
    }, optional={'stage': _strings, 'requestId': _strings,
                 'identity': st.dictionaries(_strings, _json_scalars, max_size=3)}),
    'headers': _maybe(st.dictionaries(_strings, _strings, max_size=4)),
    'multiValueHeaders': _maybe(st.dictionaries(_strings, st.lists(_strings, max_size=2),
                                                max_size=3)),
    'queryStringParameters': _maybe(st.dictionaries(_strings, _strings, max_size=3)),
    'multiValueQueryStringParameters': _maybe(
        st.dictionaries(_strings, st.lists(_strings, max_size=3), max_size=3)),
    'pathParameters': _maybe(st.dictionaries(st.just('user_id'), _strings)),
    'stageVariables': _maybe(st.dictionaries(_strings, _strings, max_size=2)),
    'body': _maybe(_strings),
    'isBase64Encoded': _maybe(st.just(False)),
    'path': _maybe(_strings),
}).map(lambda event: {k: v for k, v in event.items() if v != '<missing>'})


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(event=random_rest_events)
def test_to_dict_is_json_serialisable_for_every_event(event):
    app = quiet_app()
    seen = []

    @app.route('/users/{user_id}', methods=['GET', 'POST', 'DELETE'],
               content_types=['*/*'])
    def user(user_id):
        seen.append(app.current_request.to_dict())
        return {}

    response = app(event, FakeLambdaContext())
    assert isinstance(response, dict) and isinstance(response['statusCode'], int)
    for as_dict in seen:
        assert set(as_dict) == {'query_params', 'headers', 'uri_params', 'method',
                                'context', 'stage_vars', 'path'}
        json.dumps(as_dict)


random_json = st.recursive(
    _json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(['requestContext', 'resourcePath', 'httpMethod', 'headers',
                         'body', 'pathParameters', 'x']), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(event=random_json)
def test_the_handler_never_raises_for_any_json_event(event):
    app = introspect_app()
    response = app(event, FakeLambdaContext())
    assert isinstance(response, dict)
    assert response['statusCode'] in (200, 400, 404, 405, 415, 500)
    json.dumps(response)


# ---------------------------------------------------------------------------
# 2. MultiDict
# ---------------------------------------------------------------------------

def test_multidict_is_a_mutable_mapping():
    source = {'foo': ['bar', 'baz'], 'empty': [], 'one': ['1']}
    multi = MultiDict(source)
    assert multi['foo'] == 'baz'
    with pytest.raises(KeyError):
        multi['missing']
    with pytest.raises(KeyError):
        multi['empty']
    assert multi.get('empty') is None and multi.get('missing', 'd') == 'd'
    assert len(multi) == 3 and sorted(multi) == ['empty', 'foo', 'one']
    assert list(multi.keys()) == ['foo', 'empty', 'one']

    multi['new'] = 'value'
    assert multi.getlist('new') == ['value']
    multi['listy'] = ['a']
    assert multi.getlist('listy') == [['a']]
    multi['foo'] = 'replaced'
    assert multi.getlist('foo') == ['replaced']
    del multi['one']
    assert 'one' not in multi
    with pytest.raises(KeyError):
        del multi['one']
    assert multi.pop('foo') == 'replaced' and 'foo' not in multi
    with pytest.raises(KeyError):
        multi.getlist('foo')
    # The dict the MultiDict was built from (the Lambda event) is untouched.
    assert source == {'foo': ['bar', 'baz'], 'empty': [], 'one': ['1']}


def test_multidict_getlist_returns_a_copy():
    source = {'a': ['1', '2']}
    multi = MultiDict(source)
    values = multi.getlist('a')
    values.append('3')
    assert multi.getlist('a') == ['1', '2'] and source == {'a': ['1', '2']}


def test_multidict_repr_and_str():
    multi = MultiDict({'foo': ['bar', 'baz'], 'x': ['y']})
    expected = "MultiDict({'foo': ['bar', 'baz'], 'x': ['y']})"
    assert repr(multi) == expected
    assert str(multi) == expected


def test_multidict_items_values_and_dict():
    multi = MultiDict({'a': ['1', '2'], 'b': ['3']})
    assert list(multi.items()) == [('a', '2'), ('b', '3')]
    assert list(multi.values()) == ['2', '3']
    assert dict(multi) == {'a': '2', 'b': '3'}


def query_app():
    app = quiet_app()

    @app.middleware('http')
    def add_param(event, get_response):
        if event.query_params is None:
            event.query_params = MultiDict({'added': ['by-middleware']})
        else:
            event.query_params['added'] = 'by-middleware'
            del event.query_params['drop']
        return get_response(event)

    @app.route('/q')
    def view():
        query = app.current_request.query_params
        query['view'] = 'too'
        return {key: query.getlist(key) for key in query}

    return app


def test_middleware_and_views_may_modify_query_params():
    app = query_app()
    event = rest_event('/q', query={'keep': ['1', '2'], 'drop': 'x'})
    original = json.loads(json.dumps(event))
    response = app(event, FakeLambdaContext())
    assert json.loads(response['body']) == {
        'keep': ['1', '2'], 'added': ['by-middleware'], 'view': ['too']}
    assert event == original  # the Lambda event is never changed
    response = app(rest_event('/q'), FakeLambdaContext())
    assert json.loads(response['body']) == {'added': ['by-middleware'], 'view': ['too']}


def test_modifying_query_params_through_the_test_client(client):
    with client(query_app()) as test_client:
        assert test_client.http.get('/q?keep=1&keep=2&drop=x').json_body == {
            'keep': ['1', '2'], 'added': ['by-middleware'], 'view': ['too']}
        assert test_client.http.get('/q').json_body == {
            'added': ['by-middleware'], 'view': ['too']}


# ---------------------------------------------------------------------------
# 3. Responses
# ---------------------------------------------------------------------------

def png_app():
    app = quiet_app()

    @app.route('/image')
    def image():
        return Response(body=PNG, headers={'Content-Type': 'image/png'})

    @app.route('/json')
    def as_json():
        return {'hello': 'world'}

    return app


@pytest.mark.parametrize('accept', [
    'image/png', 'application/octet-stream', 'image/gif', '*/*', 'text/html, */*;q=0.8',
    'IMAGE/JPEG', 'text/html ,  image/webp;q=0.9, Audio/Ogg ; q=0.5', 'text/plain;image/png',
])
def test_binary_response_when_accept_names_any_binary_type(accept, client):
    app = png_app()
    response = app(rest_event('/image', headers={'Accept': accept}), FakeLambdaContext())
    assert response['statusCode'] == 200
    assert response['isBase64Encoded'] is True
    assert base64.b64decode(response['body']) == PNG
    with client(png_app()) as test_client:
        http = test_client.http.get('/image', headers={'Accept': accept})
    assert http.status_code == 200 and http.body == PNG


@pytest.mark.parametrize('headers', [None, {'Accept': 'text/html'},
                                     {'Accept': 'application/json; q=1, text/plain'},
                                     {'Accept': 'image/pngx'}])
def test_binary_response_without_a_binary_accept_is_400(headers, client):
    message = ('Request did not specify an Accept header with image/png, The response has '
               'a Content-Type of image/png. If a response has a binary Content-Type then '
               'the request must specify an Accept header that matches.')
    app = png_app()
    response = app(rest_event('/image', headers=headers), FakeLambdaContext())
    assert response['statusCode'] == 400
    assert json.loads(response['body']) == {'Code': 'BadRequest', 'Message': message}
    with client(png_app()) as test_client:
        http = test_client.http.get('/image', headers=headers)
    assert http.status_code == 400
    assert http.json_body == {'Code': 'BadRequest', 'Message': message}


def test_star_binary_type_sends_every_response_base64(client):
    app = png_app()
    app.api.binary_types.append('*/*')
    response = app(rest_event('/json', headers={'Accept': 'application/json'}),
                   FakeLambdaContext())
    assert response['statusCode'] == 200
    assert response['isBase64Encoded'] is True
    assert json.loads(base64.b64decode(response['body'])) == {'hello': 'world'}
    app2 = png_app()
    app2.api.binary_types = ['*/*']
    with client(app2) as test_client:
        http = test_client.http.get('/json', headers={'Accept': 'application/json'})
    assert http.status_code == 200
    assert http.json_body == {'hello': 'world'}
    assert http.headers['Content-Type'] == 'application/json'


def test_response_with_binary_type_needs_a_bytes_body():
    binary_types = ['application/octet-stream']
    response = Response(body={'a': 1}, headers={'Content-Type': 'application/octet-stream'})
    with pytest.raises(ValueError, match='bytes'):
        response.to_dict(binary_types)
    with pytest.raises(ValueError, match='bytes'):
        Response(body='text', headers={'Content-Type': 'application/octet-stream'}
                 ).to_dict(binary_types)
    ok = Response(body=b'\x00', headers={'Content-Type': 'application/octet-stream'})
    assert ok.to_dict(binary_types)['body'] == 'AA=='
    as_json = Response(body={'a': 1}).to_dict(['application/json'])
    assert base64.b64decode(as_json['body']) == b'{"a":1}'


@pytest.mark.parametrize('headers', [
    {'X-Bad': 'one\r\nInjected: yes'}, {'X-Bad': 'line\nbreak'}, {'X-Bad\r\n': 'v'},
    {'X-Multi': ['fine', 'not\rfine']},
])
def test_header_with_a_line_break_gives_a_500(headers, client):
    app = quiet_app()

    @app.route('/bad')
    def bad():
        return Response(body='x', headers=dict(headers, **{'X-Good': 'kept'}))

    response = app(rest_event('/bad'), FakeLambdaContext())
    assert response['statusCode'] == 500
    assert json.loads(response['body']) == INTERNAL_ERROR
    sent = json.dumps([response['headers'], response.get('multiValueHeaders')])
    assert 'X-Bad' not in sent and 'X-Multi' not in sent and 'Injected' not in sent
    with client(app) as test_client:
        http = test_client.http.get('/bad')
    assert http.status_code == 500 and http.json_body == INTERNAL_ERROR
    assert not any(name.startswith(('X-Bad', 'X-Multi')) for name in http.headers)


def test_execution_env_marker_is_appended_once():
    from chalice import __version__

    env = {'AWS_EXECUTION_ENV': 'AWS_Lambda_python3.12'}
    Chalice('one', env=env)
    assert env['AWS_EXECUTION_ENV'] == 'AWS_Lambda_python3.12 aws-chalice/%s' % __version__
    Chalice('two', env=env)
    assert env['AWS_EXECUTION_ENV'] == 'AWS_Lambda_python3.12 aws-chalice/%s' % __version__
    untouched = {'OTHER': 'x'}
    Chalice('three', env=untouched)
    assert untouched == {'OTHER': 'x'}


def test_execution_env_marker_defaults_to_os_environ(monkeypatch):
    from chalice import __version__

    monkeypatch.setenv('AWS_EXECUTION_ENV', 'AWS_Lambda_python3.11')
    Chalice('default-env')
    assert os.environ['AWS_EXECUTION_ENV'] == \
        'AWS_Lambda_python3.11 aws-chalice/%s' % __version__


# ---------------------------------------------------------------------------
# Issue 11 section 4: an unserialisable return value, with app.debug = True
# ---------------------------------------------------------------------------

def unserialisable_app(debug, middleware=False):
    import datetime

    app = quiet_app()
    app.debug = debug

    @app.route('/when')
    def when_view():
        return {'when': datetime.datetime(2024, 1, 2)}

    @app.route('/response')
    def response_view():
        return Response(body={'what': {1, 2}}, status_code=201)

    if middleware:
        @app.middleware('http')
        def passthrough(event, get_response):
            return get_response(event)

    @app.route('/plain')
    def plain_view():
        return [object()]

    return app


@pytest.mark.parametrize('middleware', [False, True])
@pytest.mark.parametrize('path, view, type_name', [
    ('/when', 'when_view', 'datetime'),
    ('/response', 'response_view', 'set'),
    ('/plain', 'plain_view', 'object'),
])
def test_debug_error_names_the_view_and_the_unserialisable_type(path, view, type_name,
                                                                 middleware, client):
    app = unserialisable_app(debug=True, middleware=middleware)
    response = app(rest_event(path), FakeLambdaContext())
    assert response['statusCode'] == 500
    assert response['headers']['Content-Type'] == 'text/plain'
    last_line = response['body'].strip().splitlines()[-1]
    assert last_line == (
        "TypeError: The value returned by view function '%s' could not be serialized to "
        "JSON: Object of type %s is not JSON serializable" % (view, type_name))
    with client(unserialisable_app(debug=True, middleware=middleware)) as test_client:
        http = test_client.http.get(path)
    assert http.status_code == 500
    assert http.body.decode('utf-8').strip().splitlines()[-1] == last_line


def test_without_debug_the_body_stays_generic_and_the_log_names_the_view(caplog):
    import datetime

    app = Chalice('unserialisable-log', configure_logs=False)  # records reach caplog

    @app.route('/when')
    def when_view():
        return {'when': datetime.datetime(2024, 1, 2)}

    with caplog.at_level(logging.ERROR, logger='unserialisable-log'):
        response = app(rest_event('/when'), FakeLambdaContext())
    assert response['statusCode'] == 500
    assert json.loads(response['body']) == INTERNAL_ERROR
    assert "view function 'when_view' could not be serialized" in caplog.text
