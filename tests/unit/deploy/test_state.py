"""The deployed-state file: loading, refusing bad files, atomic saving."""
import json
import os

import pytest

from chalice.deploy import state as state_module
from chalice.deploy.state import DeployedState, state_file_path
from chalice.errors import StateFileError

ROLE = {'name': 'default-role', 'resource_type': 'iam_role', 'role_name': 'demo-dev',
        'role_arn': 'arn:aws:iam::123456789012:role/demo-dev'}
FUNCTION = {'name': 'api_handler', 'resource_type': 'lambda_function',
            'lambda_arn': 'arn:aws:lambda:us-west-2:123456789012:function:demo-dev'}
API = {'name': 'rest_api', 'resource_type': 'rest_api', 'rest_api_id': 'abc',
       'rest_api_url': 'https://abc.execute-api.us-west-2.amazonaws.com/api/'}


def write_state(project_dir, data, stage='dev'):
    path = state_file_path(str(project_dir), stage)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    raw = data if isinstance(data, bytes) else json.dumps(data).encode('utf-8')
    with open(path, 'wb') as f:
        f.write(raw)
    return path


def test_state_file_path_is_per_stage(tmp_path):
    assert state_file_path(str(tmp_path), 'prod') == os.path.join(
        str(tmp_path), '.chalice', 'deployed', 'prod.json')


def test_missing_file_loads_as_empty_and_is_not_created(tmp_path):
    state = DeployedState.load(str(tmp_path), 'dev')
    assert state.resources == []
    assert state.names() == []
    assert state.path == state_file_path(str(tmp_path), 'dev')
    assert not os.path.exists(state.path)


def test_valid_schema_2_file_loads_records_in_order(tmp_path):
    write_state(tmp_path, {'resources': [ROLE, FUNCTION, API], 'schema_version': '2.0',
                           'backend': 'api'})
    state = DeployedState.load(str(tmp_path), 'dev')
    assert state.names() == ['default-role', 'api_handler', 'rest_api']
    assert state.get('api_handler') == FUNCTION
    assert state.get('nope') is None
    assert state.resource_values('rest_api')['rest_api_id'] == 'abc'
    with pytest.raises(KeyError):
        state.resource_values('nope')
    assert state.backend == 'api'


def test_stages_are_independent(tmp_path):
    write_state(tmp_path, {'resources': [ROLE], 'schema_version': '2.0'}, stage='prod')
    assert DeployedState.load(str(tmp_path), 'dev').resources == []
    assert DeployedState.load(str(tmp_path), 'prod').names() == ['default-role']


def test_get_returns_a_copy(tmp_path):
    state = DeployedState(str(tmp_path / 's.json'), [dict(ROLE)])
    state.get('default-role')['role_name'] = 'changed'
    assert state.get('default-role')['role_name'] == 'demo-dev'


BAD_FILES = [
    pytest.param(b'{"resources": [', id='truncated-json'),
    pytest.param(b'', id='empty-file'),
    pytest.param(b'\xff\xfe\x00garbage', id='not-utf8'),
    pytest.param(b'[]', id='top-level-list'),
    pytest.param(b'{"schema_version": "2.0"}', id='no-resources'),
    pytest.param(b'{"resources": {}, "schema_version": "2.0"}', id='resources-not-list'),
    pytest.param(b'{"resources": ["x"], "schema_version": "2.0"}', id='record-not-object'),
    pytest.param(b'{"resources": [{"resource_type": "iam_role"}], "schema_version": "2.0"}',
                 id='record-without-name'),
    pytest.param(b'{"resources": [{"name": "a"}], "schema_version": "2.0"}',
                 id='record-without-type'),
    pytest.param(b'{"resources": [], "schema_version": "1.0"}', id='old-schema'),
    pytest.param(b'{"resources": []}', id='no-schema-version'),
    pytest.param(b'{"resources": [], "schema_version": 2.0}', id='schema-version-number'),
]


