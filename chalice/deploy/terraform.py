"""``chalice package --pkg-format terraform``: the app as a Terraform configuration.

:func:`build_configuration` walks ``Application.ordered()`` and asks each
model's home (:mod:`chalice.deploy.resources`) to ``emit_terraform`` it: a
fragment of the configuration (``{'resource': {type: {label: arguments}}}``)
merged into the document, objects recursively and lists appended (so two
handlers of one bucket share its ``aws_s3_bucket_notification``).  Homes add
outputs to ``ctx.outputs``.

Nothing here calls AWS.  Values only known when Terraform applies become
references: the app graph is built with the region and partition set to
the ``chalice`` data sources (``${data.aws_region.chalice.name}``, ...), and
every :class:`~chalice.deploy.plan.Var` (a function's ARN, a role's ARN,
...) becomes a reference to the resource that has it.  Every other string
is escaped, so a ``${`` in an environment variable stays literal.

The output directory holds ``chalice.tf.json`` and the zips; the zips are
named relative to the configuration's directory (``${path.module}``), so
``cd OUT && terraform apply`` works and OUT can also be used as a module.
Other files in OUT (the user's own ``.tf`` files) are left alone.
"""
import json
import os

from chalice.atomicfile import atomic_write
from chalice.deploy.models import ManagedIAMRole
from chalice.deploy.naming import (
    DATA_NAME,
    TF_ACCOUNT_ID,
    TF_DNS_SUFFIX,
    TF_PARTITION,
    TF_REGION,
    tf_address,
    tf_ref,
    tf_text,
)
from chalice.deploy.plan import Template, Var
from chalice.errors import ChaliceError

CONFIGURATION_FILENAME = 'chalice.tf.json'
AWS_PROVIDER_VERSION = '>= 3.61.0'
# The attribute each kind of placeholder stands for: (resource type, attribute).
_VAR_TARGETS = {
    'lambda_arn': ('aws_lambda_function', 'arn'),
    'role_arn': ('aws_iam_role', 'arn'),
    'layer_version_arn': ('aws_lambda_layer_version', 'arn'),
    'rest_api_id': ('aws_api_gateway_rest_api', 'id'),
    'websocket_api_id': ('aws_apigatewayv2_api', 'id'),
    'http_api_id': ('aws_apigatewayv2_api', 'id'),
    'rule_arn': ('aws_cloudwatch_event_rule', 'arn'),
}
_PSEUDO = {'region': TF_REGION, 'account_id': TF_ACCOUNT_ID, 'partition': TF_PARTITION}


class TerraformContext:
    """What homes need while emitting: references, escaping, outputs.

    ``region``, ``account_id``, ``partition`` and ``dns_suffix`` are the
    references to the ``chalice`` data sources, so the helpers that build
    ARNs and URLs for the planner (which read these attributes of the plan
    context) build the same values for Terraform.
    """

    region = TF_REGION
    account_id = TF_ACCOUNT_ID
    partition = TF_PARTITION
    dns_suffix = TF_DNS_SUFFIX

    def __init__(self):
        self.outputs = {}

    def reference(self, var):
        """``${...}`` for a placeholder of the plan."""
        if var.name in _PSEUDO:
            return _PSEUDO[var.name]
        resource, _, attribute = var.name.partition('.')
        if attribute not in _VAR_TARGETS:
            raise ChaliceError('Cannot express %s in a Terraform configuration' % var.name)
        resource_type, target = _VAR_TARGETS[attribute]
        return tf_ref(resource_type, resource, target)

    def value(self, value):
        """A copy of ``value`` for the configuration: placeholders referenced,
        every other string escaped."""
        if isinstance(value, Var):
            return self.reference(value)
        if isinstance(value, str):
            return tf_text(value)
        if isinstance(value, dict):
            return {self.value(key): self.value(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(item) for item in value]
        if isinstance(value, Template) or (hasattr(value, 'parts') and
                                           hasattr(value, 'render')):
            return ''.join(self.value(part) for part in value.parts)
        return value

    def json_text(self, document):
        """A JSON document (policy, API definition) as one configuration string."""
        return json.dumps(self.value(document), indent=None, sort_keys=True)

    def function_arn(self, function):
        return tf_ref('aws_lambda_function', function.resource_name, 'arn')

    def role_dependencies(self, function):
        """``depends_on`` entries for what must exist before AWS checks the
        function's permissions (its role's policy, when chalice manages it)."""
        if isinstance(function.role, ManagedIAMRole):
            return [tf_address('aws_iam_role_policy', function.role.resource_name)]
        return []


def merge(base, overlay):
    """Merge a fragment into ``base`` in place: objects recursively, lists appended."""
    for key, value in overlay.items():
        current = base.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merge(current, value)
        elif isinstance(value, list) and isinstance(current, list):
            current.extend(value)
        else:
            base[key] = value
    return base


def build_configuration(application):
    """The Terraform JSON configuration (a dict) for an app's resource graph."""
    from chalice.deploy.resources import home_for

    ctx = TerraformContext()
    document = {
        'terraform': {'required_providers': {
            'aws': {'source': 'hashicorp/aws', 'version': AWS_PROVIDER_VERSION},
            'null': {'source': 'hashicorp/null'},
        }},
        'data': {
            'aws_caller_identity': {DATA_NAME: {}},
            'aws_partition': {DATA_NAME: {}},
            'aws_region': {DATA_NAME: {}},
            'null_data_source': {DATA_NAME: {'inputs': {
                'app': tf_text(application.app_name), 'stage': tf_text(application.stage)}}},
        },
        # AWS Chalice always writes ``locals`` (the REST API adds its definition).
        'locals': {},
        'resource': {},
    }
    for model in application.ordered():
        merge(document, home_for(model.resource_type).emit_terraform(model, ctx))
    if ctx.outputs:
        document['output'] = ctx.outputs
    return document


def write_configuration(document, out_dir):
    """Write ``chalice.tf.json`` atomically; other files in ``out_dir`` stay."""
    path = os.path.join(out_dir, CONFIGURATION_FILENAME)
    atomic_write(path, json.dumps(document, indent=2) + '\n')
    return path


def package_app(config, out, ui):
    """``chalice package --pkg-format terraform``: the zip(s) and the configuration."""
    from chalice.deploy.appgraph import build_application
    from chalice.deploy.deployer import build_packages

    if os.path.exists(out) and not os.path.isdir(out):
        raise ChaliceError('The output directory %s exists and is not a directory' % out)
    package, layer = build_packages(config, ui, output_dir=out)
    application = build_application(config, package, layer, region=TF_REGION,
                                    partition=TF_PARTITION)
    document = build_configuration(application)
    write_configuration(document, out)
    return document
