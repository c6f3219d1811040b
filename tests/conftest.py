"""Test-wide safety: no test may reach AWS or any network beyond loopback.

Fake credentials and a fixed region are set before anything imports boto3,
and the EC2 instance-metadata lookup is disabled so botocore never probes
169.254.169.254.

Tests run in random order (pytest-randomly) on several workers
(pytest-xdist): ``_restore_process_state`` undoes what a test leaves in
``os.environ`` and ``sys.path``, and the seed is printed at the end.
"""
import os
import sys

import pytest

_SAFE_ENV = {
    'AWS_ACCESS_KEY_ID': 'testing',
    'AWS_SECRET_ACCESS_KEY': 'testing',
    'AWS_SECURITY_TOKEN': 'testing',
    'AWS_SESSION_TOKEN': 'testing',
    'AWS_DEFAULT_REGION': 'us-west-2',
    'AWS_EC2_METADATA_DISABLED': 'true',
}
for _name, _value in _SAFE_ENV.items():
    os.environ[_name] = _value
for _name in ('AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_ENDPOINT_URL',
              'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE'):
    os.environ.pop(_name, None)
# Point botocore at files that do not exist so a developer's own
# ~/.aws/config or credentials can never leak into a test run.
os.environ['AWS_CONFIG_FILE'] = os.path.join(os.path.dirname(__file__), 'no-such-aws-config')
os.environ['AWS_SHARED_CREDENTIALS_FILE'] = os.path.join(
    os.path.dirname(__file__), 'no-such-aws-credentials')
# The CDK tests run jsii's node process: no version banners on stderr (the
# end-of-life one lists node majors), and no update check from CDK tooling.
os.environ.setdefault('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '18,19,20,21')
os.environ.setdefault('JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION', '1')
os.environ.setdefault('JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION', '1')
os.environ.setdefault('CDK_DISABLE_VERSION_CHECK', '1')


# -- order independence ---------------------------------------------------------

@pytest.fixture(autouse=True)
def _restore_process_state():
    """Whatever a test leaves in os.environ or sys.path is undone after it.

    Tests run in random order (pytest-randomly), so none may depend on what
    another left behind; running the CLI in-process applies a stage's
    environment variables and puts the project on sys.path.  A test should
    still use monkeypatch for what it changes itself.
    """
    environ = dict(os.environ)
    path = list(sys.path)
    yield
    if os.environ != environ:
        os.environ.clear()
        os.environ.update(environ)
    if sys.path != path:
        sys.path[:] = path


def pytest_terminal_summary(terminalreporter, config):
    """Name the random order's seed last, so a failure can be replayed."""
    seed = getattr(config.option, 'randomly_seed', None)
    if isinstance(seed, int) and not getattr(config.option, 'randomly_dont_reorganize', False):
        terminalreporter.write_line(
            'Tests ran in random order (pytest-randomly); repeat this order with '
            '--randomly-seed={}'.format(seed))
