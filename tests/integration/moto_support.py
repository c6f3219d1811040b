"""Support for integration tests that deploy Chalice projects to a moto server.

Everything here runs in the pytest process:

* ``MotoServer`` serves moto's WSGI app on 127.0.0.1 from a background thread,
  so this process can patch moto's backend classes (see ``apply_moto_shims``)
  and inject faults (``FaultInjector``) into requests coming from the CLI
  subprocesses.
* ``aws_environment`` builds the environment a CLI subprocess (or boto3 in
  this process) needs to talk to that server and nothing else.
* ``run_chalice`` and ``make_project`` run the CLI and write projects
  (``tests/upstream_chalice.py`` runs AWS Chalice's own executable).

The moto gaps worked around are patched in by ``apply_moto_shims`` below
(see ``SHIMS``).  Known differences from AWS that are *not* shimmed:

* no execute-api endpoint: test HTTP behaviour with ``chalice local`` or the
  test client;
* Lambda functions are ``Active`` at once and ``LastUpdateStatus`` is always
  ``Successful`` (botocore waiters return immediately), IAM roles are usable
  at once and there is no ResourceConflictException: use
  ``FaultInjector.fail_when`` to exercise those retry paths;
* GetExport is lossy (no integrations or security) and TagResource/GetTags
  on a REST API (not a stage) are not implemented.
"""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from tests.upstream_chalice import run_other_chalice  # noqa: F401 (re-exported)

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = 'us-west-2'
FAKE_CREDENTIAL = 'testing'
# moto's default account; every ARN moto hands out uses it.
ACCOUNT_ID = '123456789012'
MOTO_CONFIG = {'lambda': {'use_docker': False}}


# --------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------

_DROPPED_VARS = (
    'AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SECURITY_TOKEN', 'AWS_ROLE_ARN',
    'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_REGION', 'AWS_CA_BUNDLE',
    'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY',
    'all_proxy',
)


