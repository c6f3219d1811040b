"""Deploy and delete, end to end, with the user-facing output.

``deploy``: build the package -> app graph -> read the recorded and remote
state -> plan -> confirm IAM policy changes -> execute (journaling the
state file) -> print the summary.  ``delete`` is the same without the app.
``plan_only`` stops before executing (``chalice dev plan``).
"""
import os
import sys
from dataclasses import dataclass

from chalice.deploy.appgraph import architectures, build_application
from chalice.deploy.executor import Executor
from chalice.deploy.models import DeploymentPackage
from chalice.deploy.parallel import DEFAULT_WORKERS
from chalice.deploy.planner import PlanContext, plan_delete, plan_deploy
from chalice.deploy.remote import read_remote_state
from chalice.deploy.state import DeployedState
from chalice.errors import ChaliceError


class UI:
    """Where deploy output goes; the CLI passes one bound to click."""

    def __init__(self, out=None, err=None, interactive=None, confirm=None, debug=False):
        self._out = out or sys.stdout
        self._err = err or sys.stderr
        self._interactive = interactive
        self._confirm = confirm
        self._debug = debug

    def write(self, line):
        self._out.write(line + '\n')
        self._out.flush()

    def warning(self, line):
        self._err.write(line + '\n')
        self._err.flush()

    def debug(self, line):
        if self._debug:
            self._err.write('[debug] %s\n' % line)
            self._err.flush()

    @property
    def interactive(self):
        if self._interactive is not None:
            return self._interactive
        return sys.stdin.isatty()

    def confirm(self, prompt):
        if self._confirm is not None:
            return self._confirm(prompt)
        import click

        return click.confirm(prompt, default=True)


@dataclass
class DeployOutcome:
    plan: object
    state: DeployedState


def build_packages(config, ui, output_dir=None):
    """Create the deployment zip (and the managed layer zip) per architecture.

    Returns two dicts keyed by Lambda architecture (``x86_64``/``arm64``),
    one entry for each architecture the app's functions use; the layer dict
    is empty without ``automatic_layer`` (or without dependencies).  Without
    ``output_dir`` the zips stay in the project's package cache (``chalice
    deploy``); with it they are written there (``chalice package``): the
    stage's architecture as ``deployment.zip``/``layer-deployment.zip``,
    another one as ``deployment-<architecture>.zip`` and so on when its
    bytes differ (native dependencies).  Warns once
    when the local Python is not a Lambda runtime.
    """
    from chalice.config import lambda_python_version_warning
    from chalice.deploy import packager

    ui.write('Creating deployment package.')
    warning = lambda_python_version_warning()
    if warning is not None:
        ui.warning(warning)
    project_dir = config.project_dir
    runtime = config.lambda_python_version
    automatic_layer = bool(config.scope(config.chalice_stage, 'api_handler').automatic_layer)
    packages, layers = {}, {}
    for index, architecture in enumerate(architectures(config)):
        suffix = '' if index == 0 else '-' + architecture
        result = packager.create_deployment_package(
            project_dir, runtime, architecture, include_dependencies=not automatic_layer,
            output_dir=output_dir, ui=ui,
            output_name=_with_suffix(packager.DEPLOYMENT_ZIP_NAME, suffix),
            # AWS Chalice's line when the app and its requirements are unchanged.
            on_reuse=_reusing_line(ui) if index == 0 else None)
        packages[architecture] = _same_or_new(packages, result, output_dir)
        if automatic_layer:
            layer_result = packager.create_layer_package(
                project_dir, runtime, architecture, output_dir=output_dir, ui=ui,
                output_name=_with_suffix(packager.LAYER_ZIP_NAME, suffix))
            if layer_result is not None:
                layers[architecture] = _same_or_new(layers, layer_result, output_dir)
    return packages, layers


def _same_or_new(built, result, output_dir):
    """The package for ``result``, or an identical one built for another architecture.

    Without native dependencies (or with the dependencies in a layer) both
    architectures get the same bytes: ``chalice package`` keeps one archive
    instead of two.
    """
    for package in built.values():
        if package.code_sha256 == result.code_sha256:
            if output_dir is not None and package.path != result.path:
                os.unlink(result.path)
            return package
    return DeploymentPackage(result.path, result.code_sha256, result.size)


def _with_suffix(filename, suffix):
    """``deployment.zip`` + ``-arm64`` -> ``deployment-arm64.zip``."""
    stem, extension = os.path.splitext(filename)
    return stem + suffix + extension


def plan_application_deploy(config, aws, ui, guard=None, workers=None):
    package, layer = build_packages(config, ui)
    application = build_application(config, package, layer, region=aws.region,
                                    partition=aws.partition)
    _debug_runtime(application, ui)
    state = DeployedState.load(config.project_dir, config.chalice_stage)
    ctx = PlanContext(region=aws.region, account_id=aws.account_id, partition=aws.partition)
    remote = read_remote_state(aws, application, state, guard, _workers(workers))
    plan = plan_deploy(application, state, remote, ctx)
    return plan, state, ctx


