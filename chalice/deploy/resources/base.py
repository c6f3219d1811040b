"""The home protocol and the registry the planner dispatches through."""
from dataclasses import dataclass, field
from typing import ClassVar, Optional

_HOMES: dict[str, 'ResourceHome'] = {}


@dataclass
class PlanContext:
    """What the planner knows besides models and state.

    ``known`` holds variable values already known at plan time (ARNs of
    resources that exist); homes add to it through ``SetVar`` steps.
    """

    region: str
    account_id: str
    partition: str = 'aws'
    known: dict = field(default_factory=dict)

    @property
    def dns_suffix(self):
        return 'amazonaws.com.cn' if self.partition == 'aws-cn' else 'amazonaws.com'


class ResourceHome:
    resource_type: ClassVar[Optional[str]] = None

    def read_remote(self, aws, model, record):
        """Current state in AWS for a desired model (None if it doesn't exist).

        ``aws`` has the AWS client's ``call``, ``region``, ``partition`` and
        ``account_id``; from the remote reader it is a
        :class:`~chalice.deploy.reading.ReadSession`, which also offers reads
        shared by many resources.  Homes are read at the same time, on
        several threads: a home keeps no state of its own between calls.
        """
        raise NotImplementedError()

    def read_remote_for_delete(self, aws, record):
        """What deleting a recorded resource needs to know (default: nothing)."""
        return None

    def plan(self, model, record, remote, ctx):
        raise NotImplementedError()

    def plan_delete(self, record, remote, ctx):
        raise NotImplementedError()

    def emit_sam(self, model, ctx):
        """SAM resources for ``model``: ``{logical id: resource fragment}``.

        ``ctx`` is a :class:`chalice.deploy.sam.SAMContext`; fragments are
        deep-merged into the template's ``Resources``, outputs go to
        ``ctx.outputs``.
        """
        from chalice.errors import ChaliceError

        raise ChaliceError('%s resources cannot be packaged for CloudFormation yet'
                           % self.resource_type)

    def emit_terraform(self, model, ctx):
        """Terraform for ``model``: ``{'resource': {type: {label: arguments}}}``.

        ``ctx`` is a :class:`chalice.deploy.terraform.TerraformContext`;
        fragments are merged into the configuration (objects recursively,
        lists appended), outputs go to ``ctx.outputs``.
        """
        from chalice.errors import ChaliceError

        raise ChaliceError('%s resources cannot be packaged for Terraform yet'
                           % self.resource_type)


def register(home_class):
    _HOMES[home_class.resource_type] = home_class()
    return home_class


def has_home(resource_type):
    """Whether this version manages records of ``resource_type``."""
    return resource_type in _HOMES


def home_for(resource_type):
    try:
        return _HOMES[resource_type]
    except KeyError:
        raise ValueError('No deployer support for resource type %r' % resource_type) from None


def record_values(record):
    """A record without its name/type keys, for comparisons."""
    return {k: v for k, v in (record or {}).items() if k not in ('name', 'resource_type')}