def aws_environment(endpoint_url: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a subprocess that must reach only the moto server."""
    env = dict(os.environ if base is None else base)
    for name in _DROPPED_VARS:
        env.pop(name, None)
    # Any AWS_ENDPOINT_URL_<SERVICE> would bypass the moto server.
    for name in list(env):
        if name.startswith('AWS_ENDPOINT_URL_'):
            del env[name]
    nowhere = str(REPO_ROOT / 'tests' / 'no-such-aws-file')
    env.update({
        'AWS_ACCESS_KEY_ID': FAKE_CREDENTIAL,
        'AWS_SECRET_ACCESS_KEY': FAKE_CREDENTIAL,
        'AWS_SESSION_TOKEN': FAKE_CREDENTIAL,
        'AWS_DEFAULT_REGION': REGION,
        'AWS_ENDPOINT_URL': endpoint_url,
        'AWS_EC2_METADATA_DISABLED': 'true',
        # Keep a developer's ~/.aws out of the subprocess as well.
        'AWS_CONFIG_FILE': env.get('AWS_CONFIG_FILE', nowhere + '-config'),
        'AWS_SHARED_CREDENTIALS_FILE': env.get('AWS_SHARED_CREDENTIALS_FILE',
                                               nowhere + '-credentials'),
        'NO_PROXY': '127.0.0.1,localhost',
        'no_proxy': '127.0.0.1,localhost',
        'PYTHONDONTWRITEBYTECODE': '1',
        'PYTHONUNBUFFERED': '1',
    })
    pythonpath = [str(REPO_ROOT)]
    if env.get('PYTHONPATH'):
        pythonpath.extend(p for p in env['PYTHONPATH'].split(os.pathsep)
                          if p and p != str(REPO_ROOT))
    env['PYTHONPATH'] = os.pathsep.join(pythonpath)
    return env


# --------------------------------------------------------------------------
# Fault injection
# --------------------------------------------------------------------------

_READ_ONLY_PREFIXES = ('Get', 'List', 'Describe', 'Head', 'Lookup', 'Search',
                       'Simulate', 'Test', 'Export', 'Filter')


@dataclass
class AWSCall:
    """One AWS API request seen by the server (``/moto-api`` is not one)."""

    service: str          # signing name from the SigV4 scope: iam, lambda, ...
    operation: str        # botocore operation name, or '' when unknown
    method: str           # HTTP method
    path: str             # URL path, unquoted
    status: int | None = None  # HTTP status the server answered with
    injected: bool = False     # True for the call the injector failed
    index: int = 0             # 1-based position among the requests since arming
    region: str = ''           # region from the SigV4 scope: where the client sent it

    @property
    def mutating(self) -> bool:
        """Whether the call can change AWS state (judged by its name)."""
        if self.operation:
            return not self.operation.startswith(_READ_ONLY_PREFIXES)
        return self.method not in ('GET', 'HEAD')

    def __str__(self) -> str:
        return f'{self.service}:{self.operation or "?"} {self.method} {self.path}'


class _OperationResolver:
    """Names the botocore operation of a raw HTTP request, per service.

    Built from botocore's own service models, so the names match what the
    deployer calls (``ImportRestApi``, ``PutRolePolicy``, ...).
    """

    _signing_to_service = {'execute-api': 'apigateway', 'lambda': 'lambda'}

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[str, Any] = {}
        self._rest_routes: dict[str, list[tuple[Any, ...]]] = {}

    def service_model(self, signing_name: str) -> Any:
        with self._lock:
            if signing_name not in self._models:
                self._models[signing_name] = self._load(signing_name)
            return self._models[signing_name]

    def _load(self, signing_name: str) -> Any:
        import botocore.session

        session = botocore.session.get_session()
        name = self._signing_to_service.get(signing_name, signing_name)
        try:
            return session.get_service_model(name)
        except Exception:
            pass
        for candidate in session.get_available_services():
            try:
                model = session.get_service_model(candidate)
            except Exception:  # pragma: no cover - broken model data
                continue
            if model.signing_name == signing_name:
                return model
        return None

    def protocol(self, signing_name: str) -> str:
        model = self.service_model(signing_name)
        return model.protocol if model is not None else ''

    def operation(self, signing_name: str, method: str, path: str,
                  query: dict[str, list[str]], body: bytes,
                  headers: dict[str, str]) -> str:
        if signing_name == 'apigateway' and path.startswith('/v2/'):
            # API Gateway v1 and v2 sign as the same service; v2 paths start /v2/.
            signing_name = 'apigatewayv2'
        model = self.service_model(signing_name)
        if model is None:
            return ''
        if model.protocol in ('query', 'ec2'):
            params = urllib.parse.parse_qs(body.decode('utf-8', 'replace'))
            params.update(query)
            return (params.get('Action') or [''])[0]
        target = headers.get('x-amz-target', '')
        if target:
            return target.rsplit('.', 1)[-1]
        return self._match_rest(signing_name, model, method, path, query)

    def _match_rest(self, signing_name: str, model: Any, method: str, path: str,
                    query: dict[str, list[str]]) -> str:
        with self._lock:
            routes = self._rest_routes.get(signing_name)
            if routes is None:
                routes = self._rest_routes[signing_name] = self._compile(model)
        for http_method, regex, required_query, op_name, _ in routes:
            if http_method != method or not regex.match(path):
                continue
            if all(query.get(k, [None])[0] == v if v is not None else k in query
                   for k, v in required_query.items()):
                return op_name
        return ''

    @staticmethod
    def _compile(model: Any) -> list[tuple[Any, ...]]:
        routes = []
        for op_name in model.operation_names:
            http = model.operation_model(op_name).http
            uri = http.get('requestUri', '/')
            uri_path, _, uri_query = uri.partition('?')
            required = {}
            for part in filter(None, uri_query.split('&')):
                key, eq, value = part.partition('=')
                required[key] = value if eq else None
            pattern = ''
            for piece in re.split(r'(\{[^}]+\})', uri_path):
                if piece.startswith('{') and piece.endswith('}'):
                    pattern += '.+' if piece.endswith('+}') else '[^/]+'
                else:
                    pattern += re.escape(piece)
            regex = re.compile('^' + pattern.rstrip('/') + '/?$')
            # Most specific first: literal characters, then query constraints.
            literal = len(re.sub(r'\{[^}]+\}', '', uri_path))
            routes.append((http.get('method', 'POST'), regex, required, op_name,
                           (literal, len(required))))
        routes.sort(key=lambda r: r[4], reverse=True)
        return routes


_SCOPE_RE = re.compile(r'Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request')


class FaultInjector:
    """WSGI middleware in front of moto that counts, logs and fails AWS calls.

    Controlled from the test process::

        fault_injector.fail_call(3)   # the 3rd AWS request from now fails
        ...run the deploy...
        fault_injector.count          # AWS requests made since arming
        fault_injector.calls          # [AWSCall(service, operation, ...)]
        fault_injector.mutating_calls
        fault_injector.at_call(5, action)   # run action(call) when the 5th is served

    Only requests signed for an AWS service count; ``/moto-api`` does not.
    The failure is an HTTP 400 with an AWS-style body in the service's own
    protocol (XML for query services like IAM, JSON with ``x-amzn-ErrorType``
    for REST-JSON and JSON services), with an error code that botocore does
    not retry.  Exactly one request fails per arming; the rest pass through.
    """

    DEFAULT_CODE = 'InjectedFault'

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._resolver = _OperationResolver()
        self._calls: list[AWSCall] = []
        self._fail_at: int | None = None
        self._fail_when: Callable[[AWSCall], bool] | None = None
        self._error: tuple[str, str, int] = (self.DEFAULT_CODE, '', 400)
        self._actions: dict[int, tuple[Callable[[AWSCall], None], bool]] = {}
        self._actions_when: list[tuple[Callable[[AWSCall], bool],
                                       Callable[[AWSCall], None], bool]] = []
        self.failed: AWSCall | None = None
        # Seconds every AWS request waits before moto serves it (set_delay).
        self._delay = 0.0

    # -- control (test process) ------------------------------------------
    def arm(self) -> None:
        """Forget earlier calls, start counting afresh, inject nothing."""
        with self._lock:
            self._calls = []
            self._fail_at = None
            self._fail_when = None
            self._actions = {}
            self._actions_when = []
            self.failed = None
            self._error = (self.DEFAULT_CODE, '', 400)

    reset = arm

    def at_call(self, k: int, action: Callable[[AWSCall], None], before: bool = False) -> None:
        """Run ``action(call)`` in the server thread when the k-th request since arming comes.

        By default after moto has handled the request (it took effect) and
        before the response goes back, so the client is still waiting for
        it; with ``before``, before moto sees it.  Adds to the current arming
        (``fail_call``/``fail_when``/``arm`` start a new one).  Used to pause
        a CLI at a given call (the action blocks) or to signal it there.
        """
        if k < 1:
            raise ValueError('k is 1-based')
        with self._lock:
            self._actions[k] = (action, before)

    def at_call_when(self, predicate: Callable[[AWSCall], bool],
                     action: Callable[[AWSCall], None], before: bool = False) -> None:
        """Like ``at_call``, for the first request for which ``predicate(call)`` holds.

        ``call.index`` (1-based, since arming) tells which request it was.
        """
        with self._lock:
            self._actions_when.append((predicate, action, before))

    def fail_call(self, k: int, code: str = DEFAULT_CODE, message: str = '',
                  status: int = 400) -> None:
        """Arm, and make the k-th AWS request from now (1-based) fail."""
        if k < 1:
            raise ValueError('k is 1-based')
        self.arm()
        with self._lock:
            self._fail_at = k
            self._error = (code, message, status)

    def fail_when(self, predicate: Callable[[AWSCall], bool], code: str = DEFAULT_CODE,
                  message: str = '', status: int = 400) -> None:
        """Arm, and fail the first AWS request for which predicate(call) holds.

        E.g. ``fail_when(lambda c: c.operation == 'CreateFunction',
        code='AccessDeniedException', status=403)``.
        """
        self.arm()
        with self._lock:
            self._fail_when = predicate
            self._error = (code, message, status)

    def set_delay(self, seconds: float) -> None:
        """Make every AWS request wait ``seconds`` before moto serves it (0: none).

        Emulates the latency of a real AWS endpoint, so that benchmarks show
        what the number of calls and their concurrency cost; requests served
        at the same time wait at the same time (the server is threaded).
        Kept across ``arm``; the fixtures' moto starts with none.
        """
        with self._lock:
            self._delay = max(0.0, float(seconds))

    def disarm(self) -> None:
        """Stop injecting; keep counting."""
        with self._lock:
            self._fail_at = None
            self._fail_when = None

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._calls)

    @property
    def calls(self) -> list[AWSCall]:
        with self._lock:
            return list(self._calls)

    @property
    def mutating_calls(self) -> list[AWSCall]:
        return [c for c in self.calls if c.mutating]

    def operations(self, service: str | None = None) -> list[str]:
        return [c.operation for c in self.calls if service in (None, c.service)]

    # -- WSGI ----------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get('PATH_INFO', '')
        scope = _SCOPE_RE.search(environ.get('HTTP_AUTHORIZATION', ''))
        if path.startswith('/moto-api') or scope is None:
            return self.app(environ, start_response)
        service = scope.group(2)
        body = self._read_body(environ)
        headers = {k[5:].replace('_', '-').lower(): v
                   for k, v in environ.items() if k.startswith('HTTP_')}
        query = urllib.parse.parse_qs(environ.get('QUERY_STRING', ''), keep_blank_values=True)
        method = environ.get('REQUEST_METHOD', 'GET')
        unquoted = urllib.parse.unquote(path)
        try:
            # Operations are matched on the path as sent (still percent-encoded), so
            # a label holding '/' (a domain name ARN in /tags/{arn}) stays one segment.
            raw_path = (environ.get('RAW_URI') or environ.get('REQUEST_URI') or path)
            operation = self._resolver.operation(service, method, raw_path.split('?', 1)[0],
                                                 query, body, headers)
        except Exception:  # pragma: no cover - never let logging break a call
            operation = ''
        call = AWSCall(service, operation, method, unquoted, region=scope.group(1))
        with self._lock:
            self._calls.append(call)
            call.index = len(self._calls)
            action, before = self._actions.pop(len(self._calls), (None, False))
            if action is None:
                for entry in self._actions_when:
                    if entry[0](call):
                        self._actions_when.remove(entry)
                        action, before = entry[1], entry[2]
                        break
            inject = False
            if self._fail_at is not None and len(self._calls) == self._fail_at:
                inject = True
                self._fail_at = None
            elif self._fail_when is not None and self._fail_when(call):
                inject = True
                self._fail_when = None
            if inject:
                call.injected = True
                self.failed = call
            error = self._error
            delay = self._delay
        if delay:
            time.sleep(delay)
        if inject:
            return self._error_response(call, error, start_response)
        if action is not None and before:
            action(call)

        def recording_start_response(status: str, response_headers: Any,
                                     exc_info: Any = None) -> Any:
            try:
                call.status = int(status.split()[0])
            except ValueError:  # pragma: no cover
                pass
            return start_response(status, response_headers, exc_info)

        try:
            response = self.app(environ, recording_start_response)
        except Exception:
            # werkzeug turns an exception escaping moto into a bare 500.
            call.status = 500
            raise
        if action is not None and not before:
            action(call)
        return response

    @staticmethod
    def _read_body(environ: dict[str, Any]) -> bytes:
        try:
            length = int(environ.get('CONTENT_LENGTH') or 0)
        except ValueError:
            length = 0
        if length <= 0:
            return b''
        body = environ['wsgi.input'].read(length)
        environ['wsgi.input'] = io.BytesIO(body)
        return body

    def _error_response(self, call: AWSCall, error: tuple[str, str, int],
                        start_response: Callable[..., Any]) -> list[bytes]:
        code, message, status = error
        message = message or f'Fault injected into {call}'
        request_id = f'injected-{int(time.time() * 1000)}'
        protocol = self._resolver.protocol(call.service)
        if protocol in ('query', 'ec2', 'rest-xml'):
            esc = _xml_escape
            error_xml = (f'<Error><Type>Sender</Type><Code>{esc(code)}</Code>'
                         f'<Message>{esc(message)}</Message></Error>')
            if protocol == 'rest-xml':
                body = error_xml.replace('<Type>Sender</Type>', '')
            else:
                body = (f'<ErrorResponse>{error_xml}'
                        f'<RequestId>{request_id}</RequestId></ErrorResponse>')
            content_type = 'text/xml'
            payload = body.encode('utf-8')
            extra = [('x-amzn-RequestId', request_id)]
        else:
            payload = json.dumps({'__type': code, 'message': message,
                                  'Message': message}).encode('utf-8')
            content_type = 'application/x-amz-json-1.1' if protocol == 'json' \
                else 'application/json'
            extra = [('x-amzn-RequestId', request_id), ('x-amzn-ErrorType', code)]
        reason = {400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found'}.get(status, 'Error')
        call.status = status
        start_response(f'{status} {reason}', [('Content-Type', content_type),
                                              ('Content-Length', str(len(payload)))] + extra)
        return [payload]


def _xml_escape(text: str) -> str:
    return (text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
            .replace('"', '&quot;'))


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------

def _quiet_request_handler() -> Any:
    from werkzeug.serving import WSGIRequestHandler

    class QuietRequestHandler(WSGIRequestHandler):
        """No access log line per request; errors are still logged."""

        def log_request(self, code: Any = '-', size: Any = '-') -> None:
            pass

    return QuietRequestHandler


class MotoServer:
    """moto's WSGI app served on 127.0.0.1:<free port> from a daemon thread.

    The server runs in this process so that ``apply_moto_shims`` (done by
    ``start`` unless ``shims=False``) patches the very moto that serves it.
    """

    def __init__(self, host: str = '127.0.0.1', port: int = 0, shims: bool = True) -> None:
        self.host = host
        self._port = port
        self.shims = shims
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.fault_injector: FaultInjector | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, 'server not started'
        return int(self._server.server_port)

    @property
    def endpoint_url(self) -> str:
        return f'http://{self.host}:{self.port}'

    def start(self, timeout: float = 30.0) -> 'MotoServer':
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        if self.shims:
            apply_moto_shims()
        app = DomainDispatcherApplication(create_backend_app)
        self.fault_injector = FaultInjector(app)
        # Port 0: the OS picks a free port and the socket is bound before
        # make_server returns, so there is no race with other processes.
        self._server = make_server(self.host, self._port, self.fault_injector, threaded=True,
                                   request_handler=_quiet_request_handler())
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name='moto-server', daemon=True)
        self._thread.start()
        self.wait_until_ready(timeout)
        return self

    def wait_until_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                self.moto_api('GET', 'config')
                return
            except (OSError, urllib.error.URLError) as exc:
                last = exc
                time.sleep(0.05)
        raise RuntimeError(f'moto server on {self.endpoint_url} did not answer: {last}')

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    # -- /moto-api -------------------------------------------------------------
    def moto_api(self, method: str, name: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode('utf-8')
        request = urllib.request.Request(
            f'{self.endpoint_url}/moto-api/{name}', data=data, method=method,
            headers={'Content-Type': 'application/json'})
        # Loopback only: never let a proxy setting route this elsewhere.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=10) as response:
            text = response.read().decode('utf-8')
        return json.loads(text) if text else None

    def get_config(self) -> dict[str, Any]:
        return self.moto_api('GET', 'config')

    def configure(self, config: dict[str, Any] = MOTO_CONFIG) -> dict[str, Any]:
        return self.moto_api('POST', 'config', config)

    def reset(self) -> None:
        """Drop all moto state; keep (or re-apply) the Lambda-without-Docker config."""
        self.moto_api('POST', 'reset')
        # moto 5.2.1 keeps the config across a reset (it lives in a module
        # global, not in a backend), but re-apply it if a version changes that.
        if self.get_config().get('lambda', {}).get('use_docker') is not False:
            self.configure()


# --------------------------------------------------------------------------
# boto3 clients
# --------------------------------------------------------------------------

class AWSClients:
    """Lazily created boto3 clients for the moto server: ``clients.iam``,
    ``clients['lambda']`` (or ``clients.lambda_``), ``clients.apigateway``, ...
    """

    def __init__(self, session: Any, endpoint_url: str) -> None:
        self.session = session
        self.endpoint_url = endpoint_url
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            from botocore.config import Config

            self._clients[service] = self.session.client(
                service, endpoint_url=self.endpoint_url, region_name=REGION,
                config=Config(retries={'total_max_attempts': 1, 'mode': 'standard'},
                              connect_timeout=5, read_timeout=60))
        return self._clients[service]

    def __getitem__(self, service: str) -> Any:
        return self.client(service)

    def __getattr__(self, name: str) -> Any:
        if name.startswith('__'):
            raise AttributeError(name)
        return self.client(name.rstrip('_').replace('_', '-'))


def make_boto3_session() -> Any:
    import boto3

    return boto3.session.Session(
        aws_access_key_id=FAKE_CREDENTIAL, aws_secret_access_key=FAKE_CREDENTIAL,
        aws_session_token=FAKE_CREDENTIAL, region_name=REGION)


# --------------------------------------------------------------------------
# Projects and the CLI
# --------------------------------------------------------------------------

def make_project(tmp_path: Path | str, app_py_source: str, config: dict[str, Any] | None = None,
                 requirements: str = '', app_name: str = 'testapp',
                 files: dict[str, str | bytes] | None = None) -> Path:
    """Write a Chalice project under tmp_path and return its directory.

    ``config`` replaces the default .chalice/config.json; ``files`` maps
    extra relative paths (e.g. ``chalicelib/__init__.py``) to contents.
    """
    project = Path(tmp_path) / app_name
    (project / '.chalice').mkdir(parents=True, exist_ok=True)
    (project / 'app.py').write_text(app_py_source)
    if config is None:
        config = {'version': '2.0', 'app_name': app_name,
                  'stages': {'dev': {'api_gateway_stage': 'api'}}}
    (project / '.chalice' / 'config.json').write_text(json.dumps(config, indent=2) + '\n')
    (project / 'requirements.txt').write_text(requirements)
    for relative, content in (files or {}).items():
        target = project / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    return project


def _chalice_command(project_dir: Path | str, args: Iterable[str], env: dict[str, str],
                     extra_args: Iterable[str] = ()) -> tuple[list[str], dict[str, str]]:
    env = dict(env)
    pythonpath = env.get('PYTHONPATH', '')
    if str(REPO_ROOT) not in pythonpath.split(os.pathsep):
        env['PYTHONPATH'] = os.pathsep.join(p for p in (str(REPO_ROOT), pythonpath) if p)
    command = [sys.executable, '-m', 'chalice.cli', *extra_args,
               '--project-dir', str(project_dir), *args]
    return command, env


def run_chalice(project_dir: Path | str, *args: str, env: dict[str, str],
                input: str | None = None, timeout: float = 120,
                extra_args: Iterable[str] = ()) -> subprocess.CompletedProcess[str]:
    """Run ``python -m chalice.cli --project-dir <dir> <args>`` against moto."""
    command, env = _chalice_command(project_dir, args, env, extra_args)
    return subprocess.run(command, env=env, input=input, capture_output=True, text=True,
                          timeout=timeout, cwd=str(project_dir),
                          stdin=None if input is not None else subprocess.DEVNULL)


def start_chalice(project_dir: Path | str, *args: str,
                  env: dict[str, str]) -> subprocess.Popen[str]:
    """Start the CLI like ``run_chalice`` without waiting; ``finish_chalice`` collects it."""
    command, env = _chalice_command(project_dir, args, env)
    return subprocess.Popen(command, env=env, cwd=str(project_dir), text=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def finish_chalice(process: subprocess.Popen[str],
                   timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Wait for a ``start_chalice`` process (killed after ``timeout``) and return its result."""
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@dataclass
class DeployedState:
    """``.chalice/deployed/<stage>.json`` of a project, parsed."""

    path: Path
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, project_dir: Path | str, stage: str = 'dev') -> 'DeployedState':
        path = Path(project_dir) / '.chalice' / 'deployed' / f'{stage}.json'
        return cls(path, json.loads(path.read_text()) if path.exists() else {})

    @property
    def resources(self) -> list[dict[str, Any]]:
        return list(self.data.get('resources', []))

    def by_name(self, name: str) -> dict[str, Any] | None:
        return next((r for r in self.resources if r.get('name') == name), None)


