"""``chalice local --docs``: /openapi.json and Swagger UI at /docs, over real HTTP.

The browser test starts ``chalice local --docs`` as a subprocess and drives
a headless Chromium (Debian's ``chromium``, which ``make browser`` installs;
see tests/functional/chromium.py) through the docs page.
"""
import io
import json
import re
import sys
import textwrap
import time

import pytest
import requests
from click.testing import CliRunner
from openapi_spec_validator import validate

from chalice import Chalice
from chalice.cli import cli
from chalice.local import LocalDevServer
from chalice.proxy import HTTPResponse
from tests.functional.chromium import Chromium, find_chromium
from tests.functional.test_local_cli import TIMEOUT, Running, free_port

APP_PY = textwrap.dedent('''\
    from dataclasses import dataclass
    from typing import TypedDict

    from chalice import AuthResponse, Chalice, NotFoundError

    app = Chalice(app_name='bookstore')


    @dataclass
    class Book:
        isbn: str
        title: str


    class NewBook(TypedDict):
        title: str


    @app.authorizer()
    def token(auth_request):
        if auth_request.token != 'let-me-in':
            return AuthResponse(routes=[], principal_id='nobody')
        return AuthResponse(routes=['*'], principal_id='reader')


    @app.route('/')
    def index():
        """Say hello."""
        return {'hello': 'world'}


    @app.route('/books', cors=True)
    def list_books() -> list[Book]:
        """List the books.

        :query title: only the books whose title contains this
        """
        return []


    @app.route('/books', methods=['POST'], authorizer=token, cors=True)
    def add_book() -> Book:
        """Add a book."""
        body: NewBook = app.current_request.json_body
        return {'isbn': '1', 'title': body['title']}


    @app.route('/books/{isbn}')
    def get_book(isbn: str) -> Book:
        """Get one book.

        Answers 404 for an unknown ISBN.
        """
        if isbn == 'missing':
            raise NotFoundError(isbn)
        return {'isbn': isbn, 'title': 'Book ' + isbn}


    @app.route('/books/{isbn}', methods=['DELETE'], authorizer=token)
    def delete_book(isbn):
        return {'deleted': isbn}
    ''')

#: Every (method, path) of APP_PY, and the CORS preflight the docs add.
ROUTES = {('GET', '/'), ('GET', '/books'), ('POST', '/books'), ('GET', '/books/{isbn}'),
          ('DELETE', '/books/{isbn}')}
PREFLIGHTS = {('OPTIONS', '/books')}


@pytest.fixture
def project(tmp_path):
    root = tmp_path / 'bookstore'
    (root / '.chalice').mkdir(parents=True)
    (root / 'app.py').write_text(APP_PY)
    (root / '.chalice' / 'config.json').write_text(json.dumps(
        {'version': '2.0', 'app_name': 'bookstore', 'stages': {'dev': {}}}))
    return root


@pytest.fixture
def serve():
    started = []

    def start(project_dir, *args):
        running = Running(project_dir, '--docs', '--no-autoreload', '--port', '0', *args)
        started.append(running)
        running.wait_for('Serving on')
        match = re.search(r'Serving on (http://\S+)', running.output()[0])
        return running, match.group(1)

    yield start
    for running in started:
        running.kill_group()


# ------------------------------------------------------------ the browser

# Swagger UI 4's markup: one .opblock per operation, its method and path in
# the summary; the summary control expands it.
LISTED_JS = '''[...document.querySelectorAll('.opblock')].map(block => [
    block.querySelector('.opblock-summary-method').textContent.trim(),
    block.querySelector('.opblock-summary-path').getAttribute('data-path'),
    (block.querySelector('.opblock-summary-description') || {}).textContent || ''])'''

BLOCK = "document.getElementById('operations-default-get_book')"

FILL_ISBN_JS = BLOCK + '''.querySelector('input[placeholder="isbn"]')'''


def _click(selector):
    return '''(() => { const element = %s.querySelector(%s);
                       if (!element) return false; element.click(); return true; })()''' % (
        BLOCK, json.dumps(selector))


