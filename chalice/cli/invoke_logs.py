"""``chalice invoke`` and ``chalice logs``: talk to a deployed Lambda function.

Both find the function by its logical name (``api_handler`` for the routes,
the Python function name or ``name=`` of ``@app.lambda_function()`` and the
event handlers) in the stage's deployed-state file, before any AWS call, and
make their AWS calls in the region of the function's ARN.

botocore/boto3 and the rest of chalice are imported inside the commands.
"""
import sys

import click

from chalice.errors import ChaliceError

STAGE_HELP = 'Name of the Chalice stage.'


class InvokeError(ChaliceError):
    """The invocation failed while working: an AWS error or no reply in time."""

    exit_code = 1


def find_function_arn(project_dir, stage, name):
    """The ``lambda_arn`` of the deployed function ``name`` in ``stage``."""
    from chalice.cli.factory import load_deployed_state

    state = load_deployed_state(project_dir, stage)
    functions = [r for r in state.resources if r['resource_type'] == 'lambda_function']
    for record in functions:
        if record['name'] == name and record.get('lambda_arn'):
            return record['lambda_arn']
    message = 'could not find a lambda function named %s.' % name
    if functions:
        message += " Functions deployed in stage '%s': %s." % (
            stage, ', '.join(sorted(r['name'] for r in functions)))
    raise ChaliceError(message)


def _aws_client(ctx, profile, region=None, **client_options):
    """An AWSClient for ``--profile`` (or the global one), in ``region`` if given."""
    from chalice.awsclient import AWSClient, check_session, create_session

    factory = ctx.obj['factory']
    if profile:
        factory.profile = profile
    profile = factory.profile
    session = create_session(profile)
    if region and session.region_name != region:
        import boto3

        session = boto3.session.Session(profile_name=profile, region_name=region)
    check_session(session)
    return AWSClient(session, **client_options)


# The event types of ``--event-type`` (chalice.localinvoke.EVENT_TYPES; kept
# here too so that this module imports nothing heavy).
EVENT_TYPES = ('s3', 'sns', 'sqs', 'kinesis', 'dynamodb', 'cw')


@click.command('invoke')
@click.option('-n', '--name', required=True,
              help='The logical name of the Lambda function to invoke (the Python function '
                   'name, or the name= given to it); api_handler for the REST API handler.')
@click.option('--profile', help='AWS profile to use.')
@click.option('--stage', default='dev', show_default=True, help=STAGE_HELP)
@click.option('--local', 'local', is_flag=True, default=False,
              help='Run the function here, from the project\'s code, with the stage\'s '
                   'settings, instead of invoking the deployed one (no AWS calls).')
@click.option('--event-type', type=click.Choice(EVENT_TYPES), default=None,
              help='With --local: wrap the payload in this kind of event (default: the '
                   'kind the handler\'s decorator subscribes it to).')
@click.pass_context
def invoke(ctx, name, profile, stage, local, event_type):
    """Invoke a deployed Lambda function (or, with --local, run it here).

    The payload is read from standard input (none when stdin is empty); the
    function's reply is printed to standard output.  When the function
    fails, its error is printed to standard error and the exit code is 1.
    """
    if event_type is not None and not local:
        raise ChaliceError('--event-type needs --local (a deployed function gets the '
                           'payload as it is); add --local or leave --event-type out.')
    if local:
        from chalice.cli.local_cmd import run_function_once

        ctx.exit(run_function_once(ctx.obj['factory'], stage, name, _read_payload(),
                                   event_type))
    from chalice.logs import region_from_arn

    arn = find_function_arn(ctx.obj['project_dir'], stage, name)
    aws = _aws_client(ctx, profile, region_from_arn(arn))
    payload = _read_payload()
    params = {'FunctionName': arn, 'InvocationType': 'RequestResponse'}
    if payload:
        params['Payload'] = payload
    response = _invoke(aws, name, params)
    body = response.get('Payload') or b''
    if response.get('FunctionError'):
        click.echo(body, err=True)
        ctx.exit(1)
    click.echo(body)


def _read_payload():
    stdin = sys.stdin.buffer
    if stdin.isatty():
        click.echo('Reading the payload from standard input (end it with Ctrl-D)...',
                   err=True)
    return stdin.read()


def _invoke(aws, name, params):
    from botocore.exceptions import ReadTimeoutError

    from chalice.awsclient import LAMBDA_INVOKE_READ_TIMEOUT

    try:
        return aws.call('lambda', 'invoke', params)
    except ReadTimeoutError:
        raise InvokeError('Timed out after %d seconds waiting for lambda function %s to '
                          'return.' % (LAMBDA_INVOKE_READ_TIMEOUT, name)) from None
    except ChaliceError as error:
        # Any AWS error from Invoke is a failure of the invocation (exit 1).
        raise InvokeError(str(error)) from error


@click.command('logs')
@click.option('--num-entries', type=click.IntRange(min=1), default=None,
              help='Show only the latest N log entries (default: all).')
@click.option('--include-lambda-messages/--no-include-lambda-messages', default=False,
              help='Include the START, END and REPORT lines written by Lambda itself '
                   '(default: hidden).')
@click.option('--stage', default='dev', show_default=True, help=STAGE_HELP)
@click.option('-n', '--name', default='api_handler', show_default=True,
              help='The logical name of the Lambda function whose logs to show.')
@click.option('-s', '--since', default=None,
              help='Only logs from this time on: ISO 8601 (UTC unless an offset is given, '
                   'e.g. 2024-01-31T12:00:00Z) or relative to now, e.g. 30s, 5m, 2h, 1d, 1w. '
                   'Default: all logs, or the last 10 minutes with --follow.')
@click.option('-f', '--follow/--no-follow', default=False,
              help='Keep polling for new log entries until interrupted with Ctrl-C '
                   '(default: no).')
@click.option('--profile', help='AWS profile to use.')
@click.pass_context
def logs(ctx, num_entries, include_lambda_messages, stage, name, since, follow, profile):
    """Show the CloudWatch logs of a deployed Lambda function.

    Each line is: UTC timestamp, short log-stream id, message.
    """
    from chalice import logs as logs_module

    since_time = logs_module.parse_since(since) if since is not None else None
    arn = find_function_arn(ctx.obj['project_dir'], stage, name)
    aws = _aws_client(ctx, profile, logs_module.region_from_arn(arn))
    group = logs_module.log_group_name(logs_module.function_name_from_arn(arn))

    def missing_group(group_name):
        click.echo('No logs yet: the log group %s does not exist (the function has not '
                   'logged anything)%s.' % (group_name, '; waiting for it' if follow else ''),
                   err=True)

    retriever = logs_module.LogRetriever(aws, group, include_lambda_messages,
                                         missing_group=missing_group)
    try:
        logs_module.display_logs(retriever, click.echo, since=since_time,
                                 num_entries=num_entries, follow=follow)
    except BrokenPipeError:
        # The reader went away (``chalice logs | head``): stop quietly.
        _discard_stdout()
        ctx.exit(0)


def _discard_stdout():
    """Point stdout at /dev/null so flushing it at exit cannot fail again."""
    import os
    import sys

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
