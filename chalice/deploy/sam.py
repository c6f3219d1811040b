"""``chalice package``: the app as a SAM (CloudFormation) template.

:func:`build_template` walks ``Application.ordered()`` and asks each model's
home (:mod:`chalice.deploy.resources`) to ``emit_sam`` it: a dict of logical
id -> resource fragment, deep-merged into ``Resources`` (so an event source
can add an ``Events`` entry to its function's resource).  Homes add outputs
to ``ctx.outputs``.

Nothing here calls AWS.  Values only known at deploy time become
CloudFormation intrinsics: the app graph is built with the region and
partition set to ``${AWS::Region}`` and ``${AWS::Partition}``, and every
:class:`~chalice.deploy.plan.Var` (a function's ARN, a role's ARN, ...) is
mapped by :meth:`SAMContext.intrinsic`; a string built from such values
becomes ``Fn::Sub``.
"""
import json
import os
import re
from dataclasses import dataclass, field

from chalice.atomicfile import atomic_write
from chalice.deploy.appgraph import API_HANDLER
from chalice.deploy.models import ManagedIAMRole, WebsocketAPI
from chalice.deploy.naming import (  # noqa: F401 (archive_uri... re-exported)
    ACCOUNT_ID,
    API_HANDLER_ID,
    PARTITION,
    REGION,
    WEBSOCKET_IDS,
    archive_uri,
    function_event,
    sub,
    to_logical_id,
)
from chalice.deploy.plan import Template, Var
from chalice.errors import ChaliceError

TEMPLATE_VERSION = '2010-09-09'
SAM_TRANSFORM = 'AWS::Serverless-2016-10-31'
_PSEUDO = {'region': REGION, 'account_id': ACCOUNT_ID, 'partition': PARTITION}