def _workers(workers):
    return DEFAULT_WORKERS if workers is None else workers


def deploy(config, aws, ui, guard=None, workers=None):
    """Deploy the app; ``guard`` (an InterruptGuard) makes signals stop at safe points.

    ``workers``: how many AWS calls are made at the same time (default
    :data:`~chalice.deploy.parallel.DEFAULT_WORKERS`; 1: one after the other).
    """
    plan, state, ctx = plan_application_deploy(config, aws, ui, guard, workers)
    _confirm_policy_changes(plan, ui)
    state.finish_conversion(ui)
    Executor(aws, state, ui, _base_variables(ctx), guard, _workers(workers)).execute(plan)
    write_summary(state, ui)
    _debug_calls(aws, ui)
    return DeployOutcome(plan, state)


def _debug_runtime(application, ui):
    for model in application.ordered():
        if model.resource_type == 'lambda_function':
            ui.debug('Lambda %s: runtime=%s architecture=%s handler=%s memory=%sMB '
                     'timeout=%ss package=%s (%d bytes)'
                     % (model.function_name, model.runtime, model.architecture,
                        model.handler, model.memory_size, model.timeout,
                        model.package.path, model.package.size))


def _debug_calls(aws, ui):
    ui.debug('AWS calls made: %d (%d that change resources)'
             % (len(aws.calls), len(aws.mutating_calls)))


def delete(project_dir, stage, aws, ui, guard=None, workers=None):
    state = DeployedState.load(project_dir, stage)
    if not state.resources:
        ui.write('No resources are recorded for stage %r; nothing to delete.' % stage)
        return DeployOutcome(None, state)
    ctx = PlanContext(region=aws.region, account_id=aws.account_id, partition=aws.partition)
    remote = read_remote_state(aws, None, state, guard, _workers(workers))
    plan = plan_delete(state, remote, ctx)
    state.finish_conversion(ui)
    Executor(aws, state, ui, _base_variables(ctx), guard, _workers(workers)).execute(plan)
    _debug_calls(aws, ui)
    return DeployOutcome(plan, state)


def _base_variables(ctx):
    return {'region': ctx.region, 'account_id': ctx.account_id, 'partition': ctx.partition}


def _confirm_policy_changes(plan, ui):
    """Show added/removed IAM actions and ask before applying them."""
    for step in plan.api_calls:
        details = step.details or {}
        added, removed = details.get('added') or [], details.get('removed') or []
        if not added and not removed:
            continue
        ui.write('Updating IAM policy.')
        ui.write('')
        _list_actions(ui, added, 'added to')
        _list_actions(ui, removed, 'removed from')
        if not ui.interactive:
            ui.write('Not running on a terminal: continuing as if you answered yes.')
            continue
        if not ui.confirm('Would you like to continue? '):
            raise ChaliceError('Deployment cancelled: the IAM policy change was not '
                               'accepted. Nothing was changed.')


def _list_actions(ui, actions, change):
    if not actions:
        return
    ui.write('The following action%s will be %s the execution policy:'
             % ('s' if len(actions) > 1 else '', change))
    ui.write('')
    for action in actions:
        ui.write(action)
    ui.write('')


def _reusing_line(ui):
    return lambda: ui.write('Reusing existing deployment package.')


def write_summary(state, ui):
    ui.write('Resources deployed:')
    for record in state.resources:
        if record['resource_type'] == 'lambda_function':
            ui.write('  - Lambda ARN: %s' % record['lambda_arn'])
        elif record['resource_type'] == 'lambda_layer':
            ui.write('  - Lambda Layer ARN: %s' % record['layer_version_arn'])
    for record in state.resources:
        if record['resource_type'] == 'rest_api':
            ui.write('  - Rest API URL: %s' % record['rest_api_url'])
        elif record['resource_type'] == 'http_api':
            ui.write('  - HTTP API URL: %s' % record['http_api_url'])
        elif record['resource_type'] == 'websocket_api':
            ui.write('  - Websocket API URL: %s' % record['websocket_api_url'])
    _write_domains(state, ui)


def _write_domains(state, ui):
    from chalice.deploy.resources.domain_name import record_urls

    domains = [r for r in state.resources if r['resource_type'] == 'domain_name']
    for record in domains:
        ui.write('  - Custom domain name:')
        ui.write('      HostedZoneId: %s' % record['hosted_zone_id'])
        ui.write('      AliasDomainName: %s' % record['alias_domain_name'])
        ui.write('      DomainName: %s' % record['domain_name'])
        for url in record_urls(record):
            ui.write('      URL: %s' % url)
    if domains:
        ui.write('Route 53 records are not created: point each custom domain name at its '
                 'AliasDomainName (an alias record in HostedZoneId, or a CNAME).')
