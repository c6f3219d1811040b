"""The deployed-state file: ``.chalice/deployed/<stage>.json``.

Schema 2.0, as Chalice has always written it::

    {"resources": [{"name": "default-role", "resource_type": "iam_role",
                    "role_name": "...", "role_arn": "..."}, ...],
     "schema_version": "2.0",
     "backend": "api"}

It is written only through :meth:`DeployedState.save`, which writes a temp
file in the same directory, fsyncs it and renames it over the old one
(:func:`chalice.atomicfile.atomic_write`), so the file on disk is always either the old or the
new complete version.  The executor saves after every resource it creates
or deletes.

The format is AWS Chalice's: each record holds at least the fields AWS
Chalice writes for its resource type, so either tool can deploy a stage the
other deployed.  A stage without a state file but with a section in the
single ``.chalice/deployed.json`` of Chalice before 1.2 is read from there
(:mod:`chalice.deploy.legacy_state`) and converted by
:meth:`DeployedState.finish_conversion` when a deploy or delete is about to
change something.
"""
import json
import os

from chalice.atomicfile import atomic_write
from chalice.errors import StateFileError

SCHEMA_VERSION = '2.0'

#: The fields a record of each resource type must have: what deploy and
#: delete read back to find the resource in AWS.  A type not listed here is
#: not checked; add a row for each new resource type.
REQUIRED_FIELDS = {
    'iam_role': ('role_name', 'role_arn'),
    'lambda_function': ('lambda_arn',),
    'lambda_layer': ('layer_version_arn',),
    'rest_api': ('rest_api_id', 'rest_api_url'),
    'websocket_api': ('websocket_api_id', 'websocket_api_url'),
    'cloudwatch_event': ('rule_name',),
    'sqs_event': ('event_uuid',),
    'kinesis_event': ('event_uuid',),
    'dynamodb_event': ('event_uuid',),
    's3_event': ('bucket', 'lambda_arn'),
    'sns_event': ('topic', 'subscription_arn'),
    'domain_name': ('domain_name',),
    'log_group': ('log_group_name',),
    'http_api': ('http_api_id', 'http_api_url'),
}


def state_file_path(project_dir, stage):
    return os.path.join(project_dir, '.chalice', 'deployed', '%s.json' % stage)


class DeployedState:
    """The records of what exists for one stage, in creation order."""

    def __init__(self, path, resources=None, backend='api', legacy=None):
        self.path = path
        self._resources = list(resources or [])
        self.backend = backend
        # name -> rank given to put() for records new in this run (plan order).
        self._ranks = {}
        # The LegacyStage the records were converted from (not yet written).
        self.legacy = legacy

    @classmethod
    def load(cls, project_dir, stage):
        """Read the stage's state; an absent file means nothing is deployed.

        A file that exists but cannot be read or parsed is an error: we
        refuse to deploy over it (and never overwrite it) because we could
        not tell what exists.
        """
        path = state_file_path(project_dir, stage)
        if not os.path.exists(path):
            from chalice.deploy.legacy_state import read_legacy_stage

            legacy = read_legacy_stage(project_dir, stage)
            if legacy is None:
                return cls(path)
            return cls(path, legacy.records, legacy.backend, legacy=legacy)
        try:
            with open(path, 'rb') as f:
                data = json.loads(f.read().decode('utf-8'))
        except (OSError, ValueError) as error:
            raise StateFileError(
                'Cannot read the deployed state file %s (%s). Fix or restore it (it records '
                'which AWS resources exist for stage %r); it was left untouched.'
                % (path, _one_line(error), stage)) from None
        resources = data.get('resources') if isinstance(data, dict) else None
        if not isinstance(resources, list) or not all(
                isinstance(r, dict) and isinstance(r.get('name'), str) and
                isinstance(r.get('resource_type'), str) for r in resources):
            raise StateFileError(
                'The deployed state file %s is not in the expected format (a "resources" list '
                'of records with "name" and "resource_type"). Fix or restore it; it was left '
                'untouched.' % path)
        version = data.get('schema_version')
        if version != SCHEMA_VERSION:
            raise StateFileError(
                'The deployed state file %s has schema_version %r; this version of chalice '
                'reads %r.' % (path, version, SCHEMA_VERSION))
        check_records(path, resources)
        return cls(path, resources, data.get('backend', 'api'))

    @property
    def resources(self):
        return list(self._resources)

    def names(self):
        return [r['name'] for r in self._resources]

    def get(self, name):
        for record in self._resources:
            if record['name'] == name:
                return dict(record)
        return None

    def resource_values(self, name):
        record = self.get(name)
        if record is None:
            raise KeyError(name)
        return record

    def put(self, record, rank=None):
        """Insert or replace a record (keeps creation order).

        A new record goes last; with ``rank`` (its place in the plan), before
        the records added in this run with a higher rank, so that records
        made at the same time are listed in plan order, whichever was made
        first.
        """
        for index, existing in enumerate(self._resources):
            if existing['name'] == record['name']:
                self._resources[index] = dict(record)
                return
        position = len(self._resources)
        if rank is not None:
            self._ranks[record['name']] = rank
            for index, existing in enumerate(self._resources):
                if self._ranks.get(existing['name'], -1) > rank:
                    position = index
                    break
        self._resources.insert(position, dict(record))

    def remove(self, name):
        self._resources = [r for r in self._resources if r['name'] != name]

    def to_dict(self):
        return {
            'resources': self.resources,
            'schema_version': SCHEMA_VERSION,
            'backend': self.backend,
        }

    def save(self):
        """Atomically replace the file with the current records."""
        atomic_write(self.path, json.dumps(self.to_dict(), indent=2, sort_keys=True) + '\n')

    def finish_conversion(self, ui):
        """Write records read from a legacy ``deployed.json`` to this stage's file.

        The legacy file is backed up first and loses the stage's section
        afterwards (it is removed once no section is left).  Does nothing
        when the records did not come from there.
        """
        if self.legacy is None:
            return
        legacy, self.legacy = self.legacy, None
        legacy.backup()
        self.save()
        legacy.remove_stage()
        ui.write('Converted stage %r of %s to %s (backup: %s).'
                 % (legacy.stage, legacy.path, self.path, legacy.backup_path))


def check_records(path, resources):
    """Refuse records that lack a field :data:`REQUIRED_FIELDS` lists for their type."""
    for record in resources:
        for field in REQUIRED_FIELDS.get(record['resource_type'], ()):
            if record.get(field) in (None, ''):
                raise StateFileError(
                    'The deployed state file %s is missing the field "%s" in the record of '
                    '%s (%s). Restore the file from a backup or add the field; it was left '
                    'untouched.' % (path, field, record['name'], record['resource_type']))


def _one_line(error):
    return ' '.join(str(error).split())