def test_docs_page_lists_every_route_and_tries_one_out(project, serve, tmp_path):
    executable = find_chromium()
    if executable is None:
        pytest.skip("Chromium is not installed and could not be (make browser installs "
                    "Debian's chromium package; it needs root and apt-get)")
    server, base = serve(project)
    assert 'API docs on %s/docs' % base in server.output()[0]
    screenshot = tmp_path / 'docs.png'
    with Chromium(executable, str(tmp_path / 'profile')) as browser:
        browser.navigate(base + '/docs')
        browser.wait_for("document.querySelectorAll('.opblock').length >= %d"
                         % len(ROUTES | PREFLIGHTS), what='the operations to be listed')
        listed = browser.evaluate(LISTED_JS)
        assert {(method, path) for method, path, _ in listed} == ROUTES | PREFLIGHTS
        summaries = {(method, path): text.strip() for method, path, text in listed}
        assert summaries[('GET', '/books/{isbn}')] == 'Get one book.'
        assert summaries[('GET', '/')] == 'Say hello.'

        # Try it out on GET /books/{isbn}: fill the path parameter, Execute.
        assert browser.evaluate(_click('.opblock-summary-control'))
        browser.wait_for('!!' + BLOCK + ".querySelector('.try-out__btn')", what='Try it out')
        assert browser.evaluate(_click('.try-out__btn'))
        browser.wait_for('!!' + FILL_ISBN_JS, what='the isbn input')
        browser.type_into(FILL_ISBN_JS, '978-3')
        assert browser.evaluate(_click('.execute'))
        shown = browser.wait_for(
            '''(() => { const table = %s.querySelector('.live-responses-table');
                        return table && table.innerText.includes('Book 978-3')
                            ? table.innerText : ''; })()''' % BLOCK,
            what='the response body')
        browser.screenshot(str(screenshot))
        requested = list(browser.requested_urls)
        errors = list(browser.console_errors)
    assert '200' in shown
    assert json.loads(_response_body(shown)) == {'isbn': '978-3', 'title': 'Book 978-3'}
    # The request really reached chalice local.
    server.wait_for('"GET /books/978-3 HTTP/1.1" 200', stream='stderr')
    # Nothing but the local server was asked for anything.
    assert requested and all(url.startswith(base + '/') for url in requested), requested
    assert errors == []
    assert screenshot.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert screenshot.stat().st_size > 10000
    assert server.stop() == 0


def _response_body(text):
    """The JSON object Swagger UI shows as the response body."""
    start = text.index('{')
    depth = 0
    for index, char in enumerate(text[start:], start):
        depth += {'{': 1, '}': -1}.get(char, 0)
        if depth == 0:
            return text[start:index + 1]
    raise AssertionError('no JSON body in %r' % text)


# ------------------------------------------------------------ plain HTTP

def test_openapi_json_and_the_page_over_http(project, serve):
    server, base = serve(project)
    spec = requests.get(base + '/openapi.json', timeout=TIMEOUT)
    assert spec.status_code == 200
    assert spec.headers['Content-Type'] == 'application/json'
    document = spec.json()
    validate(document)
    assert document['openapi'] == '3.0.3'
    assert document['servers'] == [{'url': '/'}]
    assert {(method.upper(), path) for path, item in document['paths'].items()
            for method in item} == ROUTES | PREFLIGHTS
    # Local docs carry no API Gateway integration details.
    assert 'x-amazon-apigateway' not in spec.text
    book = document['paths']['/books/{isbn}']['get']
    assert book['responses']['200']['content']['application/json']['schema'] == {
        '$ref': '#/components/schemas/Book'}
    assert set(book['responses']) == {'200', '404'}
    assert document['paths']['/books']['post']['security'] == [{'token': []}]

    page = requests.get(base + '/docs', timeout=TIMEOUT)
    assert page.status_code == 200
    assert page.headers['Content-Type'] == 'text/html; charset=utf-8'
    assert '/docs/swagger-ui-bundle.js' in page.text and '"/openapi.json"' in page.text
    assert 'validatorUrl: null' in page.text
    assert requests.get(base + '/docs/', timeout=TIMEOUT).text == page.text
    bundle = requests.get(base + '/docs/swagger-ui-bundle.js', timeout=TIMEOUT)
    assert bundle.status_code == 200 and 'SwaggerUIBundle' in bundle.text
    assert bundle.headers['Content-Type'].startswith('text/javascript')
    head = requests.head(base + '/openapi.json', timeout=TIMEOUT)
    assert head.status_code == 200 and head.content == b''

    # Everything else is still the app's: its routes, and its 403 for the rest.
    assert requests.get(base + '/', timeout=TIMEOUT).json() == {'hello': 'world'}
    for method, path in (('POST', '/docs'), ('GET', '/docs/index.html'),
                         ('GET', '/docs/../app.py')):
        other = requests.request(method, base + path, timeout=TIMEOUT)
        assert other.status_code == 403, (method, path)
        assert other.json() == {'message': 'Missing Authentication Token'}
    # The built-in authorizer still guards its routes.
    assert requests.delete(base + '/books/1', timeout=TIMEOUT).status_code == 401
    allowed = requests.delete(base + '/books/1', headers={'Authorization': 'let-me-in'},
                              timeout=TIMEOUT)
    assert allowed.json() == {'deleted': '1'}
    server.wait_for('"GET /openapi.json HTTP/1.1" 200', stream='stderr')
    assert server.stop() == 0


