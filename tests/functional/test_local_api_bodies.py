"""What a client sees of the documented HTTP API, over `chalice local` and the test client.

The documentation's own examples (gzip responses, the binary echo, the
introspect view, CORS, the built-in error bodies) are served by the local
dev server on 127.0.0.1 and checked over real HTTP, and the same request
through ``chalice.test.Client`` gives the same answer.
"""
import contextlib
import gzip
import json

import pytest
import requests

from chalice import (
    BadRequestError,
    Chalice,
    ChaliceViewError,
    ConflictError,
    CORSConfig,
    ForbiddenError,
    NotFoundError,
    Response,
    TooManyRequestsError,
    UnauthorizedError,
    UnprocessableEntityError,
)
from chalice.test import Client
from tests.functional import localserver

TIMEOUT = 30
DEFAULT_ALLOW_HEADERS = 'Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key'
ERRORS = {cls.__name__: cls for cls in (
    BadRequestError, UnauthorizedError, ForbiddenError, NotFoundError, ConflictError,
    UnprocessableEntityError, TooManyRequestsError, ChaliceViewError)}


def binary_accept_message(content_type):
    return ('Request did not specify an Accept header with %s, The response has a '
            'Content-Type of %s. If a response has a binary Content-Type then the request '
            'must specify an Accept header that matches.' % (content_type, content_type))


def make_app():
    app = Chalice(app_name='api-bodies', configure_logs=False)
    app.log.setLevel(100)

    @app.route('/bin-echo', methods=['POST'], content_types=['application/octet-stream'])
    def bin_echo():
        return Response(body=app.current_request.raw_body, status_code=200,
                        headers={'Content-Type': 'application/octet-stream'})

    @app.route('/form', methods=['POST'], content_types=['application/x-www-form-urlencoded'])
    def form():
        return Response(app.current_request.raw_body.decode('utf-8'),
                        headers={'Content-Type': 'text/plain'})

    @app.route('/raise/{name}', cors=True)
    def raise_error(name):
        if name in ERRORS:
            raise ERRORS[name]('message for %s' % name)
        raise RuntimeError('not a Chalice error')

    @app.route('/supports-cors', methods=['PUT'], cors=True)
    def supports_cors():
        return {}

    @app.route('/custom-cors', methods=['GET'], cors=CORSConfig(
        allow_origin='https://foo.example.com', allow_headers=['X-Special-Header'],
        max_age=600, expose_headers=['X-Special-Header'], allow_credentials=True))
    def supports_custom_cors():
        return {'cors': True}

    @app.route('/introspect')
    def introspect():
        return app.current_request.to_dict()

    return app


def make_gzip_app():
    """The GZIP example of the docs: JSON made binary so gzip bytes go out intact."""
    app = Chalice(app_name='gzip-response', configure_logs=False)
    app.api.binary_types.append('application/json')

    @app.route('/')
    def index():
        return Response(body=gzip.compress(b'{"hello": "world"}'), status_code=200,
                        headers={'Content-Type': 'application/json',
                                 'Content-Encoding': 'gzip'})

    return app


@contextlib.contextmanager
def serving(app):
    """`chalice local` serving ``app`` on 127.0.0.1; yields its URL."""
    with localserver.serving(app, log_requests=False) as server:
        yield server.url


@pytest.fixture(scope='module')
def app():
    return make_app()


@pytest.fixture(scope='module')
def url(app):
    with serving(app) as server_url:
        yield server_url


@pytest.fixture
def client(app, tmp_path):
    with Client(app, project_dir=str(tmp_path)) as test_client:
        yield test_client


@pytest.fixture(scope='module')
def gzip_ends(tmp_path_factory):
    """``(URL of chalice local, test client)``, both for the GZIP app."""
    gzip_app = make_gzip_app()
    project_dir = str(tmp_path_factory.mktemp('gzip'))
    with serving(gzip_app) as server_url, Client(gzip_app, project_dir=project_dir) as ends:
        yield server_url, ends