@dataclass
class SAMContext:
    """What homes need while emitting: logical ids, intrinsics, outputs."""

    function_ids: dict = field(default_factory=dict)
    role_ids: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)

    def function_id(self, function):
        return self.function_ids[function.resource_name]

    def role_id(self, role):
        return self.role_ids.setdefault(role.resource_name, to_logical_id(role.resource_name))

    def role_arn(self, role):
        if isinstance(role, ManagedIAMRole):
            return {'Fn::GetAtt': [self.role_id(role), 'Arn']}
        return role.role_arn

    def function_arn(self, function):
        return {'Fn::GetAtt': [self.function_id(function), 'Arn']}

    # -- placeholders -> intrinsics

    def _sub_name(self, var):
        """The ``${...}`` text of a Var inside ``Fn::Sub``."""
        name = var.name
        if name in _PSEUDO:
            return _PSEUDO[name]
        resource, _, attribute = name.partition('.')
        if attribute == 'lambda_arn' and resource in self.function_ids:
            return '${%s.Arn}' % self.function_ids[resource]
        if attribute == 'role_arn':
            return '${%s.Arn}' % self.role_ids.get(resource, to_logical_id(resource))
        if attribute == 'layer_version_arn':
            return '${%s}' % to_logical_id(resource)
        if attribute == 'rest_api_id':
            return '${RestAPI}'
        if attribute == 'websocket_api_id':
            return '${WebsocketAPI}'
        if attribute == 'http_api_id':
            return '${HttpAPI}'
        raise ChaliceError('Cannot express %s in a CloudFormation template' % name)

    def intrinsic(self, value):
        """A copy of ``value`` with placeholders turned into intrinsics."""
        if isinstance(value, Var):
            text = self._sub_name(value)
            match = re.fullmatch(r'\$\{([A-Za-z0-9]+)\.Arn\}', text)
            if match:
                return {'Fn::GetAtt': [match.group(1), 'Arn']}
            return {'Ref': text[2:-1]}
        if isinstance(value, dict):
            return {key: self.intrinsic(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.intrinsic(item) for item in value]
        if isinstance(value, Template) or (hasattr(value, 'parts') and
                                           hasattr(value, 'render')):
            return sub(''.join(part if isinstance(part, str) else self._sub_name(part)
                               for part in value.parts))
        if isinstance(value, str) and '${AWS::' in value:
            return sub(value)
        return value


def deep_merge(base, overlay):
    """Merge ``overlay`` into ``base`` in place: dicts recursively, the rest replaced."""
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_merge(base[key], value)
        else:
            base[key] = value
    return base


def _context_for(application):
    ctx = SAMContext()
    for model in application.ordered():
        if isinstance(model, WebsocketAPI):
            for key, function in model.routes():
                ctx.function_ids[function.resource_name] = WEBSOCKET_IDS[key]
    for model in application.ordered():
        if model.resource_type != 'lambda_function' or model.resource_name in ctx.function_ids:
            continue
        ctx.function_ids[model.resource_name] = (
            API_HANDLER_ID if model.resource_name == API_HANDLER
            else to_logical_id(model.resource_name))
    owners = {}
    for name, logical_id in ctx.function_ids.items():
        if logical_id in owners and owners[logical_id] != name:
            raise ChaliceError(
                'The functions %r and %r both become the CloudFormation logical id %r; '
                'rename one of them (e.g. with name=...) so the template can hold both.'
                % (owners[logical_id], name, logical_id))
        owners[logical_id] = name
    return ctx


def build_template(application):
    """The SAM template (a dict) for an app's resource graph."""
    from chalice.deploy.resources import home_for

    ctx = _context_for(application)
    resources = {}
    for model in application.ordered():
        home = home_for(model.resource_type)
        deep_merge(resources, home.emit_sam(model, ctx))
    # ``Outputs`` even when empty, as AWS Chalice writes it.
    return {
        'AWSTemplateFormatVersion': TEMPLATE_VERSION,
        'Transform': SAM_TRANSFORM,
        'Outputs': ctx.outputs,
        'Resources': resources,
    }


# -- template files

def load_template_file(path):
    """A JSON or YAML template to merge; ChaliceError if missing or invalid."""
    import yaml

    from chalice.deploy import cfnyaml

    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except OSError as error:
        raise ChaliceError('Cannot read the merge template %s: %s'
                           % (path, error.strerror)) from None
    try:
        if path.endswith('.json'):
            document = json.loads(text)
        else:
            document = cfnyaml.load(text)
    except (ValueError, yaml.YAMLError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else 'invalid'
        raise ChaliceError('The merge template %s is not valid JSON or YAML: %s'
                           % (path, first)) from None
    if not isinstance(document, dict):
        raise ChaliceError('The merge template %s must contain a JSON/YAML object'
                           % path)
    return document


def dump_template(template, template_format='json'):
    if template_format == 'yaml':
        from chalice.deploy import cfnyaml

        return cfnyaml.dump(template)
    return json.dumps(template, indent=2) + '\n'


def template_filename(template_format='json'):
    return 'sam.yaml' if template_format == 'yaml' else 'sam.json'


def write_template(template, out_dir, template_format='json'):
    path = os.path.join(out_dir, template_filename(template_format))
    for other in ('sam.json', 'sam.yaml'):
        stale = os.path.join(out_dir, other)
        if stale != path and os.path.exists(stale):
            os.unlink(stale)  # an earlier run's template in the other format
    atomic_write(path, dump_template(template, template_format))
    return path


# -- chalice package

def _check_packageable(app):
    """Refuse, before building anything, what a template cannot express."""
    from chalice.app import S3EventConfig

    for source in getattr(app, 'event_sources', ()):
        if isinstance(source, S3EventConfig):
            raise ChaliceError(
                'on_s3_event cannot be packaged: CloudFormation cannot configure an existing '
                'bucket; use chalice deploy')


def package_app(config, out, ui, template_format='json', merge_template=None,
                single_file=False):
    """``chalice package``: write the zip(s) and the template to ``out``.

    With ``single_file`` ``out`` is a zip holding the template and the
    deployment package(s) instead of a directory.
    """
    import shutil
    import tempfile
    import zipfile

    from chalice.deploy.appgraph import build_application
    from chalice.deploy.deployer import build_packages

    extra = load_template_file(merge_template) if merge_template else None
    _check_packageable(config.chalice_app)
    if single_file:
        work_dir = tempfile.mkdtemp(prefix='chalice-package-')
    else:
        if os.path.exists(out) and not os.path.isdir(out):
            raise ChaliceError('The output directory %s exists and is not a directory' % out)
        work_dir = out
    try:
        package, layer = build_packages(config, ui, output_dir=work_dir)
        application = build_application(config, package, layer, region=REGION,
                                        partition=PARTITION)
        template = build_template(application)
        if extra is not None:
            deep_merge(template, extra)
        write_template(template, work_dir, template_format)
        if single_file:
            names = sorted(os.listdir(work_dir))
            tmp = out + '.tmp'
            with zipfile.ZipFile(tmp, 'w', zipfile.ZIP_DEFLATED) as archive:
                for name in names:
                    archive.write(os.path.join(work_dir, name), name)
            os.replace(tmp, out)
    finally:
        if single_file:
            shutil.rmtree(work_dir, ignore_errors=True)
    return template
