"""The planner side of the deployer imports nothing from the AWS side."""
import ast
import os

import chalice

PACKAGE_DIR = os.path.dirname(os.path.abspath(chalice.__file__))
# Pure modules: app + config -> models -> plan, unit-tested without boto3.
PLANNER_MODULES = ['deploy/plan.py', 'deploy/planner.py', 'deploy/appgraph.py',
                   'deploy/models.py', 'deploy/swagger.py', 'constants.py']
AWS_SIDE = ('chalice.awsclient', 'boto3', 'botocore')


def imported_modules(path):
    """Every module a file imports, at any depth (function-level imports too)."""
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update('%s.%s' % (node.module, alias.name) for alias in node.names)
    return found


def test_planner_modules_import_nothing_from_the_aws_side():
    offending = {}
    for relative in PLANNER_MODULES:
        imports = imported_modules(os.path.join(PACKAGE_DIR, relative))
        bad = sorted(name for name in imports
                     if any(name == side or name.startswith(side + '.') for side in AWS_SIDE))
        if bad:
            offending[relative] = bad
    assert offending == {}


def test_plan_and_client_agree_on_which_calls_only_read():
    from chalice import awsclient, constants
    from chalice.deploy.plan import APICall

    assert awsclient.READ_PREFIXES is constants.READ_PREFIXES
    for method in ('get_role', 'list_tags', 'describe_rule', 'wait_until_ready'):
        assert not APICall('iam', method).mutating
    for method in ('create_role', 'put_role_policy', 'delete_function', 'tag_resource'):
        assert APICall('iam', method).mutating
