"""``chalice.cdk``: a Chalice app as an AWS CDK (v2) construct.

Install the optional dependencies with ``pip install "chalice[cdk]"``
(``chalice[cdkv2]`` is accepted too), then, inside a stack::

    from chalice.cdk import Chalice

    chalice_app = Chalice(self, 'ChaliceApp', source_dir='../runtime',
                          stage_config={'environment_variables': {
                              'APP_TABLE_NAME': table.table_name}})
    table.grant_read_write_data(chalice_app.get_role('DefaultRole'))

The construct packages the app the way ``chalice package`` does, for the
Chalice stage named after the enclosing scope (the stack), with
``stage_config`` merged into that stage's section of
``.chalice/config.json``.  The merge happens in a scratch copy of the
project; the user's own ``config.json`` is never written.  The resulting SAM
template is imported with ``cloudformation_include.CfnInclude`` and the
deployment package (and the layer package of ``automatic_layer``) become
CDK file assets, so ``cdk deploy`` uploads them.

The package is written to ``chalice.out/<construct address>/`` under the
current directory; open its ``sam.json`` to find the logical ids that
:meth:`Chalice.get_resource` and friends take.
"""
import json
import os
import shutil
import sys
import tempfile

try:
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_s3_assets as s3_assets
    from aws_cdk import cloudformation_include as cfn_inc
    from constructs import Construct
except ImportError as _error:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        'chalice.cdk needs the AWS CDK v2 libraries (aws-cdk-lib, constructs): '
        'pip install "chalice[cdk]"') from _error

from chalice.app import ChaliceError
from chalice.deploy.project_package import package_project
from chalice.errors import ChaliceError as _CLIError

__all__ = ['Chalice', 'ChaliceError']

PACKAGE_ROOT = 'chalice.out'
CONFIG_RELPATH = os.path.join('.chalice', 'config.json')
# Directories never copied into the scratch project: version control, caches,
# virtualenvs and build output (the packager reads none of them).
_SKIPPED_DIRS = frozenset([
    '.git', '.hg', '.svn', '__pycache__', 'node_modules', 'cdk.out', PACKAGE_ROOT,
    '.venv', 'venv', '.tox', '.nox', '.pytest_cache', '.mypy_cache', '.ruff_cache',
    '.hypothesis',
])
# Inside .chalice/: deploy records and the dependency cache (shared by a link).
_SKIPPED_CHALICE_DIRS = frozenset(['deployed', 'deployments', 'venv'])
# SAM resource type -> the property naming its local code archive.
_CODE_PROPERTIES = {
    'AWS::Serverless::Function': 'CodeUri',
    'AWS::Serverless::LayerVersion': 'ContentUri',
}