# --------------------------------------------------------------------------
# moto shims
# --------------------------------------------------------------------------
#
# Each shim sets one (or two) attributes of moto 5.2.x classes, in this
# process, to work around one gap; nothing in the product changes.  They are registered in
# SHIMS with the gap they fix, applied by apply_moto_shims() (idempotent) and
# can be switched off for the duration of a ``with shims_disabled(name):``
# block, which test_moto_support.py uses to show every shim is still needed.


@dataclass
class Shim:
    """One gap worked around by setting attributes on moto classes."""

    name: str
    gap: str
    # (class, attribute, replacement); a replacement may add a new attribute.
    patches: list[tuple[Any, str, Callable[..., Any]]]
    originals: dict[tuple[Any, str], Any] = field(default_factory=dict)
    applied: bool = False

    def apply(self) -> None:
        if not self.applied:
            for target, attribute, replacement in self.patches:
                self.originals[(target, attribute)] = target.__dict__.get(attribute)
                setattr(target, attribute, replacement)
            self.applied = True

    def remove(self) -> None:
        if self.applied:
            for target, attribute, _ in self.patches:
                original = self.originals[(target, attribute)]
                if original is None:
                    delattr(target, attribute)
                else:
                    setattr(target, attribute, original)
            self.applied = False

    def original(self, target: Any, attribute: str) -> Any:
        """moto's own implementation of a patched attribute."""
        if self.applied:
            return self.originals[(target, attribute)]
        return target.__dict__.get(attribute)

    @property
    def targets(self) -> list[str]:
        return [f'{target.__name__}.{attribute}' for target, attribute, _ in self.patches]