def test_gzip_response_reaches_the_client_compressed(gzip_ends):
    gzip_url, gzip_client = gzip_ends
    raw = requests.get(gzip_url + '/', headers={'Accept': 'application/json'},
                       timeout=TIMEOUT, stream=True)
    assert raw.status_code == 200
    assert raw.headers['Content-Encoding'] == 'gzip'
    assert raw.headers['Content-Type'] == 'application/json'
    sent = raw.raw.read(decode_content=False)
    assert json.loads(gzip.decompress(sent)) == {'hello': 'world'}
    # An HTTP client that undoes Content-Encoding sees the JSON document.
    decoded = requests.get(gzip_url + '/', headers={'Accept': 'application/json'},
                           timeout=TIMEOUT)
    assert decoded.json() == {'hello': 'world'}
    in_process = gzip_client.http.get('/', headers={'Accept': 'application/json'})
    assert in_process.headers['Content-Encoding'] == 'gzip'
    assert in_process.body == sent


@pytest.mark.parametrize('accept', [None, 'text/html', 'text/html, application/xml;q=0.9'])
def test_gzip_response_without_a_json_accept_is_the_documented_400(gzip_ends, accept):
    gzip_url, gzip_client = gzip_ends
    # requests drops a header whose value is None (it would send Accept: */*).
    over_http = requests.get(gzip_url + '/', headers={'Accept': accept}, timeout=TIMEOUT)
    in_process = gzip_client.http.get('/', headers={'Accept': accept} if accept else {})
    expected = {'Code': 'BadRequest', 'Message': binary_accept_message('application/json')}
    for response, body in ((over_http, over_http.content), (in_process, in_process.body)):
        assert response.status_code == 400
        assert response.headers['Content-Type'] == 'application/json'
        assert json.loads(body) == expected


def test_docs_binary_echo(url, client):
    headers = {'Content-Type': 'application/octet-stream',
               'Accept': 'application/octet-stream'}
    over_http = requests.post(url + '/bin-echo', data=b'\xfe\xed', headers=headers,
                              timeout=TIMEOUT)
    assert (over_http.status_code, over_http.content) == (200, b'\xfe\xed')
    assert client.http.post('/bin-echo', headers=headers, body=b'\xfe\xed').body == b'\xfe\xed'
    refused = requests.post(url + '/bin-echo', data=b'\xfe\xed', timeout=TIMEOUT,
                            headers={'Content-Type': 'application/octet-stream',
                                     'Accept': None})
    assert refused.status_code == 400
    assert refused.json() == {'Code': 'BadRequest',
                              'Message': binary_accept_message('application/octet-stream')}


@pytest.mark.parametrize('content_type, media_type', [
    ('application/json', 'application/json'),
    ('text/plain; charset=utf-8', 'text/plain'),
])
def test_unsupported_media_type_is_the_documented_415(url, client, content_type,
                                                       media_type):
    expected = {'Code': 'UnsupportedMediaType',
                'Message': 'Unsupported media type: %s' % media_type}
    over_http = requests.post(url + '/form', data='states=WA',
                              headers={'Content-Type': content_type}, timeout=TIMEOUT)
    assert over_http.status_code == 415
    assert over_http.json() == expected
    in_process = client.http.post('/form', headers={'Content-Type': content_type},
                                  body=b'states=WA')
    assert (in_process.status_code, in_process.json_body) == (415, expected)
    accepted = requests.post(url + '/form', data='states=WA&states=CA', timeout=TIMEOUT,
                             headers={'Content-Type': 'application/x-www-form-urlencoded'})
    assert (accepted.status_code, accepted.text) == (200, 'states=WA&states=CA')


@pytest.mark.parametrize('name, status', [
    ('BadRequestError', 400), ('UnauthorizedError', 401), ('ForbiddenError', 403),
    ('NotFoundError', 404), ('ConflictError', 409), ('UnprocessableEntityError', 422),
    ('TooManyRequestsError', 429), ('ChaliceViewError', 500),
])
def test_chalice_errors_give_code_and_message_with_cors(url, client, name, status):
    expected = {'Code': name, 'Message': 'message for %s' % name}
    over_http = requests.get(url + '/raise/' + name, timeout=TIMEOUT)
    in_process = client.http.get('/raise/' + name)
    for response, body in ((over_http, over_http.content), (in_process, in_process.body)):
        assert response.status_code == status
        assert json.loads(body) == expected
        assert response.headers['Content-Type'] == 'application/json'
        # cors=True injects the headers into error responses too.
        assert response.headers['Access-Control-Allow-Origin'] == '*'
        assert response.headers['Access-Control-Allow-Headers'] == DEFAULT_ALLOW_HEADERS


