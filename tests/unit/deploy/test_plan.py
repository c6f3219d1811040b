"""The plan as data: placeholders, their resolution, describe()."""
import dataclasses
import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalice.deploy import swagger
from chalice.deploy.plan import (
    APICall,
    Digest,
    FileContents,
    ForgetResource,
    JSONDocument,
    Message,
    Plan,
    RecordResource,
    SetVar,
    Template,
    Var,
    canonical_json,
    resolve,
    sha256_of,
    try_resolve,
)

VARS = {'role.arn': 'arn:aws:iam::1:role/r', 'api.id': 'abc123', 'count': 7}


def lookup(var):
    return VARS[var.name]


def test_var_resolves_through_lookup():
    assert resolve(Var('role.arn'), lookup) == 'arn:aws:iam::1:role/r'


def test_var_str_is_a_dollar_brace_marker():
    assert str(Var('a.b')) == '${a.b}'


def test_template_renders_literals_and_vars_including_non_strings():
    template = Template(('https://', Var('api.id'), '.example/', Var('count'), '/'))
    assert resolve(template, lookup) == 'https://abc123.example/7/'
    assert str(template) == 'https://${api.id}.example/${count}/'


def test_template_may_hold_a_digest_and_a_nested_template():
    inner = Template(('x-', Var('api.id')))
    template = Template(('id-', Digest(inner), '-', inner))
    expected_digest = hashlib.sha256(json.dumps('x-abc123').encode()).hexdigest()
    assert resolve(template, lookup) == 'id-%s-x-abc123' % expected_digest


def test_file_contents_are_read_when_resolved(tmp_path):
    path = tmp_path / 'code.zip'
    path.write_bytes(b'first')
    value = {'Code': {'ZipFile': FileContents(str(path))}}
    path.write_bytes(b'\x00second')  # read at resolve time, not when planned
    assert resolve(value, lookup) == {'Code': {'ZipFile': b'\x00second'}}


def test_json_document_is_canonical_json_text_with_vars_resolved():
    document = JSONDocument({'b': [Var('api.id')], 'a': {'z': 1, 'y': Var('role.arn')}})
    text = resolve(document, lookup)
    assert text == '{"a":{"y":"arn:aws:iam::1:role/r","z":1},"b":["abc123"]}'


def test_json_document_as_bytes():
    assert resolve(JSONDocument({'k': Var('count')}, as_bytes=True), lookup) == b'{"k":7}'


def test_digest_is_sha256_hex_of_the_canonical_json_of_the_resolved_value():
    value = {'uri': Template(('arn:', Var('role.arn'))), 'n': [1, 2]}
    expected = hashlib.sha256(
        b'{"n":[1,2],"uri":"arn:arn:aws:iam::1:role/r"}').hexdigest()
    assert resolve(Digest(value), lookup) == expected


def test_containers_are_copied_recursively_and_keep_their_types():
    value = {'list': [Var('count'), {'t': (Var('api.id'), 'lit')}], 'n': None, 'b': True}
    result = resolve(value, lookup)
    assert result == {'list': [7, {'t': ('abc123', 'lit')}], 'n': None, 'b': True}
    assert isinstance(result['list'][1]['t'], tuple)
    # The input still holds its placeholders.
    assert value['list'][0] == Var('count')


def test_swagger_templates_resolve_through_the_render_protocol():
    uri = swagger.lambda_invoke_uri('aws', 'us-west-2', Var('role.arn'))
    result = resolve({'paths': {'/': {'uri': uri}}}, lookup)
    assert result['paths']['/']['uri'] == (
        'arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/'
        'arn:aws:iam::1:role/r/invocations')


def test_every_placeholder_kind_nested_in_one_request(tmp_path):
    path = tmp_path / 'z'
    path.write_bytes(b'zip')
    params = {
        'Role': Var('role.arn'),
        'Code': {'ZipFile': FileContents(str(path))},
        'Policy': JSONDocument({'Resource': Template(('arn:', Var('api.id'), '/*'))}),
        'Sid': Template(('sid-', Digest([Var('count')]))),
        'Nested': [{'deep': (Var('count'),)}],
    }
    assert resolve(params, lookup) == {
        'Role': 'arn:aws:iam::1:role/r',
        'Code': {'ZipFile': b'zip'},
        'Policy': '{"Resource":"arn:abc123/*"}',
        'Sid': 'sid-' + hashlib.sha256(b'[7]').hexdigest(),
        'Nested': [{'deep': (7,)}],
    }


