"""``chalice generate-pipeline``: write a CloudFormation template for a CD pipeline.

Nothing here calls AWS.  The app name comes from ``.chalice/config.json``
(the app itself is not imported) and the Python version from the running
interpreter, as for ``chalice package``.  Files are written whole or not at
all (a temporary file renamed into place).
"""
import os

import click

from chalice.errors import ChaliceError

VERSION_HELP = ('Which version of the pipeline template to generate: v1 (the default, '
                'kept for compatibility) or v2 (recommended).')
IMAGE_HELP = ('The CodeBuild image to build with (default: the CodeBuild standard image '
              'for your Python version).')
SOURCE_HELP = ("Where the source comes from: 'codecommit' (the default) creates a "
               "CodeCommit repository; 'github' uses an existing GitHub repository.")
BUILDSPEC_HELP = ('Write the buildspec to this file (commit it at the root of your '
                  'repository) instead of inlining it in the template.')


@click.command('generate-pipeline')
@click.option('--pipeline-version', default='v1', show_default=True, metavar='[v1|v2]',
              help=VERSION_HELP)
@click.option('-i', '--codebuild-image', help=IMAGE_HELP)
@click.option('-s', '--source', default='codecommit', show_default=True,
              metavar='[codecommit|github]', help=SOURCE_HELP)
@click.option('-b', '--buildspec-file', help=BUILDSPEC_HELP)
@click.argument('filename')
@click.pass_context
def generate_pipeline(ctx, pipeline_version, codebuild_image, source, buildspec_file, filename):
    """Generate a CloudFormation template for a starter CD pipeline.

    The template (JSON) is written to FILENAME; deploy it with
    "aws cloudformation deploy --template-file FILENAME --stack-name NAME
    --capabilities CAPABILITY_IAM".
    """
    import json

    from chalice import __version__
    from chalice.config import load_config_file
    from chalice.pipeline import (
        PIPELINE_VERSIONS,
        SOURCES,
        PipelineParameters,
        create_buildspec,
        create_pipeline_template,
        dump_buildspec,
        local_python_version,
    )

    _check_choice('--pipeline-version', pipeline_version, PIPELINE_VERSIONS)
    _check_choice('--source', source, SOURCES)
    if codebuild_image is not None and not codebuild_image.strip():
        raise ChaliceError('--codebuild-image must not be empty: give an image name such '
                           'as aws/codebuild/amazonlinux2-x86_64-standard:5.0.')
    project_dir = ctx.obj['project_dir']
    _check_writable_file(filename, 'FILENAME')
    if buildspec_file is not None:
        _check_writable_file(buildspec_file, '--buildspec-file')
        if os.path.abspath(buildspec_file) == os.path.abspath(filename):
            raise ChaliceError('--buildspec-file and FILENAME are the same file; give the '
                               'buildspec its own name, e.g. buildspec.yml.')
    config = load_config_file(project_dir)
    app_name = config.get('app_name')
    if not isinstance(app_name, str) or not app_name:
        raise ChaliceError('%s has no "app_name"; add the name of your app to it.'
                           % os.path.join('.chalice', 'config.json'))
    major, minor = (int(part) for part in __version__.split('.')[:2])
    params = PipelineParameters(
        app_name=app_name, python_version=local_python_version(),
        pipeline_version=pipeline_version, source=source, codebuild_image=codebuild_image,
        buildspec_file=_repository_path(buildspec_file, project_dir) if buildspec_file else None,
        chalice_version_range='>=%d.%d.0,<%d.0.0' % (major, minor, major + 1))
    template = create_pipeline_template(params)
    if buildspec_file is not None:
        _write_atomically(buildspec_file, dump_buildspec(create_buildspec(params)))
    _write_atomically(filename, json.dumps(template, indent=2) + '\n')


def _check_choice(option, value, choices):
    if value not in choices:
        raise ChaliceError('Invalid value for %s: %r; use %s.'
                           % (option, value, ' or '.join(choices)))


def _check_writable_file(path, what):
    if os.path.isdir(path):
        raise ChaliceError('%s %s is a directory; give the path of a file to write.'
                           % (what, path))
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ChaliceError('%s %s cannot be written: the directory %s does not exist.'
                           % (what, path, parent))


def _repository_path(path, project_dir):
    """``path`` as CodeBuild sees it: relative to the repository root.

    The project directory is taken as the root of the repository; a file
    outside it is looked up by its base name.
    """
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute, project_dir)
    if relative.startswith(os.pardir + os.sep) or relative == os.pardir:
        relative = os.path.basename(absolute)
    return relative.replace(os.sep, '/')


def _write_atomically(path, text):
    from chalice.atomicfile import atomic_write

    try:
        atomic_write(path, text)
    except OSError as error:
        raise ChaliceError('Could not write %s: %s' % (path, error.strerror or error)) from None
