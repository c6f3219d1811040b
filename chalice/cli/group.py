"""The ``chalice`` command line interface.

The top-level click group lives here, together with the one place where
errors escaping a command are turned into a short message and an exit code.

Start-up is kept cheap on purpose: ``chalice --version`` and ``chalice
--help`` import neither botocore/boto3 nor any command's module.  Commands
are listed in :data:`COMMANDS` and their modules are imported only when the
command actually runs (or when its own ``--help`` is requested).

Exit codes: 0 success, 1 failure while working, 2 bad usage or bad input,
130 interrupted with Ctrl-C.
"""
import importlib
import os
import sys
import traceback

import click

from chalice.cli import version_string  # noqa: F401 (re-exported)
from chalice.errors import ChaliceError

# The command table: ``name -> (module, attribute, short help)``.
#
# Adding a command takes two steps:
#   1. write ``chalice/cli/<module>.py`` defining a ``click.Command`` (or a
#      ``click.Group`` for commands with subcommands, such as ``dev``) and
#      keep its module-level imports cheap -- import botocore/boto3 and heavy
#      chalice modules inside the command function;
#   2. add one row below.  The short help is what ``chalice --help`` shows
#      without importing the module, so keep it in sync with the docstring.
#
# A command gets the shared state from ``ctx.obj`` (a dict): ``project_dir``
# (absolute path), ``debug`` (bool) and ``factory`` (a
# :class:`chalice.cli.factory.CLIFactory`; set ``factory.profile`` from a
# ``--profile`` option before asking it for sessions).  Raise a
# :class:`chalice.errors.ChaliceError` subclass for anything the user must
# fix; the group prints it as ``Error: <message>`` and exits with its code.
COMMANDS = {
    'new-project': ('chalice.cli.newproj', 'new_project',
                    'Create a new Chalice project.'),
    'local': ('chalice.cli.local_cmd', 'local', 'Run a local HTTP server for your app.'),
    'deploy': ('chalice.cli.deploy_cmds', 'deploy', 'Deploy your Chalice application to AWS.'),
    'delete': ('chalice.cli.deploy_cmds', 'delete',
               'Delete every resource deployed for a stage.'),
    'url': ('chalice.cli.deploy_cmds', 'url', 'Print the URL of the deployed REST API.'),
    'gen-policy': ('chalice.cli.deploy_cmds', 'gen_policy',
                   'Print the IAM policy generated from your code.'),
    'dev': ('chalice.cli.deploy_cmds', 'dev',
            'Development and debugging commands (output may change).'),
    'invoke': ('chalice.cli.invoke_logs', 'invoke', 'Invoke a deployed Lambda function.'),
    'logs': ('chalice.cli.invoke_logs', 'logs',
             'Show the CloudWatch logs of a deployed Lambda function.'),
    'package': ('chalice.cli.package_cmd', 'package',
                'Generate a deployment package and a SAM template for CloudFormation.'),
    'generate-pipeline': ('chalice.cli.pipeline_cmd', 'generate_pipeline',
                          'Generate a CloudFormation template for a starter CD pipeline.'),
    'generate-sdk': ('chalice.cli.generate_cmds', 'generate_sdk',
                     'Generate an SDK for the deployed REST API into OUTDIR.'),
    'generate-models': ('chalice.cli.generate_cmds', 'generate_models',
                        "Print the Swagger 2.0 model of the app's REST API as JSON."),
}

DEBUG_HINT = 'Run the command again with --debug to see the full traceback.'


def _print_version(ctx, param, value):
    if not value or ctx.resilient_parsing:
        return
    click.echo(version_string())
    ctx.exit(0)


class LazyCommandGroup(click.Group):
    """A click group whose commands are imported on first use.

    Commands registered with ``add_command`` behave as usual; names found
    only in the lazy table are imported when click asks for them.  Every
    command runs under :meth:`invoke`, which owns the CLI's error handling.
    """

    def __init__(self, *args, lazy_commands=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_commands = COMMANDS if lazy_commands is None else lazy_commands

    def list_commands(self, ctx):
        return sorted(set(self.commands) | set(self.lazy_commands))

    def get_command(self, ctx, cmd_name):
        command = self.commands.get(cmd_name)
        if command is not None:
            return command
        entry = self.lazy_commands.get(cmd_name)
        if entry is None:
            return None
        module_name, attr_name = entry[0], entry[1]
        return getattr(importlib.import_module(module_name), attr_name)

    def format_commands(self, ctx, formatter):
        """List commands with their short help, importing none of them."""
        names = self.list_commands(ctx)
        if not names:
            return
        rows = []
        limit = formatter.width - 6 - max(len(name) for name in names)
        for name in names:
            command = self.commands.get(name)
            if command is not None:
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            else:
                rows.append((name, self.lazy_commands[name][2]))
        if rows:
            with formatter.section('Commands'):
                formatter.write_dl(rows)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            raise click.exceptions.Exit(130) from None
        except ChaliceError as error:
            _report_chalice_error(error, _debug_enabled(ctx))
            raise click.exceptions.Exit(error.exit_code) from None
        except Exception as error:
            _report_unexpected_error(error, _debug_enabled(ctx))
            raise click.exceptions.Exit(1) from None


def _debug_enabled(ctx):
    obj = ctx.obj if isinstance(ctx.obj, dict) else {}
    return bool(obj.get('debug', ctx.params.get('debug', False)))


def _report_chalice_error(error, debug):
    if debug:
        user_traceback = getattr(error, 'user_traceback', None)
        click.echo(user_traceback or traceback.format_exc(), err=True, nl=False)
    for line in getattr(error, 'problems', None) or [str(error)]:
        click.echo('{}{}'.format(error.prefix, line), err=True)


def _report_unexpected_error(error, debug):
    if debug:
        click.echo(traceback.format_exc(), err=True, nl=False)
    message = ' '.join(str(error).split())
    summary = type(error).__name__ + (': ' + message if message else '')
    click.echo('Error: {}'.format(summary), err=True)
    if not debug:
        click.echo(DEBUG_HINT, err=True)


def _configure_debug_logging():
    import logging
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter('%(asctime)s %(name)s %(levelname)s %(message)s'))
    logger = logging.getLogger('chalice')
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


@click.group('chalice', cls=LazyCommandGroup,
             context_settings={'help_option_names': ['-h', '--help']})
@click.option('--version', is_flag=True, expose_value=False, is_eager=True,
              callback=_print_version, help='Show the chalice version and exit.')
@click.option('--project-dir', type=click.Path(file_okay=False),
              help='The project directory.  Defaults to the current directory.')
@click.option('--debug/--no-debug', default=False,
              help='Print debug logs and full tracebacks on error.')
@click.pass_context
def cli(ctx, project_dir, debug):
    """Create, run, deploy and manage Chalice applications."""
    from chalice.cli.factory import CLIFactory

    project_dir = os.path.abspath(project_dir if project_dir is not None else os.getcwd())
    os.environ['AWS_CHALICE_CLI_MODE'] = 'true'
    if debug:
        _configure_debug_logging()
    obj = ctx.ensure_object(dict)
    obj['project_dir'] = project_dir
    obj['debug'] = debug
    obj['factory'] = CLIFactory(project_dir, debug=debug)


def main():
    """Console-script entry point for ``chalice``."""
    return cli.main(obj={}, prog_name='chalice')