SHIMS: dict[str, Shim] = {}
_shims_lock = threading.Lock()


def _register(name: str, gap: str, target: Any, attribute: str,
              replacement: Callable[..., Any], *more: tuple[Any, str, Callable[..., Any]]
              ) -> None:
    if name not in SHIMS:
        SHIMS[name] = Shim(name, gap, [(target, attribute, replacement), *more])


def _original(name: str, target_name: str, attribute: str) -> Any:
    shim = SHIMS[name]
    for target, patched, _ in shim.patches:
        if target.__name__ == target_name and patched == attribute:
            return shim.original(target, attribute)
    raise KeyError((name, target_name, attribute))


def apply_moto_shims() -> list[str]:
    """Patch moto for every known gap (idempotent); returns the shim names."""
    with _shims_lock:
        if not SHIMS:
            _register_shims()
            _register_area_shims()
        for shim in SHIMS.values():
            shim.apply()
        return list(SHIMS)


class shims_disabled:
    """Context manager: temporarily restore moto's own code for some shims."""

    def __init__(self, *names: str) -> None:
        unknown = set(names) - set(SHIMS)
        if unknown:
            raise KeyError(f'unknown shims: {sorted(unknown)}')
        self.names = names

    def __enter__(self) -> 'shims_disabled':
        for name in self.names:
            SHIMS[name].remove()
        return self

    def __exit__(self, *exc: Any) -> None:
        for name in self.names:
            SHIMS[name].apply()