def test_try_resolve_with_every_var_known():
    known = {'a': 'A', 'b': 'B'}
    value = {'x': Template(('<', Var('a'), '>')), 'y': [Var('b')]}
    assert try_resolve(value, known) == {'x': '<A>', 'y': ['B']}


@pytest.mark.parametrize('value', [
    Var('missing'),
    {'x': [Var('a'), Var('missing')]},
    Template(('pre-', Var('missing'))),
    swagger.lambda_invoke_uri('aws', 'us-east-1', Var('missing')),
    {'doc': {'uri': swagger.lambda_invoke_uri('aws', 'us-east-1', Var('missing'))}},
    Digest({'k': Var('missing')}),
])
def test_try_resolve_returns_none_when_a_var_is_unknown(value):
    assert try_resolve(value, {'a': 'A'}) is None


def test_try_resolve_of_plain_data_returns_it():
    assert try_resolve({'a': [1, 'x', None]}, {}) == {'a': [1, 'x', None]}


def test_digest_is_deterministic_and_ignores_key_order():
    first = {'b': 1, 'a': {'y': [1, 2], 'x': 'v'}}
    second = {'a': {'x': 'v', 'y': [1, 2]}, 'b': 1}
    assert resolve(Digest(first), lookup) == resolve(Digest(second), lookup)
    assert resolve(Digest(first), lookup) == sha256_of(second)
    assert resolve(Digest(first), lookup) != sha256_of({'b': 1, 'a': {'y': [2, 1], 'x': 'v'}})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=12)


@settings(max_examples=60, deadline=None)
@given(json_values)
def test_digest_matches_sha256_of_canonical_json(value):
    expected = hashlib.sha256(canonical_json(value).encode('utf-8')).hexdigest()
    assert resolve(Digest(value), lookup) == expected == sha256_of(value)
    assert try_resolve(value, {}) == value


def test_plan_describe_renders_each_step_kind():
    plan = Plan()
    plan.add(
        Message('Hello'),
        APICall('iam', 'create_role', {'RoleName': 'r',
                                       'Doc': JSONDocument({'a': 1})},
                outputs={'role.arn': 'Role.Arn'}),
        SetVar('x.id', Template(('id-', Var('api.id')))),
        RecordResource('default-role', 'iam_role', {'role_arn': Var('role.arn')}),
        APICall('lambda', 'create_function', {'Code': {'ZipFile': FileContents('/p/z.zip')},
                                              'Role': Var('role.arn')}),
        ForgetResource('old'),
    )
    assert plan.describe() == [
        '# Hello',
        'iam.create_role({"Doc": "<JSON document>", "RoleName": "r"})',
        'set x.id = id-${api.id}',
        'record default-role (iam_role)',
        'lambda.create_function({"Code": {"ZipFile": "<contents of /p/z.zip>"}, '
        '"Role": "${role.arn}"})',
        'forget old',
    ]


def test_plan_describe_truncates_long_parameters():
    plan = Plan([APICall('s', 'put_thing', {'Big': 'x' * 500})])
    (line,) = plan.describe()
    assert line.startswith('s.put_thing({"Big": "xxx')
    assert line.endswith('...)')
    assert len(line) == len('s.put_thing()') + 200


def test_mutating_calls_excludes_reads():
    reads = [APICall('iam', 'get_role'), APICall('iam', 'list_role_policies'),
             APICall('logs', 'describe_log_groups')]
    writes = [APICall('iam', 'create_role'), APICall('lambda', 'put_function_concurrency'),
              APICall('lambda', 'delete_function'), APICall('lambda', 'tag_resource')]
    plan = Plan()
    plan.add(reads[0], Message('m'), writes[0], reads[1], writes[1], SetVar('a', 1),
             writes[2], reads[2], writes[3], ForgetResource('x'))
    assert plan.mutating_calls == writes
    assert plan.api_calls == [reads[0], writes[0], reads[1], writes[1], writes[2], reads[2],
                              writes[3]]
    assert all(not call.mutating for call in reads)


def test_steps_are_frozen_values():
    call = APICall('iam', 'get_role', {'RoleName': 'r'})
    with pytest.raises(dataclasses.FrozenInstanceError):
        call.method = 'delete_role'
    assert call == APICall('iam', 'get_role', {'RoleName': 'r'})
