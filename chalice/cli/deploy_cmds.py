"""``chalice deploy``, ``delete``, ``url``, ``gen-policy`` and ``dev plan/appgraph``.

Kept thin: parse options, build objects through the factory, call the
deployer, print.  botocore/boto3 are imported only inside the commands.
"""
import sys
from contextlib import contextmanager

import click

from chalice.errors import ChaliceError

STAGE_HELP = 'Name of the Chalice stage.'


def _ui(ctx=None):
    from chalice.deploy.deployer import UI

    debug = bool(ctx is not None and ctx.obj.get('debug'))
    return UI(out=sys.stdout, err=sys.stderr,
              debug=debug)


def _aws(ctx, profile, connection_timeout=None):
    from chalice.awsclient import AWSClient, check_session, create_session

    session = create_session(profile or ctx.obj['factory'].profile)
    check_session(session)
    return AWSClient(session, connection_timeout=connection_timeout)


def _check_state(project_dir, stage):
    """Read the stage's state file now, so a broken one stops us before any AWS session."""
    from chalice.deploy.state import DeployedState

    DeployedState.load(project_dir, stage)


def _config(ctx, stage, autogen_policy=None, api_gateway_stage=None, connection_timeout=None):
    factory = ctx.obj['factory']
    params = {}
    if connection_timeout is not None:
        params['connection_timeout'] = connection_timeout
    config = factory.create_config_obj(chalice_stage_name=stage, autogen_policy=autogen_policy,
                                       api_gateway_stage=api_gateway_stage,
                                       user_provided_params=params)
    for warning in getattr(config, 'validation_warnings', ()):
        click.echo('Warning: %s' % warning, err=True)
    return config


@contextmanager
def _stage_guarded(ctx, stage, ui):
    """Hold the stage's lock; SIGINT/SIGTERM stop only where the state file is exact.

    The lock is released on every way out.  An interrupted command prints one
    line and exits with 128 + the signal number (130 for Ctrl-C).
    """
    from chalice.deploy.interrupts import Interrupted, InterruptGuard
    from chalice.deploy.lock import StageLock

    project_dir = ctx.obj['project_dir']
    guard = InterruptGuard()
    try:
        with guard.installed():
            with guard.held():
                lock = StageLock(project_dir, stage, ui).acquire()
            try:
                yield guard
            finally:
                with guard.held():
                    lock.release()
    except Interrupted as interrupted:
        click.echo(_interrupted_message(interrupted, guard, project_dir, stage), err=True)
        raise click.exceptions.Exit(interrupted.exit_code) from None


def _interrupted_message(interrupted, guard, project_dir, stage):
    from chalice.deploy.state import state_file_path

    path = state_file_path(project_dir, stage)
    if interrupted.forced_during is not None:
        return ('Interrupted again during %s: the state file %s records what exists, except '
                'perhaps what that call did; run the command again to continue.'
                % (interrupted.forced_during, path))
    if not guard.changed:
        return 'Interrupted before anything was changed in AWS; the state file is as it was.'
    return ('Interrupted: the state file %s was saved and records what exists; run the '
            'command again to continue.' % path)


def _deploy_options(func):
    func = click.option('--stage', default='dev', show_default=True, help=STAGE_HELP)(func)
    func = click.option('--profile', help='AWS profile to use.')(func)
    func = click.option('--api-gateway-stage',
                        help='API Gateway stage to deploy to (default: from config, "api").'
                        )(func)
    func = click.option('--autogen-policy/--no-autogen-policy', default=None,
                        help='Generate the IAM policy from your code (default: from config, '
                             'on), or read .chalice/policy-<stage>.json.')(func)
    return func


@click.command('deploy')
@_deploy_options
@click.option('--connection-timeout', type=int, default=None,
              help='Seconds to wait for AWS connections to open.')
@click.pass_context
def deploy(ctx, stage, profile, api_gateway_stage, autogen_policy, connection_timeout):
    """Deploy your Chalice application to AWS."""
    from chalice.deploy.deployer import deploy as run_deploy

    config = _config(ctx, stage, autogen_policy, api_gateway_stage, connection_timeout)
    _check_state(ctx.obj['project_dir'], stage)
    aws = _aws(ctx, profile, connection_timeout)
    ui = _ui(ctx)
    with _stage_guarded(ctx, stage, ui) as guard:
        run_deploy(config, aws, ui, guard)


@click.command('delete')
@click.option('--stage', default='dev', show_default=True, help=STAGE_HELP)
@click.option('--profile', help='AWS profile to use.')
@click.pass_context
def delete(ctx, stage, profile):
    """Delete every resource deployed for a stage."""
    from chalice.cli.factory import require_project
    from chalice.deploy.deployer import delete as run_delete

    require_project(ctx.obj['project_dir'], stage)
    _check_state(ctx.obj['project_dir'], stage)
    aws = _aws(ctx, profile)
    ui = _ui(ctx)
    with _stage_guarded(ctx, stage, ui) as guard:
        run_delete(ctx.obj['project_dir'], stage, aws, ui, guard)