def _register_area_shims() -> None:
    """Shims kept beside the tests of one area: ``shims_<area>.py`` modules.

    Each such module defines ``register_shims(register, original)`` and calls
    ``register(name, gap, target, attribute, replacement)`` for every gap it
    works around (``original(name, class_name, attribute)`` returns moto's own
    implementation), so areas add shims without editing this file.
    """
    import importlib
    import pkgutil

    here = os.path.dirname(os.path.abspath(__file__))
    for info in sorted(pkgutil.iter_modules([here]), key=lambda m: m.name):
        if info.name.startswith('shims_'):
            name = '%s.%s' % (__package__, info.name) if __package__ else info.name
            importlib.import_module(name).register_shims(_register, _original)


def _register_shims() -> None:
    from moto.apigateway.models import APIGatewayBackend, RestAPI
    from moto.apigateway.responses import APIGatewayResponse
    from moto.awslambda.models import LambdaFunction
    from moto.awslambda.responses import LambdaResponse

    # Gap: ImportRestApi reads info.description unconditionally
    # (APIGatewayBackend.import_rest_api -> KeyError -> HTTP 500 when the
    # definition has no description, which Chalice's never has).
    _register('import-description-optional',
              'APIGatewayBackend.import_rest_api: KeyError on missing info.description',
              APIGatewayBackend, 'import_rest_api', _import_rest_api)
    # Gap: ImportRestApi/PutRestApi accept only OpenAPI 3 and reject Swagger
    # 2.0 (APIGatewayBackend.put_rest_api raises
    # InvalidOpenApiDocVersionException); the moto importer also treats every
    # key of a path item (e.g. ``parameters``) as an HTTP method, ignores
    # ``security`` (authorizationType/authorizerId/apiKeyRequired), lower-case
    # integration types, and in overwrite mode orphans the root resource
    # (rootResourceId points at a deleted resource) while merge mode
    # duplicates existing paths.
    _register('swagger2-import',
              'APIGatewayBackend.put_rest_api: Swagger 2.0 rejected; security, '
              'path parameters and root resource mishandled',
              APIGatewayBackend, 'put_rest_api', _put_rest_api)
    # Gap: an integration without ``uri``/``httpMethod`` (a CORS preflight
    # MOCK) crashes APIGatewayBackend.put_integration when called from the
    # importer (required positional arguments -> TypeError -> HTTP 500).
    _register('mock-integration-without-uri',
              'APIGatewayBackend.put_integration: uri and integration_method required',
              APIGatewayBackend, 'put_integration', _put_integration)
    # Gap: authorizers (securityDefinitions / components.securitySchemes with
    # x-amazon-apigateway-authorizer), x-amazon-apigateway-binary-media-types
    # (and -policy, -minimum-compression-size, -api-key-source) in an imported
    # definition are dropped by moto's importer.  Our importer calls this
    # backend hook for them; without the shim they are dropped, as in moto.
    _register('import-authorizers-and-binary-types',
              'APIGatewayBackend.put_rest_api: authorizers and binary media types dropped',
              APIGatewayBackend, '_shim_import_extras', _import_extras)
    # Gap: ImportRestApi ignores ``parameters={'endpointConfigurationTypes':
    # ...}`` (APIGatewayResponse.create_rest_api), so a REGIONAL or PRIVATE
    # API comes back EDGE.
    _register('import-endpoint-configuration-types',
              'APIGatewayResponse.create_rest_api: endpointConfigurationTypes ignored',
              APIGatewayResponse, 'create_rest_api', _create_rest_api_response)
    # Gap: UpdateRestApi (RestAPI.apply_patch_operations) ignores
    # /minimumCompressionSize, and for /binaryMediaTypes/<type> uses the op's
    # ``value`` instead of the (~1-escaped) type in the path, so ``add``
    # inserts "" and ``remove`` raises ValueError (HTTP 500).
    _register('update-rest-api-patch-ops',
              'RestAPI.apply_patch_operations: minimumCompressionSize, binaryMediaTypes paths',
              RestAPI, 'apply_patch_operations', _apply_rest_api_patch_operations)
    # Gap: DeleteRestApi of an unknown id raises KeyError (HTTP 500) instead
    # of NotFoundException (APIGatewayBackend.delete_rest_api).
    _register('delete-rest-api-not-found',
              'APIGatewayBackend.delete_rest_api: KeyError instead of NotFoundException',
              APIGatewayBackend, 'delete_rest_api', _delete_rest_api)
    # Gap: GetIntegration of a method without an integration returns 200 {}
    # instead of NotFoundException (APIGatewayResponse.get_integration).
    _register('get-integration-not-found',
              'APIGatewayResponse.get_integration: {} instead of NotFoundException',
              APIGatewayResponse, 'get_integration', _get_integration_response)
    # Gap: with {"lambda": {"use_docker": false}} moto serves Lambda from the
    # awslambda_simple backend, but LambdaFunction._get_layers_data looks
    # layer versions up in the Docker backend, so CreateFunction /
    # UpdateFunctionConfiguration with a just-published layer fail with
    # "One or more LayerVersion does not exist".
    _register('lambda-layers-without-docker',
              'LambdaFunction._get_layers_data: looks in the Docker-backed Lambda backend',
              LambdaFunction, '_get_layers_data', _get_layers_data)
    # Gap: GetLayerVersionByArn (GET /2018-10-31/layers?find=LayerVersion&Arn=...)
    # is not implemented: LambdaResponse has no get_layer_version_by_arn, and
    # the request answers 200 with an empty body instead of the layer version
    # (or ResourceNotFoundException).
    _register('lambda-get-layer-version-by-arn',
              'LambdaResponse.get_layer_version_by_arn: not implemented',
              LambdaResponse, 'get_layer_version_by_arn', _get_layer_version_by_arn_response,
              (LambdaResponse, 'list_layers', _list_layers_response))
    # Gap: UpdateFunctionConfiguration (LambdaFunction.update_configuration)
    # ignores TracingConfig and EphemeralStorage and raises KeyError (HTTP
    # 500) for Environment without Variables.
    _register('lambda-update-configuration-fields',
              'LambdaFunction.update_configuration: TracingConfig/EphemeralStorage ignored',
              LambdaFunction, 'update_configuration', _update_configuration)
    # Gap: UpdateFunctionCode (LambdaFunction.update_function_code) ignores
    # Architectures.
    _register('lambda-update-code-architectures',
              'LambdaFunction.update_function_code: Architectures ignored',
              LambdaFunction, 'update_function_code', _update_function_code)