@pytest.mark.parametrize('raw', BAD_FILES)
def test_bad_file_is_refused_naming_the_file_and_left_byte_identical(tmp_path, raw):
    path = write_state(tmp_path, raw)
    before = os.stat(path)
    with pytest.raises(StateFileError) as excinfo:
        DeployedState.load(str(tmp_path), 'dev')
    message = str(excinfo.value)
    assert path in message
    assert '\n' not in message
    with open(path, 'rb') as f:
        assert f.read() == raw
    assert os.stat(path).st_mtime_ns == before.st_mtime_ns
    assert os.listdir(os.path.dirname(path)) == ['dev.json']


def test_unreadable_state_file_is_refused(tmp_path):
    path = write_state(tmp_path, {'resources': [], 'schema_version': '2.0'})
    os.remove(path)
    os.mkdir(path)  # exists, but reading it fails
    with pytest.raises(StateFileError) as excinfo:
        DeployedState.load(str(tmp_path), 'dev')
    assert path in str(excinfo.value)
    assert os.path.isdir(path)


def test_wrong_schema_version_message_names_versions(tmp_path):
    path = write_state(tmp_path, {'resources': [], 'schema_version': '3.0'})
    with pytest.raises(StateFileError) as excinfo:
        DeployedState.load(str(tmp_path), 'dev')
    assert path in str(excinfo.value)
    assert "'3.0'" in str(excinfo.value) and "'2.0'" in str(excinfo.value)


def test_save_writes_the_documented_format(tmp_path):
    state = DeployedState(state_file_path(str(tmp_path), 'dev'))
    state.put(ROLE)
    state.put(FUNCTION)
    state.save()
    with open(state.path) as f:
        data = json.load(f)
    assert data == {'resources': [ROLE, FUNCTION], 'schema_version': '2.0', 'backend': 'api'}
    reloaded = DeployedState.load(str(tmp_path), 'dev')
    assert reloaded.resources == [ROLE, FUNCTION]


def test_put_replaces_in_place_and_remove_forgets(tmp_path):
    state = DeployedState(str(tmp_path / 's.json'))
    state.put(ROLE)
    state.put(FUNCTION)
    state.put(API)
    state.put(dict(FUNCTION, lambda_arn='new'))
    assert state.names() == ['default-role', 'api_handler', 'rest_api']
    assert state.get('api_handler')['lambda_arn'] == 'new'
    state.remove('default-role')
    state.remove('not-there')
    assert state.names() == ['api_handler', 'rest_api']


def test_save_with_no_resources_keeps_an_empty_list(tmp_path):
    path = write_state(tmp_path, {'resources': [ROLE], 'schema_version': '2.0',
                                  'backend': 'api'})
    state = DeployedState.load(str(tmp_path), 'dev')
    state.remove('default-role')
    state.save()
    with open(path) as f:
        assert json.load(f) == {'resources': [], 'schema_version': '2.0', 'backend': 'api'}


def test_save_creates_the_deployed_directory(tmp_path):
    state = DeployedState(state_file_path(str(tmp_path), 'prod'), [ROLE])
    state.save()
    assert os.path.isfile(os.path.join(str(tmp_path), '.chalice', 'deployed', 'prod.json'))


def test_save_renames_a_temp_file_in_the_same_directory(tmp_path, monkeypatch):
    path = write_state(tmp_path, {'resources': [], 'schema_version': '2.0'})
    state = DeployedState.load(str(tmp_path), 'dev')
    state.put(ROLE)
    replaced = []
    real_replace = os.replace

    def spy(src, dst):
        # At rename time the temp file already holds the complete new content.
        with open(src) as f:
            replaced.append((src, dst, json.load(f)))
        return real_replace(src, dst)

    monkeypatch.setattr(state_module.os, 'replace', spy)
    state.save()
    ((src, dst, content),) = replaced
    assert dst == path
    assert os.path.dirname(src) == os.path.dirname(path)
    assert src != path
    assert content['resources'] == [ROLE]
    assert not os.path.exists(src)
    assert os.listdir(os.path.dirname(path)) == ['dev.json']


def _old_file(tmp_path):
    path = write_state(tmp_path, {'resources': [ROLE], 'schema_version': '2.0',
                                  'backend': 'api'})
    with open(path, 'rb') as f:
        return path, f.read()


