"""``chalice deploy``, ``delete``, ``url``, ``gen-policy`` and ``dev plan/appgraph``.

Kept thin: parse options, build objects through the factory, call the
deployer, print.  botocore/boto3 are imported only inside the commands.
"""
import sys

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
    aws = _aws(ctx, profile, connection_timeout)
    run_deploy(config, aws, _ui(ctx))


@click.command('delete')
@click.option('--stage', default='dev', show_default=True, help=STAGE_HELP)
@click.option('--profile', help='AWS profile to use.')
@click.pass_context
def delete(ctx, stage, profile):
    """Delete every resource deployed for a stage."""
    from chalice.cli.factory import require_project
    from chalice.deploy.deployer import delete as run_delete

    require_project(ctx.obj['project_dir'], stage)
    aws = _aws(ctx, profile)
    run_delete(ctx.obj['project_dir'], stage, aws, _ui(ctx))


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
@click.pass_context
def gen_policy(ctx, filename):
    """Print the IAM policy generated from your code."""
    import os

    from chalice import policy

    project_dir = ctx.obj['project_dir']
    if filename is not None:
        path = filename if os.path.isabs(filename) else os.path.join(project_dir, filename)
        if not os.path.isfile(path):
            raise ChaliceError('App file does not exist: %s' % filename)
    elif not os.path.isfile(os.path.join(project_dir, 'app.py')):
        from chalice.cli.factory import require_project

        # No app.py and no project at all: say so as every other command does.
        require_project(project_dir)
        raise ChaliceError('App file does not exist: %s' % os.path.join(project_dir, 'app.py'))
    try:
        if filename is not None:
            document = policy.generate_policy(
                policy.analyzer.get_client_calls_for_files([path]))
        else:
            document = policy.policy_from_project(project_dir)
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

    config = _config(ctx, stage, autogen_policy, api_gateway_stage)
    package = DeploymentPackage('deployment.zip', '(not built)')
    application = build_application(config, package)
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