# -- API Gateway: import / put ---------------------------------------------

_METHOD_KEYS = {'get', 'put', 'post', 'delete', 'options', 'head', 'patch',
                'x-amazon-apigateway-any-method'}
_PARAMETER_LOCATIONS = {'path': 'path', 'query': 'querystring', 'header': 'header'}


def _check_definition_version(api_doc: dict[str, Any]) -> None:
    from moto.apigateway.exceptions import (
        BadRequestException,
        InvalidOpenApiDocVersionException,
    )

    swagger = str(api_doc.get('swagger', ''))
    openapi = str(api_doc.get('openapi', ''))
    if not (swagger.startswith('2') or openapi.startswith('3')):
        raise InvalidOpenApiDocVersionException()
    if not isinstance(api_doc.get('paths', {}), dict):
        raise BadRequestException('Invalid API definition: paths must be an object')


def _validate_definition(api_doc: dict[str, Any]) -> None:
    from moto.apigateway.exceptions import InvalidOpenAPIDocumentException
    from moto.apigateway.models import OpenAPIValidationError, validate

    try:
        validate(api_doc)
    except OpenAPIValidationError as exc:
        raise InvalidOpenAPIDocumentException(exc) from exc


def _import_rest_api(self: Any, api_doc: dict[str, Any], fail_on_warnings: bool) -> Any:
    _check_definition_version(api_doc)
    if fail_on_warnings:
        _validate_definition(api_doc)
    info = api_doc.get('info') or {}
    api = self.create_rest_api(name=info.get('title') or '',
                               description=info.get('description'))
    try:
        self.put_rest_api(api.id, api_doc, fail_on_warnings=False, mode='overwrite')
    except Exception:
        # Like API Gateway: a failed import creates nothing.
        self.apis.pop(api.id, None)
        raise
    return api


def _put_rest_api(self: Any, function_id: str, api_doc: dict[str, Any],
                  fail_on_warnings: bool, mode: str = 'merge') -> Any:
    from moto.apigateway.exceptions import InvalidOpenApiModeException

    if mode not in ('merge', 'overwrite'):
        raise InvalidOpenApiModeException()
    _check_definition_version(api_doc)
    if fail_on_warnings:
        _validate_definition(api_doc)
    api = self.get_rest_api(function_id)
    _DefinitionImporter(self, api, api_doc, overwrite=(mode == 'overwrite')).run()
    return api