def _assert_intact(path, old_bytes):
    with open(path, 'rb') as f:
        assert f.read() == old_bytes
    assert os.listdir(os.path.dirname(path)) == [os.path.basename(path)]  # no temp left


def test_failed_rename_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path, old = _old_file(tmp_path)
    state = DeployedState.load(str(tmp_path), 'dev')
    state.put(FUNCTION)

    def broken_replace(src, dst):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(state_module.os, 'replace', broken_replace)
    with pytest.raises(OSError):
        state.save()
    _assert_intact(path, old)


def test_failed_serialisation_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path, old = _old_file(tmp_path)
    state = DeployedState.load(str(tmp_path), 'dev')
    state.put(FUNCTION)

    def broken_dumps(*args, **kwargs):
        raise TypeError('cannot serialise')

    monkeypatch.setattr(state_module.json, 'dumps', broken_dumps)
    with pytest.raises(TypeError):
        state.save()
    monkeypatch.undo()
    _assert_intact(path, old)


def test_failure_half_way_through_writing_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path, old = _old_file(tmp_path)
    state = DeployedState.load(str(tmp_path), 'dev')
    state.put(FUNCTION)
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, f):
            self._f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._f.close()
            return False

        def write(self, data):
            self._f.write(data[:len(data) // 2])
            self._f.flush()
            raise OSError(5, 'I/O error')

    monkeypatch.setattr(state_module.os, 'fdopen',
                        lambda fd, *a, **k: HalfWriter(real_fdopen(fd, *a, **k)))
    with pytest.raises(OSError):
        state.save()
    monkeypatch.undo()
    _assert_intact(path, old)
    assert DeployedState.load(str(tmp_path), 'dev').resources == [ROLE]


def test_save_then_load_round_trips_arbitrary_record_values(tmp_path):
    record = {'name': 'weird', 'resource_type': 'lambda_function', 'lambda_arn': 'ü-☃',
              'extra': {'nested': [1, None, True]}}
    state = DeployedState(state_file_path(str(tmp_path), 'dev'), [record])
    state.save()
    assert DeployedState.load(str(tmp_path), 'dev').resources == [record]


def complete_record(resource_type):
    record = {'name': 'r-%s' % resource_type, 'resource_type': resource_type}
    record.update({field: 'value-of-%s' % field
                   for field in state_module.REQUIRED_FIELDS[resource_type]})
    return record


@pytest.mark.parametrize('resource_type, field', [
    (resource_type, field) for resource_type, fields in state_module.REQUIRED_FIELDS.items()
    for field in fields])
@pytest.mark.parametrize('missing', ['absent', None, ''])
def test_a_record_missing_a_required_field_is_refused(tmp_path, resource_type, field, missing):
    record = complete_record(resource_type)
    if missing == 'absent':
        del record[field]
    else:
        record[field] = missing
    raw = json.dumps({'resources': [ROLE, record], 'schema_version': '2.0'}).encode()
    path = write_state(tmp_path, raw)
    with pytest.raises(StateFileError) as raised:
        DeployedState.load(str(tmp_path), 'dev')
    assert str(raised.value) == (
        'The deployed state file %s is missing the field "%s" in the record of %s (%s). '
        'Restore the file from a backup or add the field; it was left untouched.'
        % (path, field, record['name'], resource_type))
    with open(path, 'rb') as f:
        assert f.read() == raw


def test_complete_records_of_every_type_load_and_other_types_are_not_checked(tmp_path):
    records = [complete_record(t) for t in state_module.REQUIRED_FIELDS]
    records.append({'name': 'future', 'resource_type': 'some_future_type'})
    write_state(tmp_path, {'resources': records, 'schema_version': '2.0'})
    assert DeployedState.load(str(tmp_path), 'dev').resources == records


def test_every_resource_type_with_a_home_lists_its_required_fields():
    """A new resource home needs a REQUIRED_FIELDS row (what delete reads back)."""
    from chalice.deploy.resources import base

    assert set(base._HOMES) <= set(state_module.REQUIRED_FIELDS)
