"""Support for integration tests that deploy Chalice projects to a moto server.

Everything here runs in the pytest process:

* ``MotoServer`` serves moto's WSGI app on 127.0.0.1 from a background thread,
  so this process can patch moto's backend classes (see ``apply_moto_shims``)
  and inject faults (``FaultInjector``) into requests coming from the CLI
  subprocesses.
* ``aws_environment`` builds the environment a CLI subprocess (or boto3 in
  this process) needs to talk to that server and nothing else.
* ``run_chalice`` and ``make_project`` run the CLI and write projects.

The moto gaps worked around are patched in by ``apply_moto_shims`` below.
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
        self.failed: AWSCall | None = None

    # -- control (test process) ------------------------------------------
    def arm(self) -> None:
        """Forget earlier calls, start counting afresh, inject nothing."""
        with self._lock:
            self._calls = []
            self._fail_at = None
            self._fail_when = None
            self.failed = None
            self._error = (self.DEFAULT_CODE, '', 400)

    reset = arm

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
            operation = self._resolver.operation(service, method, path, query, body, headers)
        except Exception:  # pragma: no cover - never let logging break a call
            operation = ''
        call = AWSCall(service, operation, method, unquoted)
        with self._lock:
            self._calls.append(call)
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
        if inject:
            return self._error_response(call, error, start_response)

        def recording_start_response(status: str, response_headers: Any,
                                     exc_info: Any = None) -> Any:
            try:
                call.status = int(status.split()[0])
            except ValueError:  # pragma: no cover
                pass
            return start_response(status, response_headers, exc_info)

        return self.app(environ, recording_start_response)

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

class MotoServer:
    """moto's WSGI app served on 127.0.0.1:<free port> from a daemon thread."""

    def __init__(self, host: str = '127.0.0.1', port: int = 0) -> None:
        self.host = host
        self._port = port
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
        from werkzeug.serving import make_server

        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            create_backend_app,
        )

        app = DomainDispatcherApplication(create_backend_app)
        self.fault_injector = FaultInjector(app)
        # Port 0: the OS picks a free port and the socket is bound before
        # make_server returns, so there is no race with other processes.
        self._server = make_server(self.host, self._port, self.fault_injector, threaded=True)
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
                config=Config(retries={'max_attempts': 1, 'mode': 'standard'},
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


def run_chalice(project_dir: Path | str, *args: str, env: dict[str, str],
                input: str | None = None, timeout: float = 120,
                extra_args: Iterable[str] = ()) -> subprocess.CompletedProcess[str]:
    """Run ``python -m chalice.cli --project-dir <dir> <args>`` against moto."""
    env = dict(env)
    pythonpath = env.get('PYTHONPATH', '')
    if str(REPO_ROOT) not in pythonpath.split(os.pathsep):
        env['PYTHONPATH'] = os.pathsep.join(p for p in (str(REPO_ROOT), pythonpath) if p)
    command = [sys.executable, '-m', 'chalice.cli', *extra_args,
               '--project-dir', str(project_dir), *args]
    return subprocess.run(command, env=env, input=input, capture_output=True, text=True,
                          timeout=timeout, cwd=str(project_dir),
                          stdin=None if input is not None else subprocess.DEVNULL)


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