def test_the_apps_own_docs_route_wins(project, serve):
    (project / 'app.py').write_text(APP_PY + textwrap.dedent('''

        @app.route('/docs')
        def docs():
            return {'docs': 'mine'}


        @app.route('/{page}')
        def page(page):
            return {'page': page}
        '''))
    server, base = serve(project)
    stdout, stderr = server.output()
    assert 'API docs on' not in stdout
    assert ('Warning: app.py defines the route /docs, so chalice local --docs leaves it to '
            'the app and serves no docs page.') in stderr
    assert requests.get(base + '/docs', timeout=TIMEOUT).json() == {'docs': 'mine'}
    # A capture that merely matches does not hide the description.
    spec = requests.get(base + '/openapi.json', timeout=TIMEOUT).json()
    assert '/docs' in spec['paths'] and '/{page}' in spec['paths']
    assert requests.get(base + '/other', timeout=TIMEOUT).json() == {'page': 'other'}
    assert server.stop() == 0


def test_without_docs_the_paths_are_the_apps(project, serve):
    running = Running(project, '--no-autoreload', '--port', '0')
    try:
        running.wait_for('Serving on')
        base = re.search(r'Serving on (http://\S+)', running.output()[0]).group(1)
        for path in ('/docs', '/openapi.json'):
            assert requests.get(base + path, timeout=TIMEOUT).status_code == 403
        assert 'API docs' not in running.output()[0]
    finally:
        assert running.stop() == 0


@pytest.mark.parametrize('reload_flag', ['--no-autoreload', '--autoreload'])
def test_missing_swagger_ui_is_a_one_line_error(project, monkeypatch, reload_flag):
    monkeypatch.setitem(sys.modules, 'swagger_ui_bundle', None)  # "not installed"
    result = CliRunner().invoke(cli, ['--project-dir', str(project), 'local', '--docs',
                                      '--port', '0', reload_flag])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "Error: chalice local --docs needs Swagger UI: install it with pip install "
        "'chalice[docs]' (the swagger-ui-bundle package)."]


def _poll_for_path(url, path, timeout=20.0):
    """GET the OpenAPI document at ``url`` until it has ``path`` (bounded); or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            document = requests.get(url, timeout=2).json()
        except (requests.RequestException, ValueError):
            document = None
        if document is not None and path in document['paths']:
            return document
        time.sleep(0.1)
    return None


def test_the_description_follows_autoreload(project):
    port = free_port()
    base = 'http://127.0.0.1:%d' % port
    running = Running(project, '--docs', '--autoreload', '--port', str(port),
                      extra_env={'CHALICE_LOCAL_RELOADER': 'poll'})
    try:
        running.wait_for('API docs on %s/docs' % base)
        assert '/authors' not in requests.get(base + '/openapi.json',
                                              timeout=TIMEOUT).json()['paths']
        (project / 'app.py').write_text(APP_PY + textwrap.dedent('''

            @app.route('/authors')
            def authors():
                """List the authors."""
                return []
            '''))
        document = _poll_for_path(base + '/openapi.json', '/authors')
        assert document is not None, running.output()
        assert document['paths']['/authors']['get']['summary'] == 'List the authors.'
    finally:
        assert running.stop() == 0


def test_mounted_handlers_answer_before_the_app():
    app = Chalice(app_name='mounts')

    @app.route('/{anything}')
    def anything(anything):
        return {'app': anything}

    def mounted(method, target, headers):
        if target.startswith('/local'):
            return HTTPResponse(200, [('Content-Type', 'text/plain')], b'mounted')
        if target == '/boom':
            raise RuntimeError('mount failed')
        return None

    stream = io.StringIO()
    with LocalDevServer(app, port=0, log_requests=False, stream=stream) as server:
        server.mount(mounted)
        server.serve_in_thread()
        try:
            assert requests.get(server.url + '/local?x=1', timeout=TIMEOUT).text == 'mounted'
            assert requests.get(server.url + '/other', timeout=TIMEOUT).json() == {
                'app': 'other'}
            failed = requests.get(server.url + '/boom', timeout=TIMEOUT)
            assert failed.status_code == 500
            assert failed.json() == {'message': 'Internal server error'}
            assert 'RuntimeError: mount failed' in stream.getvalue()
        finally:
            server.shutdown()
