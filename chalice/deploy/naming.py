"""Names and references in packaged templates (SAM/CloudFormation and Terraform).

The resource homes emit their own resources for ``chalice package``; the
drivers (:mod:`chalice.deploy.sam`, :mod:`chalice.deploy.terraform`) stand
above the homes and assemble the document.  What both sides need to agree
on lives here, and this module imports nothing of the deployer:

* logical ids: :func:`to_logical_id`, :data:`WEBSOCKET_IDS`;
* code locations: where the deployment and layer zips lie beside the template;
* CloudFormation intrinsics: the pseudo parameters, :func:`sub`,
  :func:`function_event`;
* Terraform references: :func:`tf_name`, :func:`tf_ref`, the ``chalice`` data
  sources standing for region, account and partition, :func:`tf_text` (a
  literal string made safe from Terraform's template syntax), and labels
  more than one home uses (:func:`tf_stage_label`).
"""
import os
import re

from chalice.errors import ChaliceError

# -- code locations (the packager writes the zips under these names)



def archive_name(package):
    """The file name of a package's zip beside the template.

    ``chalice package`` writes ``deployment.zip`` and ``layer-deployment.zip``
    (``deployment-arm64.zip`` and so on for functions on the other architecture).
    """
    return os.path.basename(package.path)


def archive_uri(package):
    """``CodeUri``/``ContentUri`` of a package: its zip, next to the template."""
    return './' + archive_name(package)

# -- logical ids

API_HANDLER_ID = 'APIHandler'
# Fixed logical ids of the websocket handlers, whatever the Python function is called.
WEBSOCKET_IDS = {'$connect': 'WebsocketConnect', '$default': 'WebsocketMessage',
                 '$disconnect': 'WebsocketDisconnect'}


def to_logical_id(name):
    """CamelCase of a resource name: ``my_function`` -> ``MyFunction``."""
    parts = [part for part in re.split(r'[^A-Za-z0-9]+', name) if part]
    logical = ''.join(part[0].upper() + part[1:] for part in parts)
    if not logical:
        raise ChaliceError('Cannot derive a CloudFormation logical id from %r' % name)
    return logical


# -- CloudFormation intrinsics

REGION = '${AWS::Region}'
PARTITION = '${AWS::Partition}'
ACCOUNT_ID = '${AWS::AccountId}'


def sub(text):
    """``Fn::Sub`` of ``text``, or the plain text when it has no ``${...}``."""
    return {'Fn::Sub': text} if '${' in text else text


def function_event(ctx, function, model, event_type, properties):
    """A SAM fragment adding one ``Events`` entry to ``function``'s resource."""
    event = {'Type': event_type, 'Properties': properties}
    return {ctx.function_id(function): {'Properties': {'Events': {
        to_logical_id(model.resource_name): event}}}}


# -- Terraform references

DATA_NAME = 'chalice'
TF_REGION = '${data.aws_region.chalice.name}'
TF_ACCOUNT_ID = '${data.aws_caller_identity.chalice.account_id}'
TF_PARTITION = '${data.aws_partition.chalice.partition}'
TF_DNS_SUFFIX = '${data.aws_partition.chalice.dns_suffix}'
_TF_KNOWN = (TF_REGION, TF_ACCOUNT_ID, TF_PARTITION, TF_DNS_SUFFIX)
# ``${`` and ``%{`` open an interpolation or a directive in every Terraform
# string; those that are not one of the references above are doubled.
_TF_ESCAPE = re.compile(r'%%\{|\$\{(?!(?:%s)\})' % '|'.join(
    re.escape(known[2:-1]) for known in _TF_KNOWN))


def tf_name(resource_name):
    """A Terraform block label for a chalice resource name (``default-role`` stays)."""
    label = re.sub(r'[^A-Za-z0-9_-]', '_', resource_name)
    if not re.match(r'[A-Za-z_]', label):
        label = '_' + label
    return label


def tf_ref(resource_type, resource_name, attribute):
    """``${<type>.<label>.<attribute>}`` for a resource of the configuration."""
    return '${%s.%s.%s}' % (resource_type, tf_name(resource_name), attribute)


def tf_address(resource_type, resource_name):
    """``<type>.<label>``, as ``depends_on`` names a resource."""
    return '%s.%s' % (resource_type, tf_name(resource_name))


def tf_text(text):
    """``text`` as a Terraform string that means exactly ``text``.

    Terraform reads every string as a template, so ``${`` and ``%{`` are
    escaped (``$${``, ``%%{``), except the region/account/partition
    references above, which packaging puts into names and ARNs on purpose.
    """
    return _TF_ESCAPE.sub(lambda match: match.group(0)[0] + match.group(0), text)


def tf_module_file(filename):
    """A file beside the configuration, wherever ``terraform`` runs from."""
    return '${path.module}/%s' % filename


def tf_file_hash(filename):
    """The base64 sha256 of a file beside the configuration, as Lambda reports it."""
    return '${filebase64sha256("%s")}' % tf_module_file(filename)


def tf_resources(*entries):
    """A configuration fragment holding ``(type, resource name, arguments)`` entries."""
    fragment = {}
    for resource_type, resource_name, arguments in entries:
        fragment.setdefault(resource_type, {})[tf_name(resource_name)] = arguments
    return {'resource': fragment}


# Parameters whose value is the user's own map: their keys are kept as they are.
_USER_MAPS = ('Variables', 'Tags')


def tf_arguments(params):
    """AWS API parameters as Terraform arguments: ``MemorySize`` -> ``memory_size``.

    The provider names its arguments and blocks after the API's parameters,
    so the deployer's parameter dicts translate key by key (recursively,
    except inside user maps such as environment variables).
    """
    if isinstance(params, list):
        return [tf_arguments(item) for item in params]
    if not isinstance(params, dict):
        return params
    return {_snake(key): value if key in _USER_MAPS else tf_arguments(value)
            for key, value in params.items()}


def _snake(name):
    return re.sub(r'(?<=[a-z0-9])([A-Z])', r'_\1', name).lower()


def tf_stage_label(name):
    """The Terraform label of a websocket API's stage (AWS Chalice's ``websocket_api_stage``)."""
    return '%s_stage' % name