class _DefinitionImporter:
    """Applies a Swagger 2.0 or OpenAPI 3 definition to a moto RestAPI."""

    def __init__(self, backend: Any, api: Any, doc: dict[str, Any], overwrite: bool) -> None:
        self.backend = backend
        self.api = api
        self.doc = doc
        self.overwrite = overwrite
        if 'swagger' in doc:
            self.schemes = doc.get('securityDefinitions') or {}
        else:
            self.schemes = (doc.get('components') or {}).get('securitySchemes') or {}
        self.authorizer_ids: dict[str, str] = {}

    def run(self) -> None:
        if self.overwrite:
            self._clear()
        extras = getattr(self.backend, '_shim_import_extras', None)
        if extras is not None:
            self.authorizer_ids = extras(self.api, self.doc, self.schemes, self.overwrite)
        by_path = {r.get_path(): r for r in self.api.resources.values()}
        for path, item in sorted((self.doc.get('paths') or {}).items()):
            resource = self._resource(path, by_path)
            shared_parameters = item.get('parameters') or []
            for key, operation in item.items():
                if key.lower() in _METHOD_KEYS and isinstance(operation, dict):
                    method = 'ANY' if key.startswith('x-') else key.upper()
                    self._method(resource, method, operation, shared_parameters)

    def _clear(self) -> None:
        # Keep the root resource (and its id), like API Gateway does.
        root = self.api.resources.get(self.api.root_resource_id) or self.api.default
        root.resource_methods = {}
        self.api.resources = {root.id: root}
        self.api.default = root
        self.api.root_resource_id = root.id

    def _resource(self, path: str, by_path: dict[str, Any]) -> Any:
        path = '/' + path.strip('/')
        if path in by_path:
            return by_path[path]
        parent_path, _, part = path.rpartition('/')
        parent = self._resource(parent_path or '/', by_path)
        resource = self.backend.create_resource(self.api.id, parent.id, part)
        by_path[path] = resource
        return resource

    def _method(self, resource: Any, method: str, operation: dict[str, Any],
                shared_parameters: list[Any]) -> None:
        auth_type, authorizer_id, api_key_required, scopes = 'NONE', None, False, None
        security = operation.get('security', self.doc.get('security')) or []
        for requirement in security:
            for name, requirement_scopes in (requirement or {}).items():
                scheme = self.schemes.get(name) or {}
                authtype = str(scheme.get('x-amazon-apigateway-authtype', '')).lower()
                if name in self.authorizer_ids:
                    authorizer = self.api.authorizers[self.authorizer_ids[name]]
                    auth_type = ('COGNITO_USER_POOLS' if authorizer.type == 'COGNITO_USER_POOLS'
                                 else 'CUSTOM')
                    authorizer_id = authorizer.id
                    scopes = list(requirement_scopes or []) or None
                elif authtype == 'awssigv4':
                    auth_type = 'AWS_IAM'
                elif scheme.get('type') == 'apiKey' and not authtype:
                    api_key_required = True
        parameters: dict[tuple[str, str], dict[str, Any]] = {}
        for parameter in list(shared_parameters) + list(operation.get('parameters') or []):
            if isinstance(parameter, dict) and parameter.get('in') in _PARAMETER_LOCATIONS:
                parameters[(parameter['in'], parameter.get('name', ''))] = parameter
        request_parameters = {
            f'method.request.{_PARAMETER_LOCATIONS[where]}.{name}':
                bool(where == 'path' or p.get('required', False))
            for (where, name), p in parameters.items()
        }
        self.backend.put_method(
            self.api.id, resource.id, method, auth_type,
            api_key_required=api_key_required,
            request_parameters=request_parameters or None,
            operation_name=operation.get('operationId'),
            authorizer_id=authorizer_id,
            authorization_scopes=scopes)
        for code, response in (operation.get('responses') or {}).items():
            if not str(code).isdigit():
                continue
            self.backend.put_method_response(
                self.api.id, resource.id, method, str(code),
                response_models=self._response_models(operation, response or {}),
                response_parameters={f'method.response.header.{h}': False
                                     for h in (response or {}).get('headers') or {}} or None)
        integration = operation.get('x-amazon-apigateway-integration')
        if integration:
            self._integration(resource, method, integration)

    def _response_models(self, operation: dict[str, Any],
                         response: dict[str, Any]) -> dict[str, str] | None:
        models = {}
        if 'swagger' in self.doc:
            ref = (response.get('schema') or {}).get('$ref', '')
            if ref:
                produces = operation.get('produces') or self.doc.get('produces') \
                    or ['application/json']
                for content_type in produces:
                    models[content_type] = ref.rsplit('/', 1)[-1]
        else:
            for content_type, media in (response.get('content') or {}).items():
                ref = ((media or {}).get('schema') or {}).get('$ref', '')
                if ref:
                    models[content_type] = ref.rsplit('/', 1)[-1]
        return models or None

    def _integration(self, resource: Any, method: str, spec: dict[str, Any]) -> None:
        def upper(value: Any) -> Any:
            return value.upper() if isinstance(value, str) else value

        arguments = {
            'integration_type': upper(spec.get('type')),
            'uri': spec.get('uri'),
            'integration_method': upper(spec.get('httpMethod')),
            'credentials': spec.get('credentials'),
            'request_templates': spec.get('requestTemplates'),
            'passthrough_behavior': upper(spec.get('passthroughBehavior')),
            'tls_config': spec.get('tlsConfig'),
            'cache_namespace': spec.get('cacheNamespace'),
            'timeout_in_millis': spec.get('timeoutInMillis'),
            'request_parameters': spec.get('requestParameters'),
            'content_handling': upper(spec.get('contentHandling')),
            'connection_type': upper(spec.get('connectionType')),
        }
        # Same call shape as moto's own importer: absent values are not
        # passed, so without the mock-integration shim a MOCK still crashes.
        integration = self.backend.put_integration(
            function_id=self.api.id, resource_id=resource.id, method_type=method,
            **{k: v for k, v in arguments.items() if v is not None})
        if spec.get('cacheKeyParameters'):
            integration.cache_key_parameters = list(spec['cacheKeyParameters'])
        for pattern, response in (spec.get('responses') or {}).items():
            response = response or {}
            self.backend.put_integration_response(
                self.api.id, resource.id, method,
                status_code=str(response.get('statusCode', '200')),
                selection_pattern=None if pattern == 'default' else pattern,
                response_templates=response.get('responseTemplates') or {},
                response_parameters=response.get('responseParameters') or {},
                content_handling=upper(response.get('contentHandling')))


def _import_extras(self: Any, api: Any, doc: dict[str, Any], schemes: dict[str, Any],
                   overwrite: bool) -> dict[str, str]:
    """Authorizers, binary media types and API-level x-amazon-apigateway keys."""
    binary = doc.get('x-amazon-apigateway-binary-media-types')
    if binary is not None or overwrite:
        types = list(binary or [])
        if not overwrite:
            types = list(api.binaryMediaTypes) + [t for t in types
                                                  if t not in api.binaryMediaTypes]
        api.binaryMediaTypes = types
    if 'x-amazon-apigateway-policy' in doc:
        policy = doc['x-amazon-apigateway-policy']
        api.policy = policy if isinstance(policy, str) else json.dumps(policy)
    if 'x-amazon-apigateway-api-key-source' in doc:
        api.api_key_source = doc['x-amazon-apigateway-api-key-source']
    if 'x-amazon-apigateway-minimum-compression-size' in doc:
        api.minimum_compression_size = doc['x-amazon-apigateway-minimum-compression-size']

    existing = {a.name: a for a in api.authorizers.values()}
    ids: dict[str, str] = {}
    for name, scheme in schemes.items():
        spec = (scheme or {}).get('x-amazon-apigateway-authorizer')
        if not spec:
            continue
        identity_source = spec.get('identitySource')
        if not identity_source and scheme.get('in') == 'header' and scheme.get('name'):
            identity_source = f"method.request.header.{scheme['name']}"
        fields = {
            'type': str(spec.get('type', 'token')).upper(),
            'provider_arns': spec.get('providerARNs'),
            'auth_type': scheme.get('x-amazon-apigateway-authtype'),
            'authorizer_uri': spec.get('authorizerUri'),
            'authorizer_credentials': spec.get('authorizerCredentials'),
            'identity_source': identity_source,
            'identity_validation_expression': spec.get('identityValidationExpression'),
            'authorizer_result_ttl': int(spec.get('authorizerResultTtlInSeconds', 300)),
        }
        authorizer = existing.pop(name, None)
        if authorizer is None:
            authorizer = self.create_authorizer(
                api.id, name, fields['type'],
                provider_arns=fields['provider_arns'], auth_type=fields['auth_type'],
                authorizer_uri=fields['authorizer_uri'],
                authorizer_credentials=fields['authorizer_credentials'],
                identity_source=fields['identity_source'],
                identiy_validation_expression=fields['identity_validation_expression'],
                authorizer_result_ttl=fields['authorizer_result_ttl'])
        else:
            # Keep the id of an authorizer that survives a put.
            for attribute, value in fields.items():
                setattr(authorizer, attribute, value)
        ids[name] = authorizer.id
    if overwrite:
        for stale in existing.values():
            api.authorizers.pop(stale.id, None)
    return ids


