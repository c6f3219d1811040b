"""``chalice generate-sdk`` and ``chalice generate-models``.

``generate-sdk`` asks API Gateway (GetSdk) for the SDK of the REST API the
stage's state file records and unpacks it into a directory;
``generate-models`` prints the app's REST API definition without any AWS
call.  botocore/boto3 are imported only inside the commands.
"""
import json
import os
import re
import shutil
import tempfile

import click

from chalice.errors import ChaliceError

STAGE_HELP = 'Name of the Chalice stage.'
SDK_TYPES = ('javascript',)
# https://<api id>.execute-api.<region>.<dns suffix>/<api gateway stage>/
_REST_API_URL_RE = re.compile(r'^https://[^./]+\.execute-api\.([^./]+)\.[^/]+/([^/]+)/?$')


@click.command('generate-sdk')
@click.option('--sdk-type', type=click.Choice(SDK_TYPES), default='javascript',
              show_default=True, help='The language of the SDK.')
@click.option('--stage', default='dev', show_default=True, help=STAGE_HELP)
@click.option('--profile', help='AWS profile to use.')
@click.argument('outdir', type=click.Path())
@click.pass_context
def generate_sdk(ctx, sdk_type, stage, profile, outdir):
    """Generate an SDK for the deployed REST API into OUTDIR."""
    from chalice.cli.deploy_cmds import rest_api_record
    from chalice.cli.invoke_logs import _aws_client

    record = rest_api_record(ctx.obj['project_dir'], stage)
    if os.path.exists(outdir) and not os.path.isdir(outdir):
        raise ChaliceError('%s is a file; give generate-sdk a directory to write the SDK '
                           'into (it is created when missing).' % outdir)
    region, api_stage = _url_parts(record)
    aws = _aws_client(ctx, profile, region)
    response = aws.call('apigateway', 'get_sdk', {
        'restApiId': record['rest_api_id'], 'stageName': api_stage, 'sdkType': sdk_type},
        ignore_errors=('NotFoundException',))
    if response is None:
        raise ChaliceError(
            "API Gateway has no REST API %s with the stage '%s' that chalice stage '%s' "
            "recorded; run 'chalice deploy --stage %s' to deploy it again."
            % (record['rest_api_id'], api_stage, stage, stage))
    unpack_sdk(response['body'], outdir)


def _url_parts(record):
    """(region, API Gateway stage) of a rest_api record, from its URL."""
    match = _REST_API_URL_RE.match(record.get('rest_api_url') or '')
    if match is None:
        raise ChaliceError('The state file records the REST API URL %r, which is not an '
                           'execute-api URL; run chalice deploy to record it again.'
                           % record.get('rest_api_url'))
    return match.group(1), match.group(2)


def unpack_sdk(data, outdir):
    """Unpack the SDK zip ``data`` into ``outdir``, without its top folder.

    API Gateway puts everything in one folder (``apiGateway-js-sdk/``);
    ``outdir`` receives that folder's contents.  The zip is checked and
    unpacked next to ``outdir`` first: a new ``outdir`` appears complete or
    not at all, and in an existing one each file is replaced whole.
    """
    import io
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except zipfile.BadZipFile as error:
        raise ChaliceError('API Gateway returned an SDK that is not a zip file: %s'
                           % error) from None
    names = [_safe_parts(info.filename) for info in members]
    tops = {parts[0] for parts in names}
    strip = 1 if len(tops) == 1 and all(len(parts) > 1 for parts in names) else 0
    outdir = os.path.abspath(outdir)
    parent = os.path.dirname(outdir)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix='.chalice-sdk-', dir=parent)
    try:
        files = []
        for info, parts in zip(members, names):
            relative = os.path.join(*parts[strip:])
            target = os.path.join(staging, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with archive.open(info) as source, open(target, 'wb') as destination:
                shutil.copyfileobj(source, destination)
            files.append(relative)
        if not os.path.exists(outdir):
            os.chmod(staging, 0o755)
            os.rename(staging, outdir)
            return sorted(files)
        for relative in files:
            target = os.path.join(outdir, relative)
            if os.path.isdir(target):
                raise ChaliceError('Cannot write %s: it is a directory in %s.'
                                   % (relative, outdir))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(os.path.join(staging, relative), target)
        return sorted(files)
    except (NotADirectoryError, FileExistsError) as error:
        raise ChaliceError('Cannot unpack the SDK into %s: %s is a file.'
                           % (outdir, error.filename)) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _safe_parts(name):
    """The path components of a zip member; an unsafe name is an error."""
    parts = [part for part in name.split('/') if part not in ('', '.')]
    if not parts or name.startswith('/') or any(
            part == '..' or '\\' in part or ':' in part for part in parts):
        raise ChaliceError('Refusing to unpack the SDK: unsafe path %r in the zip.' % name)
    return parts


#: ``generate-models --format``: the Swagger 2.0 definition deploy imports, or
#: an OpenAPI 3.0 description (chalice.openapi).
MODEL_FORMATS = ('swagger', 'openapi3')


@click.command('generate-models')
@click.option('--stage', default='dev', show_default=True, help=STAGE_HELP)
@click.option('--format', 'model_format', type=click.Choice(MODEL_FORMATS), default='swagger',
              show_default=True,
              help='swagger: the Swagger 2.0 definition deploy imports; openapi3: an OpenAPI '
                   '3.0 description, with schemas from the views\' type hints.')
@click.pass_context
def generate_models(ctx, stage, model_format):
    """Print the Swagger 2.0 model of the app's REST API as JSON.

    This is the definition ``chalice deploy`` imports into API Gateway, with
    placeholders where deploy puts the region, partition and Lambda ARNs.
    ``--format openapi3`` prints the same API as OpenAPI 3.0, completed with
    the views' docstrings, query parameters and type hints.
    """
    from chalice.cli.deploy_cmds import _config
    from chalice.deploy.appgraph import rest_api_model

    config = _config(ctx, stage)
    if model_format == 'openapi3':
        from chalice.openapi import OpenAPI3Generator

        model = rest_api_model(config, OpenAPI3Generator, base_path=config.api_gateway_stage)
    else:
        model = rest_api_model(config)
    click.echo(json.dumps(model, indent=2))