@click.command('url')
@click.option('--stage', default='dev', show_default=True, help=STAGE_HELP)
@click.pass_context
def url(ctx, stage):
    """Print the URL of the deployed REST API (or HTTP API)."""
    record = rest_api_record(ctx.obj['project_dir'], stage, http_api=True)
    click.echo(record.get('rest_api_url') or record['http_api_url'])


def rest_api_record(project_dir, stage, http_api=False):
    """The stage's ``rest_api`` state record (or, with ``http_api``, its
    ``http_api`` record); an error when none is recorded."""
    from chalice.cli.factory import load_deployed_state

    state = load_deployed_state(project_dir, stage)
    for record in state.resources:
        if record['resource_type'] == 'rest_api' or (
                http_api and record['resource_type'] == 'http_api'):
            return record
    if any(record['resource_type'] == 'http_api' for record in state.resources):
        raise ChaliceError("Chalice stage '%s' is deployed as an HTTP API; API Gateway "
                           'generates SDKs for REST APIs only.' % stage)
    raise ChaliceError("Could not find a record of a Rest API in chalice stage: '%s'" % stage)


@click.command('gen-policy')
@click.option('--filename', default=None,
              help='The source file to analyse (default: app.py and chalicelib/).')
@click.option('--stage', default='dev', show_default=True, help=STAGE_HELP)
@click.pass_context
def gen_policy(ctx, filename, stage):
    """Print the IAM policy chalice deploy generates for the stage's role."""
    import os

    from chalice import policy
    from chalice.deploy.appgraph import generated_policy

    project_dir = ctx.obj['project_dir']
    paths = None
    if filename is not None:
        path = filename if os.path.isabs(filename) else os.path.join(project_dir, filename)
        if not os.path.isfile(path):
            raise ChaliceError('App file does not exist: %s' % filename)
        paths = [path]
    elif not os.path.isfile(os.path.join(project_dir, 'app.py')):
        from chalice.cli.factory import require_project

        # No app.py and no project at all: say so as every other command does.
        require_project(project_dir)
        raise ChaliceError('App file does not exist: %s' % os.path.join(project_dir, 'app.py'))
    # What deploy would generate: autogen on, whatever the config says.
    config = _config(ctx, stage, autogen_policy=True)
    try:
        document = generated_policy(config, paths)
    except SyntaxError as error:
        raise ChaliceError('Cannot analyse %s: syntax error at line %s: %s'
                           % (error.filename, error.lineno, error.msg)) from None
    click.echo(policy.format_policy(document))


@click.group('dev')
def dev():
    """Development and debugging commands (output may change)."""


@dev.command('plan')
@_deploy_options
@click.pass_context
def dev_plan(ctx, stage, profile, api_gateway_stage, autogen_policy):
    """Print the deployment plan without applying it."""
    from chalice.deploy.deployer import plan_application_deploy

    config = _config(ctx, stage, autogen_policy, api_gateway_stage)
    _check_state(ctx.obj['project_dir'], stage)
    aws = _aws(ctx, profile)
    plan, _, _ = plan_application_deploy(config, aws, _ui(ctx))
    lines = plan.describe()
    click.echo('Plan')
    click.echo('====')
    for line in lines:
        click.echo(line)
    mutating = len(plan.mutating_calls)
    click.echo('')
    click.echo('%d AWS call%s would change resources.' % (mutating, '' if mutating == 1
                                                          else 's'))


@dev.command('appgraph')
@_deploy_options
@click.pass_context
def dev_appgraph(ctx, stage, profile, api_gateway_stage, autogen_policy):
    """Print the app's resource graph as a tree."""
    from chalice.deploy.appgraph import build_application
    from chalice.deploy.models import DeploymentPackage
    from chalice.deploy.naming import REGION

    config = _config(ctx, stage, autogen_policy, api_gateway_stage)
    package = DeploymentPackage('deployment.zip', '(not built)')
    # No AWS session here, so no region: a regional certificate's region is
    # checked by the commands that have one (deploy, dev plan).
    application = build_application(config, package, region=REGION)
    click.echo('Application')
    click.echo('===========')
    for line in _tree(application):
        click.echo(line)


def _tree(application):
    lines = ['Application(app_name=%s, stage=%s)' % (application.app_name,
                                                    application.stage)]

    def describe(model):
        name = type(model).__name__
        label = getattr(model, 'resource_name', None) or getattr(model, 'role_arn', '')
        return '%s(%s)' % (name, label)

    def walk(model, prefix, last):
        lines.append('%s%s %s' % (prefix, '└──' if last else '├──', describe(model)))
        children = model.dependencies()
        for index, child in enumerate(children):
            walk(child, prefix + ('    ' if last else '│   '), index == len(children) - 1)
        if not children and getattr(model, 'role', None) is not None and \
                type(model.role).__name__ == 'PreCreatedIAMRole':
            lines.append('%s    └── %s' % (prefix + ('    ' if last else '│   '),
                                          describe(model.role)))

    for index, model in enumerate(application.resources):
        walk(model, '', index == len(application.resources) - 1)
    return lines
