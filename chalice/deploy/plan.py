"""The plan: an ordered list of steps, as plain data.

The planner produces a :class:`Plan`; the executor runs it.  Values that
are only known while executing (the ARN of a role created two steps
earlier, say) are :class:`Var` placeholders, and strings built from them
are :class:`Template` values.  Both are resolved by the executor just
before a call is made.
"""
import json
from dataclasses import dataclass, field
from typing import Any, Optional

from chalice.constants import READ_PREFIXES


@dataclass(frozen=True)
class Var:
    """A value produced earlier in the plan (or known from the start).

    Names look like ``'<resource name>.<attribute>'``, e.g.
    ``'default-role.role_arn'``, or ``'region'``/``'account_id'``/``'partition'``.
    """

    name: str

    def __str__(self):
        return '${%s}' % self.name


@dataclass(frozen=True)
class Template:
    """A string made of literal parts and placeholders, rendered later."""

    parts: tuple

    def render(self, resolve):
        return ''.join(p if isinstance(p, str) else str(resolve(p)) for p in self.parts)

    def __str__(self):
        return ''.join(str(p) for p in self.parts)


@dataclass(frozen=True)
class FileContents:
    """The bytes of a file, read when the call is made (deployment zips)."""

    path: str


@dataclass(frozen=True)
class JSONDocument:
    """A dict/list tree sent as a JSON string (policies, API definitions)."""

    document: Any
    as_bytes: bool = False


@dataclass(frozen=True)
class Digest:
    """The sha256 (hex) of a value's canonical JSON, computed when resolved."""

    value: Any


@dataclass(frozen=True)
class APICall:
    """One AWS API call: ``aws.call(service, method, params)``.

    ``outputs`` maps a variable name to a dotted path into the response,
    e.g. ``{'default-role.role_arn': 'Role.Arn'}``.  ``message`` is printed
    before the call.  Errors whose code is in ``ignore_errors`` are treated
    as success (used when deleting things that may already be gone).
    ``region`` names another region than the deployment's, for a resource
    that answers only in its own region (an SNS topic); None is the
    deployment's region.
    """

    service: str
    method: str
    params: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)
    message: Optional[str] = None
    ignore_errors: tuple = ()
    # Extra facts for the user, e.g. the policy actions added/removed.
    details: dict = field(default_factory=dict)
    region: Optional[str] = None

    @property
    def mutating(self):
        return not self.method.startswith(READ_PREFIXES)


@dataclass(frozen=True)
class SetVar:
    """Make a value known under ``name`` for later steps."""

    name: str
    value: Any


@dataclass(frozen=True)
class RecordResource:
    """Write the resource's record into the state file (journaled at once)."""

    name: str
    resource_type: str
    values: dict


@dataclass(frozen=True)
class ForgetResource:
    """Remove the resource's record from the state file (journaled at once)."""

    name: str


@dataclass(frozen=True)
class Message:
    """A line for the user that is not tied to one API call."""

    text: str


@dataclass
class StepGroup:
    """The steps for one resource, which the executor runs in order.

    Groups run at the same time unless one must wait for another: a group
    comes after the groups named in ``after`` (the resources its resource
    depends on), after the groups producing a variable it uses, after
    earlier groups sharing a key in ``keys`` (the things it changes that
    others change too: a function's resource policy, a bucket's
    notification configuration), and after every earlier group when
    ``barrier`` is set (then every later group comes after it too).
    """

    name: Optional[str]
    steps: list
    after: tuple = ()
    keys: frozenset = frozenset()
    barrier: bool = False


@dataclass
class Plan:
    steps: list = field(default_factory=list)
    groups: list = field(default_factory=list)

    def __post_init__(self):
        if self.steps and not self.groups:
            self.groups = [StepGroup(None, list(self.steps), barrier=True)]

    def add(self, *steps):
        """Add steps that run after everything before them (and before everything after)."""
        self.steps.extend(steps)
        if steps:
            self.groups.append(StepGroup(None, list(steps), barrier=True))

    def add_group(self, name, steps, after=(), keys=()):
        """Add the steps for resource ``name``, which comes after the resources ``after``."""
        self.steps.extend(steps)
        if steps:
            self.groups.append(StepGroup(name, list(steps), tuple(after), frozenset(keys)))

    @property
    def api_calls(self):
        return [s for s in self.steps if isinstance(s, APICall)]

    @property
    def mutating_calls(self):
        return [s for s in self.api_calls if s.mutating]

    def describe(self):
        """Human-readable lines, as ``chalice dev plan`` prints them."""
        lines = []
        for step in self.steps:
            if isinstance(step, APICall):
                params = json.dumps(_printable(step.params), sort_keys=True)
                if len(params) > 200:
                    params = params[:197] + '...'
                where = '@%s' % step.region if step.region else ''
                lines.append('%s%s.%s(%s)' % (step.service, where, step.method, params))
            elif isinstance(step, SetVar):
                lines.append('set %s = %s' % (step.name, _printable(step.value)))
            elif isinstance(step, RecordResource):
                lines.append('record %s (%s)' % (step.name, step.resource_type))
            elif isinstance(step, ForgetResource):
                lines.append('forget %s' % step.name)
            elif isinstance(step, Message):
                lines.append('# %s' % step.text)
        return lines


def _printable(value):
    if isinstance(value, dict):
        return {k: _printable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_printable(v) for v in value]
    if isinstance(value, (Var, Template)):
        return str(value)
    if isinstance(value, FileContents):
        return '<contents of %s>' % value.path
    if isinstance(value, JSONDocument):
        return '<JSON document>'
    return value


def variables_in(value, found=None):
    """The names of the variables ``value`` holds (anywhere inside it)."""
    found = set() if found is None else found
    if isinstance(value, Var):
        found.add(value.name)
    elif isinstance(value, dict):
        for item in value.values():
            variables_in(item, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            variables_in(item, found)
    elif isinstance(value, JSONDocument):
        variables_in(value.document, found)
    elif isinstance(value, Digest):
        variables_in(value.value, found)
    elif hasattr(value, 'render') and hasattr(value, 'parts'):
        variables_in(tuple(value.parts), found)
    return found


def resolve(value, lookup):
    """Deep-copy ``value`` replacing every placeholder via ``lookup(var)``."""
    if isinstance(value, Var):
        return lookup(value)
    if isinstance(value, Template):
        return value.render(lambda part: resolve(part, lookup))
    if isinstance(value, FileContents):
        with open(value.path, 'rb') as f:
            return f.read()
    if isinstance(value, JSONDocument):
        text = canonical_json(resolve(value.document, lookup))
        return text.encode('utf-8') if value.as_bytes else text
    if isinstance(value, Digest):
        return sha256_of(resolve(value.value, lookup))
    if isinstance(value, dict):
        return {k: resolve(v, lookup) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, lookup) for v in value]
    if isinstance(value, tuple):
        return tuple(resolve(v, lookup) for v in value)
    if hasattr(value, 'render') and hasattr(value, 'parts'):
        # Templates from chalice.deploy.swagger share this protocol.
        return value.render(lambda part: resolve(part, lookup))
    return value


def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(',', ':'))


def sha256_of(value):
    import hashlib

    return hashlib.sha256(canonical_json(value).encode('utf-8')).hexdigest()


def try_resolve(value, known):
    """Resolve with the variables already known at plan time, or None."""
    missing = []

    def lookup(var):
        if var.name in known:
            return known[var.name]
        missing.append(var.name)
        return str(var)

    result = resolve(value, lookup)
    return None if missing else result