def test_unhandled_error_body_depends_on_debug(app, url, client):
    over_http = requests.get(url + '/raise/other', timeout=TIMEOUT)
    assert over_http.status_code == 500
    assert over_http.json() == {'Code': 'InternalServerError',
                                'Message': 'An internal server error occurred.'}
    assert over_http.headers['Access-Control-Allow-Origin'] == '*'
    app.debug = True
    try:
        over_http = requests.get(url + '/raise/other', timeout=TIMEOUT)
        in_process = client.http.get('/raise/other')
    finally:
        app.debug = False
        app.log.setLevel(100)
    for response, text in ((over_http, over_http.text),
                           (in_process, in_process.body.decode('utf-8'))):
        assert response.status_code == 500
        assert response.headers['Content-Type'] == 'text/plain'
        assert text.startswith('Traceback (most recent call last):')
        assert text.rstrip().endswith('RuntimeError: not a Chalice error')


def test_cors_preflight_headers_of_the_docs(url, client):
    over_http = requests.options(url + '/supports-cors', timeout=TIMEOUT)
    in_process = client.http.options('/supports-cors')
    for response in (over_http, in_process):
        assert response.status_code == 200
        assert response.headers['Access-Control-Allow-Origin'] == '*'
        assert response.headers['Access-Control-Allow-Methods'] == 'PUT,OPTIONS'
        assert response.headers['Access-Control-Allow-Headers'] == DEFAULT_ALLOW_HEADERS
    put = requests.put(url + '/supports-cors', timeout=TIMEOUT)
    assert put.headers['Access-Control-Allow-Origin'] == '*'


def test_cors_config_headers_of_the_docs(url, client):
    expected = {
        'Access-Control-Allow-Origin': 'https://foo.example.com',
        'Access-Control-Allow-Headers': 'Authorization,Content-Type,X-Amz-Date,'
                                        'X-Amz-Security-Token,X-Api-Key,X-Special-Header',
        'Access-Control-Expose-Headers': 'X-Special-Header',
        'Access-Control-Max-Age': '600',
        'Access-Control-Allow-Credentials': 'true',
    }
    for method in ('GET', 'OPTIONS'):
        over_http = requests.request(method, url + '/custom-cors', timeout=TIMEOUT)
        in_process = client.http.request(method, '/custom-cors')
        for response in (over_http, in_process):
            assert response.status_code == 200
            for name, value in expected.items():
                assert response.headers[name] == value, (method, name)
    preflight = requests.options(url + '/custom-cors', timeout=TIMEOUT)
    assert preflight.headers['Access-Control-Allow-Methods'] == 'GET,OPTIONS'


def test_docs_introspect_example(url, client):
    headers = {'X-TestHeader': 'Foo', 'Accept': 'application/json'}
    over_http = requests.get(url + '/introspect?query1=value1&query2=value2',
                             headers=headers, timeout=TIMEOUT)
    in_process = client.http.get('/introspect?query1=value1&query2=value2', headers=headers)
    for response, body in ((over_http, over_http.content), (in_process, in_process.body)):
        assert response.status_code == 200
        result = json.loads(body)
        assert result['query_params'] == {'query1': 'value1', 'query2': 'value2'}
        assert result['headers']['x-testheader'] == 'Foo'
        assert (result['method'], result['uri_params'], result['stage_vars']) == (
            'GET', None, None)
        assert result['context']['resourcePath'] == '/introspect'
        assert result['context']['httpMethod'] == 'GET'
        assert set(result['context']['identity']) >= {'sourceIp', 'userAgent'}