class Chalice(Construct):
    """A Chalice application inside a CDK stack.

    :param scope: the construct scope (usually the stack); its string form
        (the stack's construct path) is the Chalice stage name.
    :param id: the construct id.
    :param source_dir: the Chalice project directory (with ``app.py`` and
        ``.chalice/config.json``).
    :param stage_config: settings merged into the stage's section of the
        config, with the structure of a ``stages.<name>`` entry of
        ``config.json``.  CDK tokens (a table name, a role ARN) may be used
        as values.
    :param preserve_logical_ids: keep the template's logical ids (``True``)
        or let the CDK derive unique ones (pass ``False`` when vending the
        construct in a library).  :meth:`get_resource` always takes the ids
        of the template.
    :raises chalice.ChaliceError: when packaging fails; the message is the
        packager's.
    """

    def __init__(self, scope, id, source_dir, stage_config=None, preserve_logical_ids=True,
                 **kwargs):
        super().__init__(scope, id, **kwargs)
        self.source_dir = os.path.abspath(source_dir)
        self.stage_name = scope.to_string()
        self.stage_config = stage_config
        self._package_dir = os.path.join(os.getcwd(), PACKAGE_ROOT, self.node.addr)
        template = self._package_app()
        self.sam_template = cfn_inc.CfnInclude(
            self, 'ChaliceApp', template_file=os.path.join(self._package_dir, 'sam.json'),
            preserve_logical_ids=preserve_logical_ids)
        self._assets = {}
        self._upload_code_as_assets(template)
        self._roles = {}
        self._functions = {}

    # -- public API -------------------------------------------------------

    def get_resource(self, resource_name):
        """The CDK L1 object of the template's resource ``resource_name``.

        For example ``get_resource('RestAPI')`` is an ``aws_sam.CfnApi``.
        """
        return self.sam_template.get_resource(resource_name)

    def get_role(self, role_name):
        """The IAM role ``role_name`` of the template as an ``iam.IRole``.

        Grants on it (``table.grant_read_write_data(role)``) add a policy to
        the role Chalice created.
        """
        role = self._roles.get(role_name)
        if role is None:
            name = cdk.Token.as_string(self.get_resource(role_name).ref)
            role = iam.Role.from_role_name(self, role_name, name)
            self._roles[role_name] = role
        return role

    def get_function(self, function_name):
        """The Lambda function ``function_name`` as a ``lambda_.IFunction``."""
        function = self._functions.get(function_name)
        if function is None:
            arn = cdk.Token.as_string(self.get_resource(function_name).get_att('Arn'))
            function = lambda_.Function.from_function_attributes(
                self, function_name, function_arn=arn, same_environment=True)
            self._functions[function_name] = function
        return function

    def add_environment_variable(self, key, value, function_name):
        """Set environment variable ``key`` of function ``function_name``."""
        self.get_resource(function_name).add_property_override(
            'Environment.Variables.%s' % key, value)

    # -- packaging --------------------------------------------------------

    def _package_app(self):
        config_path = os.path.join(self.source_dir, CONFIG_RELPATH)
        if not os.path.isfile(config_path):
            raise ChaliceError(
                'No Chalice project in %s: %s is missing. Point source_dir at the directory '
                'holding app.py and .chalice/config.json.' % (self.source_dir, CONFIG_RELPATH))
        sys.stderr.write('Packaging Chalice app for %s\n' % self.stage_name)
        scratch = tempfile.mkdtemp(prefix='chalice-cdk-')
        try:
            project = os.path.join(scratch, 'project')
            _copy_project(self.source_dir, project)
            _write_stage_config(project, self.stage_name, self.stage_config)
            shutil.rmtree(self._package_dir, ignore_errors=True)
            os.makedirs(os.path.dirname(self._package_dir), exist_ok=True)
            try:
                result = package_project(project, self.stage_name, self._package_dir)
            except _CLIError as error:
                raise ChaliceError(str(error)) from None
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        sys.stderr.write(result.output)
        with open(result.template_path, encoding='utf-8') as f:
            return json.load(f)

    def _upload_code_as_assets(self, template):
        """Point every local ``CodeUri``/``ContentUri`` at a CDK file asset."""
        for logical_id, resource in template.get('Resources', {}).items():
            prop = _CODE_PROPERTIES.get(resource.get('Type'))
            location = (resource.get('Properties') or {}).get(prop) if prop else None
            if not isinstance(location, str):
                continue
            asset = self._asset_for(location)
            self.get_resource(logical_id).add_property_override(
                prop, {'Bucket': asset.s3_bucket_name, 'Key': asset.s3_object_key})

    def _asset_for(self, location):
        path = os.path.normpath(os.path.join(self._package_dir, location))
        asset = self._assets.get(path)
        if asset is None:
            name = os.path.splitext(os.path.basename(path))[0]
            construct_id = ''.join(part.capitalize() for part in name.replace('_', '-').split('-'))
            asset = s3_assets.Asset(self, construct_id + 'Asset', path=path)
            self._assets[path] = asset
        return asset


def _copy_project(source, destination):
    """Copy the project, skipping caches; share the dependency cache."""
    def ignore(directory, names):
        skipped = {name for name in names if name in _SKIPPED_DIRS}
        if os.path.basename(directory) == '.chalice':
            skipped.update(name for name in names if name in _SKIPPED_CHALICE_DIRS)
        return skipped

    shutil.copytree(source, destination, symlinks=True, ignore=ignore)
    cache = os.path.join(source, '.chalice', 'deployments')
    try:
        os.makedirs(cache, exist_ok=True)
        os.symlink(cache, os.path.join(destination, '.chalice', 'deployments'),
                   target_is_directory=True)
    except OSError:
        pass  # no links here (or a read-only project): package without the cache


def _write_stage_config(project, stage_name, stage_config):
    """Merge ``stage_config`` into ``stages.<stage_name>`` of the copy's config."""
    if not stage_config:
        return
    if not isinstance(stage_config, dict):
        raise ChaliceError('stage_config must be a dict of Chalice stage settings, not %s'
                           % type(stage_config).__name__)
    path = os.path.join(project, CONFIG_RELPATH)
    with open(path, encoding='utf-8') as f:
        config = json.load(f)
    stages = config.setdefault('stages', {})
    stages[stage_name] = _merged(stages.get(stage_name) or {}, stage_config)
    try:
        text = json.dumps(config, indent=2)
    except TypeError as error:
        raise ChaliceError('stage_config must hold only JSON values (strings, numbers, '
                           'lists, dicts; use token strings for CDK values): %s' % error) from None
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text + '\n')


def _merged(base, overlay):
    """``base`` updated with ``overlay``, merging nested dicts key by key."""
    result = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _merged(result[key], value)
        else:
            result[key] = value
    return result
