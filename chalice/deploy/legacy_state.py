"""Reading the ``.chalice/deployed.json`` of Chalice before 1.2.

That file holds one section per stage::

    {"dev": {"region": "us-west-2",
             "api_handler_name": "myapp-dev",
             "api_handler_arn": "arn:aws:lambda:...:function:myapp-dev",
             "rest_api_id": "abcd",
             "lambda_functions": {"myapp-dev-foo": {"type": "pure_lambda",
                                                    "arn": "arn:..."}},
             "chalice_version": "1.1.1", "api_gateway_stage": "api",
             "backend": "api"},
     "prod": {...}}

:func:`read_legacy_stage` turns a stage's section into schema 2.0 records
(functions, the REST API, and the EventBridge rule a scheduled function had,
which was named like the function); nothing is written until
:meth:`chalice.deploy.state.DeployedState.finish_conversion` calls
:meth:`LegacyStage.backup` and :meth:`LegacyStage.remove_stage`.  The IAM
role has no record there; the deployer finds it by name.
"""
import json
import os
import shutil

from chalice.errors import StateFileError

LEGACY_FILE = 'deployed.json'
BACKUP_SUFFIX = '.bak'
API_HANDLER = 'api_handler'


def legacy_state_path(project_dir):
    return os.path.join(project_dir, '.chalice', LEGACY_FILE)


class LegacyStage:
    """One stage's section of a legacy ``deployed.json``, as records."""

    def __init__(self, path, stage, records, backend):
        self.path = path
        self.stage = stage
        self.records = records
        self.backend = backend
        self.backup_path = path + BACKUP_SUFFIX

    def backup(self):
        """Copy the legacy file aside (the first backup, of the untouched file, is kept)."""
        if not os.path.exists(self.backup_path):
            temp = self.backup_path + '.tmp'
            shutil.copy2(self.path, temp)
            os.replace(temp, self.backup_path)

    def remove_stage(self):
        """Drop the stage's section; remove the file when no section is left."""
        from chalice.deploy.state import atomic_write

        data = _load(self.path)
        data.pop(self.stage, None)
        if data:
            atomic_write(self.path, json.dumps(data, indent=2, sort_keys=True) + '\n')
        else:
            os.unlink(self.path)


def read_legacy_stage(project_dir, stage):
    """The stage's records from a legacy ``deployed.json``, or None."""
    path = legacy_state_path(project_dir)
    if not os.path.isfile(path):
        return None
    section = _load(path).get(stage)
    if section is None:
        return None
    if not isinstance(section, dict):
        raise StateFileError('The stage %r of %s is not an object. Fix or restore the file; '
                             'it was left untouched.' % (stage, path))
    prefix = _function_prefix(project_dir, stage, section)
    return LegacyStage(path, stage, _records(section, prefix), section.get('backend', 'api'))


def _load(path):
    try:
        with open(path, 'rb') as f:
            data = json.loads(f.read().decode('utf-8'))
    except (OSError, ValueError) as error:
        raise StateFileError('Cannot read the deployed values file %s (%s). Fix or restore it; '
                             'it was left untouched.' % (path, ' '.join(str(error).split()))
                             ) from None
    if not isinstance(data, dict):
        raise StateFileError('The deployed values file %s is not an object with a section per '
                             'stage. Fix or restore it; it was left untouched.' % path)
    return data


def _function_prefix(project_dir, stage, section):
    """``<app>-<stage>-``, what a function's name starts with before its own name."""
    try:
        with open(os.path.join(project_dir, '.chalice', 'config.json')) as f:
            app_name = json.load(f).get('app_name')
    except (OSError, ValueError, AttributeError):
        app_name = None
    if isinstance(app_name, str) and app_name:
        return '%s-%s-' % (app_name, stage)
    handler = section.get('api_handler_name') or _name_of(section.get('api_handler_arn'))
    return '%s-' % handler if handler else ''


def _name_of(function_arn):
    return function_arn.split(':')[6] if isinstance(function_arn, str) and \
        function_arn.count(':') >= 6 else None


def _records(section, prefix):
    records = []
    functions = section.get('lambda_functions') or {}
    if not isinstance(functions, dict):
        functions = {}
    for function_name in sorted(functions):
        entry = functions[function_name]
        if not isinstance(entry, dict) or not entry.get('arn'):
            continue
        name = function_name[len(prefix):] if prefix and function_name.startswith(prefix) \
            else function_name
        records.append({'name': name, 'resource_type': 'lambda_function',
                        'lambda_arn': entry['arn']})
        if entry.get('type') == 'scheduled_event':
            records.append({'name': '%s-event' % name, 'resource_type': 'cloudwatch_event',
                            'rule_name': function_name})
    if section.get('api_handler_arn'):
        records.append({'name': API_HANDLER, 'resource_type': 'lambda_function',
                        'lambda_arn': section['api_handler_arn']})
    api_id = section.get('rest_api_id')
    if api_id:
        region = section.get('region') or ''
        suffix = 'amazonaws.com.cn' if region.startswith('cn-') else 'amazonaws.com'
        records.append({'name': 'rest_api', 'resource_type': 'rest_api', 'rest_api_id': api_id,
                        'rest_api_url': 'https://%s.execute-api.%s.%s/%s/' % (
                            api_id, region, suffix, section.get('api_gateway_stage', 'api'))})
    return records
