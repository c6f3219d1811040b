"""Fixtures for integration tests: a moto server on 127.0.0.1 and its clients.

* ``moto_server`` (session): moto in a background thread of this process, on
  a free loopback port, with the moto shims applied and Lambda without Docker.
* ``aws_env``: the environment for ``run_chalice`` subprocesses (fake
  credentials, us-west-2, ``AWS_ENDPOINT_URL`` of the server, no profile).
* ``boto3_session`` / ``aws_clients`` (session): boto3 for reading AWS state
  back from the server (``aws_clients.iam``, ``aws_clients['lambda']``, ...).
* ``fault_injector``: counts, logs and fails AWS requests (see moto_support).
* autouse ``_fresh_moto``: every test starts with an empty moto, a disarmed
  fault injector and the server's AWS variables in ``os.environ``.
"""
import pytest

from tests.integration.moto_support import (
    ACCOUNT_ID,
    REGION,
    AWSClients,
    DeployedState,
    MotoServer,
    aws_environment,
    make_boto3_session,
    make_project,
    run_chalice,
)

__all__ = ['ACCOUNT_ID', 'REGION', 'DeployedState', 'make_project', 'run_chalice']

_ENV_FOR_THIS_PROCESS = (
    'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
    'AWS_DEFAULT_REGION', 'AWS_ENDPOINT_URL', 'AWS_EC2_METADATA_DISABLED',
)


@pytest.fixture(scope='session')
def moto_server():
    server = MotoServer(host='127.0.0.1', port=0).start()
    # Before any function exists: moto's Lambda must not need Docker.
    server.configure()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope='session')
def _aws_env_base(moto_server):
    return aws_environment(moto_server.endpoint_url)


@pytest.fixture
def aws_env(_aws_env_base):
    """The subprocess environment; a fresh copy per test, safe to modify."""
    return dict(_aws_env_base)


@pytest.fixture(scope='session')
def boto3_session(moto_server):
    return make_boto3_session()


@pytest.fixture(scope='session')
def aws_clients(boto3_session, moto_server):
    return AWSClients(boto3_session, moto_server.endpoint_url)


@pytest.fixture
def fault_injector(moto_server):
    return moto_server.fault_injector


@pytest.fixture(autouse=True)
def _fresh_moto(moto_server, _aws_env_base, monkeypatch):
    moto_server.reset()
    moto_server.fault_injector.arm()
    # boto3 in this process (e.g. chalice code called in-process) talks to
    # the server too, only for the duration of the test.
    monkeypatch.delenv('AWS_PROFILE', raising=False)
    monkeypatch.delenv('AWS_DEFAULT_PROFILE', raising=False)
    for name in _ENV_FOR_THIS_PROCESS:
        monkeypatch.setenv(name, _aws_env_base[name])
    yield
    moto_server.fault_injector.disarm()