def _put_integration(self: Any, function_id: str, resource_id: str, method_type: str,
                     integration_type: str, uri: str | None = None,
                     integration_method: str | None = None, **kwargs: Any) -> Any:
    from moto.apigateway.exceptions import BadRequestException

    if integration_type in ('HTTP', 'HTTP_PROXY', 'AWS', 'AWS_PROXY') and not uri:
        raise BadRequestException(f'Invalid integration: uri is required for {integration_type}')
    original = _original('mock-integration-without-uri', 'APIGatewayBackend', 'put_integration')
    return original(self, function_id, resource_id, method_type, integration_type, uri,
                    integration_method, **kwargs)


def _create_rest_api_response(self: Any) -> Any:
    from moto.apigateway.responses import ENDPOINT_CONFIGURATION_TYPES
    from moto.apigateway.utils import deserialize_body

    original = _original('import-endpoint-configuration-types', 'APIGatewayResponse',
                         'create_rest_api')
    try:
        api_doc = deserialize_body(self.body) if self.body else {}
    except Exception:
        api_doc = {}
    if not api_doc:
        return original(self)
    types: list[str] = []
    for value in self.querystring.get('endpointConfigurationTypes') or []:
        types.extend(t.strip().upper() for t in value.split(',') if t.strip())
    invalid = [t for t in types if t not in ENDPOINT_CONFIGURATION_TYPES]
    if invalid:
        return self.error('ValidationException',
                          f"Invalid endpoint configuration type '{invalid[0]}'")
    fail_on_warnings = self._get_bool_param('failonwarnings') or False
    rest_api = self.backend.import_rest_api(api_doc, fail_on_warnings)
    if types:
        rest_api.endpoint_configuration = {'types': types}
    return 201, {'status': 201}, json.dumps(rest_api.to_dict())


def _unescape_pointer(token: str) -> str:
    return token.replace('~1', '/').replace('~0', '~')


def _apply_rest_api_patch_operations(self: Any, patch_operations: list[dict[str, Any]]) -> None:
    original = _original('update-rest-api-patch-ops', 'RestAPI', 'apply_patch_operations')
    rest = []
    for op in patch_operations:
        path = op.get('path', '')
        verb = op.get('op')
        value = op.get('value')
        if path == '/minimumCompressionSize':
            if verb == 'remove' or value in (None, ''):
                self.minimum_compression_size = None
            else:
                self.minimum_compression_size = int(value)
        elif path.startswith('/binaryMediaTypes/'):
            media_type = _unescape_pointer(path[len('/binaryMediaTypes/'):])
            if verb == 'add' and media_type not in self.binaryMediaTypes:
                self.binaryMediaTypes.append(media_type)
            elif verb == 'remove' and media_type in self.binaryMediaTypes:
                self.binaryMediaTypes.remove(media_type)
            elif verb == 'replace' and value:
                self.binaryMediaTypes = [value if t == media_type else t
                                         for t in self.binaryMediaTypes]
        elif path == '/policy' and verb == 'remove':
            self.policy = None
        else:
            rest.append(op)
    if rest:
        original(self, rest)


def _delete_rest_api(self: Any, function_id: str) -> Any:
    from moto.apigateway.exceptions import RestAPINotFound

    if function_id not in self.apis:
        raise RestAPINotFound()
    return self.apis.pop(function_id)


def _get_integration_response(self: Any) -> Any:
    from moto.apigateway.exceptions import NotFoundException

    original = _original('get-integration-not-found', 'APIGatewayResponse', 'get_integration')
    parts = self.path.split('/')
    integration = self.backend.get_integration(parts[2], parts[4], parts[6])
    if integration is None:
        error = NotFoundException('Invalid Integration identifier specified')
        error.code = 404
        raise error
    return original(self)


# -- Lambda ------------------------------------------------------------------

def _get_layers_data(self: Any, layers_versions_arns: list[str]) -> list[dict[str, Any]]:
    from moto.awslambda.exceptions import UnknownLayerVersionException
    from moto.awslambda.utils import get_backend

    backend = get_backend(self.account_id, self.region)
    versions = [backend.layers_versions_by_arn(arn) for arn in layers_versions_arns]
    if not all(versions):
        raise UnknownLayerVersionException(layers_versions_arns)
    return [{'Arn': v.arn, 'CodeSize': v.code_size} for v in versions if v]


def _update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
    original = _original('lambda-update-configuration-fields', 'LambdaFunction',
                         'update_configuration')
    updates = dict(config_updates)
    if 'Environment' in updates:
        updates['Environment'] = {'Variables': (updates['Environment'] or {}).get(
            'Variables') or {}}
    original(self, updates)
    if updates.get('TracingConfig'):
        self.tracing_config = {'Mode': updates['TracingConfig'].get('Mode', 'PassThrough')}
    if updates.get('EphemeralStorage'):
        self.ephemeral_storage = updates['EphemeralStorage']['Size']
    return self.get_configuration()


def _update_function_code(self: Any, updated_spec: dict[str, Any]) -> dict[str, Any]:
    original = _original('lambda-update-code-architectures', 'LambdaFunction',
                         'update_function_code')
    if updated_spec.get('Architectures') and not updated_spec.get('DryRun'):
        self.architectures = list(updated_spec['Architectures'])
    return original(self, updated_spec)


def _get_layer_version_by_arn_response(self: Any) -> Any:
    from moto.awslambda.exceptions import UnknownLayerVersionException

    arn = (self.querystring.get('Arn') or [''])[0]
    layer_version = self.backend.layers_versions_by_arn(arn) if arn.count(':') == 7 else None
    if layer_version is None:
        raise UnknownLayerVersionException([arn])
    return 200, {}, json.dumps(layer_version.get_layer_version())


def _list_layers_response(self: Any) -> Any:
    # ListLayers and GetLayerVersionByArn share GET /2018-10-31/layers.
    if (self.querystring.get('find') or [''])[0] == 'LayerVersion':
        return _get_layer_version_by_arn_response(self)
    return _original('lambda-get-layer-version-by-arn', 'LambdaResponse', 'list_layers')(self)
