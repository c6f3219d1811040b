"""``chalice new-project``: create a project directory from a template.

Templates live in ``chalice/templates/<project-type>/``.  Every file there
ends in ``.tmpl`` (so tools never mistake a template for code of this
package); the suffix is dropped when the file is copied and ``{{app_name}}``
and ``{{chalice_version}}`` are substituted in its text.

The project is built in a temporary directory beside the target and renamed
into place at the end, so a failure never leaves a half-made project.
"""
import os
import re
import shutil
import sys
import tempfile

import click

from chalice import __version__
from chalice.errors import ChaliceError

TEMPLATES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             'templates')
TEMPLATE_SUFFIX = '.tmpl'
DEFAULT_PROJECT_TYPE = 'legacy'

# Project type -> one-line description shown by the interactive prompt.
PROJECT_TYPES = {
    'legacy': 'Hello world REST API (the classic new-project app)',
    'rest-api': 'REST API with a few routes and tests',
    's3-event-handler': 'Lambda function that handles S3 object-created events, with tests',
    'lambda-only': 'Plain Lambda functions without an API, with tests',
    'cdk-ddb': '[CDK] REST API with DynamoDB backend (needs chalice[cdk]), with tests',
}

_VALID_NAME = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*$')


def stdin_is_interactive():
    """Return True when we may prompt the user.  Tests patch this."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def validate_project_name(name):
    """Return ``name`` if it is usable as a project directory and app name.

    Raises :class:`ChaliceError` (exit code 2) otherwise.
    """
    if not name or not name.strip():
        raise ChaliceError('The project name must not be empty.')
    if '/' in name or '\\' in name or (os.altsep and os.altsep in name):
        raise ChaliceError(
            'Invalid project name {!r}: it must be a directory name, not a path.'.format(name))
    if not _VALID_NAME.match(name):
        raise ChaliceError(
            'Invalid project name {!r}: use only letters, digits, "_", "-" and ".", '
            'and do not start with "." or "-".'.format(name))
    return name


def render_template(template_text, app_name):
    """Substitute the project-specific values into one template file."""
    return (template_text
            .replace('{{app_name}}', app_name)
            .replace('{{chalice_version}}', __version__))


def template_files(project_type):
    """Yield ``(source_path, relative_output_path)`` for a project type."""
    root = os.path.join(TEMPLATES_DIR, project_type)
    if not os.path.isdir(root):
        raise ChaliceError('Project template not found: {}'.format(project_type))
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != '__pycache__')
        for filename in sorted(filenames):
            if not filename.endswith(TEMPLATE_SUFFIX):
                continue
            source = os.path.join(dirpath, filename)
            relative = os.path.relpath(source, root)[:-len(TEMPLATE_SUFFIX)]
            yield source, relative


def create_project(project_name, project_type=DEFAULT_PROJECT_TYPE, parent_dir=None):
    """Create ``<parent_dir>/<project_name>`` from a template; return its path.

    ``parent_dir`` defaults to the current directory.  Raises
    :class:`ChaliceError` for a bad name, an unknown type or an existing
    directory; in every failure case the target is left untouched.
    """
    validate_project_name(project_name)
    if project_type not in PROJECT_TYPES:
        raise ChaliceError('Unknown project type: {}'.format(project_type))
    parent_dir = os.path.abspath(parent_dir or os.getcwd())
    target = os.path.join(parent_dir, project_name)
    if os.path.isdir(target):
        raise ChaliceError('Directory already exists: {}'.format(project_name))
    if os.path.lexists(target):
        raise ChaliceError('A file with the project name already exists: {}'.format(project_name))
    staging = tempfile.mkdtemp(prefix='.{}.'.format(project_name), suffix='.tmp', dir=parent_dir)
    try:
        _fill_project(staging, project_name, project_type)
        os.chmod(staging, _directory_mode())
        if os.path.lexists(target):
            raise ChaliceError('Directory already exists: {}'.format(project_name))
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _fill_project(destination, project_name, project_type):
    for source, relative in template_files(project_type):
        output = os.path.join(destination, relative)
        os.makedirs(os.path.dirname(output), exist_ok=True)
        with open(source, encoding='utf-8') as f:
            text = render_template(f.read(), project_name)
        with open(output, 'w', encoding='utf-8', newline='\n') as f:
            f.write(text)


def _directory_mode():
    """The mode ``mkdir`` would give a new directory under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


def _resolve_project_type(answer):
    """The project type named by ``answer``: a type's name or its number."""
    names = list(PROJECT_TYPES)
    answer = answer.strip()
    if answer in PROJECT_TYPES:
        return answer
    if answer.isdigit() and 1 <= int(answer) <= len(names):
        return names[int(answer) - 1]
    raise ChaliceError('Unknown project type {!r}: choose one of {} (or its number, 1-{}).'
                       .format(answer, ', '.join(names), len(names)))


def _ask(text, **kwargs):
    """``click.prompt``, except that Ctrl-C stays a KeyboardInterrupt (exit 130).

    click turns both Ctrl-C and end of input into ``click.Abort``; only the
    exception it was raised from tells them apart.
    """
    try:
        return click.prompt(text, **kwargs)
    except click.Abort as abort:
        if isinstance(abort.__context__, KeyboardInterrupt):
            click.echo(err=True)
            raise KeyboardInterrupt() from None
        raise


def _checked(check):
    def value_proc(value):
        try:
            return check(value)
        except ChaliceError as error:
            raise click.BadParameter(str(error)) from None
    return value_proc


def _prompt_for_project_name():
    return _ask('What is the name of your project?',
                value_proc=_checked(lambda value: validate_project_name(value.strip())))


def _prompt_for_project_type():
    names = list(PROJECT_TYPES)
    click.echo('Select your project type:')
    for number, name in enumerate(names, start=1):
        click.echo('  {}) {} - {}'.format(number, name, PROJECT_TYPES[name]))
    default = str(names.index(DEFAULT_PROJECT_TYPE) + 1)
    return _ask('Project type (number or name)', default=default,
                value_proc=_checked(_resolve_project_type))


def _read_piped_answers(want_type):
    """Name (first line) and, if ``want_type``, type (second line) from stdin.

    Without a terminal nothing is prompted for: the answers are read as
    they are, and a bad one is an error instead of a question asked again.
    """
    name = sys.stdin.readline().strip()
    if not name:
        raise click.UsageError(
            'A project name is required: chalice new-project PROJECT_NAME (or give the '
            'name, and the type on a second line, on stdin)')
    project_type = None
    if want_type:
        answer = sys.stdin.readline().strip()
        project_type = _resolve_project_type(answer) if answer else None
    return validate_project_name(name), project_type


@click.command('new-project')
@click.argument('project_name', required=False)
@click.option('-t', '--project-type', type=click.Choice(list(PROJECT_TYPES)), default=None,
              help='The template to start from (default: {}).'.format(DEFAULT_PROJECT_TYPE))
@click.option('--profile', help='The AWS profile to use (accepted for compatibility).')
def new_project(project_name, project_type, profile):
    """Create a new Chalice project named PROJECT_NAME.

    Without PROJECT_NAME, asks for the name and the project type (on a
    terminal), or reads them from the first two lines of stdin.
    """
    if project_name is None:
        if stdin_is_interactive():
            project_name = _prompt_for_project_name()
            if project_type is None:
                project_type = _prompt_for_project_type()
        else:
            project_name, piped_type = _read_piped_answers(want_type=project_type is None)
            project_type = project_type or piped_type
    create_project(project_name, project_type or DEFAULT_PROJECT_TYPE)
    click.echo('Your project has been generated in ./{}'.format(project_name))
