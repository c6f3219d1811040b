"""Tests for chalice.proxy: HTTP <-> API Gateway REST proxy conversion."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalice import proxy
from chalice.proxy import (
    HTTPResponse,
    LambdaContext,
    build_proxy_event,
    is_binary_media_type,
    proxy_response_to_http,
    validate_proxy_response,
)
from chalice.routing import MatchResult, RouteMatcher

EVENT_KEYS = {
    'resource', 'path', 'httpMethod', 'headers', 'multiValueHeaders',
    'queryStringParameters', 'multiValueQueryStringParameters', 'pathParameters',
    'stageVariables', 'requestContext', 'body', 'isBase64Encoded',
}
CONTEXT_KEYS = {
    'resourceId', 'resourcePath', 'httpMethod', 'extendedRequestId', 'requestTime',
    'path', 'accountId', 'protocol', 'stage', 'domainPrefix', 'requestTimeEpoch',
    'requestId', 'identity', 'domainName', 'apiId',
}
IDENTITY_KEYS = {
    'cognitoIdentityPoolId', 'accountId', 'cognitoIdentityId', 'caller', 'sourceIp',
    'principalOrgId', 'accessKey', 'cognitoAuthenticationType',
    'cognitoAuthenticationProvider', 'userArn', 'userAgent', 'user',
}
ROOT = MatchResult('/', {})


def event_for(method='GET', path='/', query_string='', headers=(), body=b'',
              match=ROOT, **kwargs):
    return build_proxy_event(method=method, path=path, query_string=query_string,
                             headers=list(headers), body=body, match=match, **kwargs)


def decoded_body(event):
    if event['body'] is None:
        return b''
    if event['isBase64Encoded']:
        return base64.b64decode(event['body'])
    return event['body'].encode('utf-8')


# ---------------------------------------------------------------------------
# Event shape
# ---------------------------------------------------------------------------

def test_event_has_exactly_the_rest_proxy_shape():
    match = RouteMatcher(['/users/{user_id}']).match('/users/42')
    event = event_for('GET', '/users/42', 'a=1', [('User-Agent', 'curl/8'),
                                                   ('Host', 'localhost:8000')],
                      b'hello', match)
    assert set(event) == EVENT_KEYS
    assert event['resource'] == '/users/{user_id}'
    assert event['path'] == '/users/42'
    assert event['httpMethod'] == 'GET'
    assert isinstance(event['headers'], dict)
    assert all(isinstance(v, list) for v in event['multiValueHeaders'].values())
    assert event['pathParameters'] == {'user_id': '42'}
    assert event['stageVariables'] is None
    assert event['body'] == 'hello'
    assert event['isBase64Encoded'] is False

    ctx = event['requestContext']
    assert set(ctx) == CONTEXT_KEYS
    assert set(ctx['identity']) == IDENTITY_KEYS
    assert ctx['resourcePath'] == '/users/{user_id}'
    assert ctx['httpMethod'] == 'GET'
    assert ctx['protocol'] == 'HTTP/1.1'
    assert ctx['stage'] == 'api'
    assert ctx['path'] == '/api/users/42'
    assert ctx['accountId'] == proxy.DEFAULT_ACCOUNT_ID
    assert ctx['apiId'] == proxy.DEFAULT_API_ID
    assert isinstance(ctx['requestTimeEpoch'], int)
    for key in ('resourceId', 'extendedRequestId', 'requestTime', 'requestId',
                'domainName', 'domainPrefix'):
        assert isinstance(ctx[key], str) and ctx[key], key
    identity = ctx['identity']
    assert identity['sourceIp'] == '127.0.0.1'
    assert identity['userAgent'] == 'curl/8'
    unknown = IDENTITY_KEYS - {'sourceIp', 'userAgent'}
    assert all(identity[key] is None for key in unknown)
    json.dumps(event)  # JSON-serialisable, like the real payload


def test_method_is_upper_cased():
    assert event_for('post')['httpMethod'] == 'POST'
    assert event_for('post')['requestContext']['httpMethod'] == 'POST'


def test_path_is_passed_through_raw():
    match = RouteMatcher(['/u/{name}']).match('/u/a%2Fb%20c')
    event = event_for(path='/u/a%2Fb%20c', match=match)
    assert event['path'] == '/u/a%2Fb%20c'
    assert event['pathParameters'] == {'name': 'a/b c'}
    assert event['requestContext']['path'] == '/api/u/a%2Fb%20c'


def test_stage_changes_request_context_path():
    event = event_for(path='/x', match=MatchResult('/x', {}), stage='dev')
    assert event['requestContext']['stage'] == 'dev'
    assert event['requestContext']['path'] == '/dev/x'


def test_custom_source_ip_account_and_api_id():
    event = event_for(source_ip='10.1.2.3', account_id='999', api_id='abc')
    assert event['requestContext']['identity']['sourceIp'] == '10.1.2.3'
    assert event['requestContext']['accountId'] == '999'
    assert event['requestContext']['apiId'] == 'abc'


def test_path_parameters_none_when_nothing_captured():
    assert event_for()['pathParameters'] is None


def test_path_parameters_are_a_copy():
    captured = {'id': '1'}
    event = event_for(path='/u/1', match=MatchResult('/u/{id}', captured))
    event['pathParameters']['id'] = 'x'
    assert captured == {'id': '1'}


def test_greedy_path_parameter_is_named_proxy():
    match = RouteMatcher(['/files/{proxy+}']).match('/files/a/b')
    event = event_for(path='/files/a/b', match=match)
    assert event['resource'] == '/files/{proxy+}'
    assert event['pathParameters'] == {'proxy': 'a/b'}


def test_stage_variables():
    assert event_for(stage_variables={'env': 'dev'})['stageVariables'] == {'env': 'dev'}
    assert event_for(stage_variables=None)['stageVariables'] is None
    assert event_for(stage_variables={})['stageVariables'] is None


def test_authorizer_only_present_when_given():
    assert 'authorizer' not in event_for()['requestContext']
    event = event_for(authorizer={'principalId': 'user', 'claims': {'a': 1}})
    assert event['requestContext']['authorizer'] == {'principalId': 'user',
                                                     'claims': {'a': 1}}


def test_request_id_given_or_random_uuid4():
    assert event_for(request_id='req-1')['requestContext']['requestId'] == 'req-1'
    first = event_for()['requestContext']['requestId']
    second = event_for()['requestContext']['requestId']
    assert first != second
    assert uuid.UUID(first).version == 4


def test_request_time_format_matches_epoch():
    before = int(time.time() * 1000)
    ctx = event_for()['requestContext']
    after = int(time.time() * 1000)
    assert before <= ctx['requestTimeEpoch'] <= after
    assert re.fullmatch(r'\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000', ctx['requestTime'])
    parsed = datetime.strptime(ctx['requestTime'], '%d/%b/%Y:%H:%M:%S %z')
    as_ms = int(parsed.timestamp() * 1000)
    assert as_ms <= ctx['requestTimeEpoch'] < as_ms + 1000


def test_request_time_uses_english_month_names():
    when = datetime(2026, 11, 21, 13, 32, 0, tzinfo=timezone.utc)
    assert proxy._format_request_time(when) == '21/Nov/2026:13:32:00 +0000'
    assert proxy._format_request_time(when.replace(month=1, day=2)) == \
        '02/Jan/2026:13:32:00 +0000'


def test_resource_id_is_stable_per_route():
    a1 = event_for(path='/a', match=MatchResult('/a', {}))['requestContext']['resourceId']
    a2 = event_for(path='/a/', match=MatchResult('/a', {}))['requestContext']['resourceId']
    b = event_for(path='/b', match=MatchResult('/b', {}))['requestContext']['resourceId']
    assert a1 == a2 != b


@pytest.mark.parametrize('host, domain, prefix', [
    ('localhost:8000', 'localhost', 'localhost'),
    ('abc123.execute-api.us-east-1.amazonaws.com', 'abc123.execute-api.us-east-1.amazonaws.com',
     'abc123'),
    ('[::1]:8000', '[::1]', '[::1]'),
    (None, 'localhost', 'localhost'),
])
def test_domain_name_from_host_header(host, domain, prefix):
    headers = [('Host', host)] if host else []
    ctx = event_for(headers=headers)['requestContext']
    assert ctx['domainName'] == domain
    assert ctx['domainPrefix'] == prefix


# ---------------------------------------------------------------------------
# Headers
# ---------------------------------------------------------------------------

def test_headers_none_when_no_headers():
    event = event_for(headers=[])
    assert event['headers'] is None
    assert event['multiValueHeaders'] is None
    assert event['requestContext']['identity']['userAgent'] is None


def test_headers_keep_case_and_last_value_wins():
    event = event_for(headers=[('X-Thing', 'one'), ('Accept', '*/*'), ('X-Thing', 'two')])
    assert event['headers'] == {'X-Thing': 'two', 'Accept': '*/*'}
    assert event['multiValueHeaders'] == {'X-Thing': ['one', 'two'], 'Accept': ['*/*']}


def test_user_agent_header_lookup_is_case_insensitive():
    event = event_for(headers=[('user-agent', 'HTTPie/3')])
    assert event['requestContext']['identity']['userAgent'] == 'HTTPie/3'


# ---------------------------------------------------------------------------
# Query strings
# ---------------------------------------------------------------------------

def test_no_query_string_gives_none():
    event = event_for(query_string='')
    assert event['queryStringParameters'] is None
    assert event['multiValueQueryStringParameters'] is None


def test_query_string_blank_values_kept():
    event = event_for(query_string='a=&b=1&c')
    assert event['queryStringParameters'] == {'a': '', 'b': '1', 'c': ''}
    assert event['multiValueQueryStringParameters'] == {'a': [''], 'b': ['1'], 'c': ['']}


def test_query_string_multi_values_last_wins():
    event = event_for(query_string='x=1&y=2&x=3')
    assert event['queryStringParameters'] == {'x': '3', 'y': '2'}
    assert event['multiValueQueryStringParameters'] == {'x': ['1', '3'], 'y': ['2']}


def test_query_string_is_percent_and_plus_decoded():
    event = event_for(query_string='q=a+b%26c&%C3%A9=%2F')
    assert event['queryStringParameters'] == {'q': 'a b&c', '\u00e9': '/'}


def test_query_string_leading_question_mark_is_tolerated():
    assert event_for(query_string='?a=1')['queryStringParameters'] == {'a': '1'}


def test_query_string_with_only_separators_gives_none():
    assert event_for(query_string='&&')['queryStringParameters'] is None


# ---------------------------------------------------------------------------
# Bodies
# ---------------------------------------------------------------------------

def test_empty_body_is_none():
    event = event_for(body=b'')
    assert event['body'] is None
    assert event['isBase64Encoded'] is False


def test_text_body_is_utf8_text():
    body = '{"name": "caf\u00e9"}'.encode('utf-8')
    event = event_for(body=body, headers=[('Content-Type', 'application/json')])
    assert event['body'] == '{"name": "caf\u00e9"}'
    assert event['isBase64Encoded'] is False


def test_binary_content_type_is_base64_encoded():
    body = b'\x89PNG\r\n\x1a\n\x00\xff'
    event = event_for(body=body, headers=[('Content-Type', 'image/png')],
                      binary_types=['image/png'])
    assert event['isBase64Encoded'] is True
    assert base64.b64decode(event['body']) == body


def test_binary_type_even_for_valid_utf8_bytes():
    event = event_for(body=b'plain', headers=[('Content-Type', 'application/octet-stream')],
                      binary_types=['application/octet-stream'])
    assert event['isBase64Encoded'] is True
    assert event['body'] == base64.b64encode(b'plain').decode('ascii')


def test_binary_type_match_ignores_parameters_and_case():
    event = event_for(body=b'x', headers=[('content-type', 'Application/X-Tar; charset=utf-8')],
                      binary_types=['application/x-tar'])
    assert event['isBase64Encoded'] is True


def test_non_binary_content_type_stays_text():
    event = event_for(body=b'x', headers=[('Content-Type', 'text/plain')],
                      binary_types=['image/png'])
    assert event['isBase64Encoded'] is False
    assert event['body'] == 'x'


def test_invalid_utf8_is_base64_encoded_regardless_of_type():
    body = b'\xff\xfe\xfd'
    event = event_for(body=body, headers=[('Content-Type', 'text/plain')])
    assert event['isBase64Encoded'] is True
    assert base64.b64decode(event['body']) == body


def test_binary_types_wildcards():
    assert is_binary_media_type('image/png', ['image/*'])
    assert is_binary_media_type('text/plain', ['*/*'])
    assert not is_binary_media_type('text/plain', ['image/*'])
    assert not is_binary_media_type(None, ['*/*'])
    assert not is_binary_media_type('', ['image/png'])


@settings(max_examples=200, deadline=None)
@given(st.binary(), st.sampled_from(['image/png', 'text/plain', 'application/json', None]))
def test_body_round_trips_through_event(body, content_type):
    headers = [('Content-Type', content_type)] if content_type else []
    event = event_for(body=body, headers=headers, binary_types=['image/png'])
    assert decoded_body(event) == body
    assert isinstance(event['isBase64Encoded'], bool)
    if body and content_type == 'image/png':
        assert event['isBase64Encoded'] is True
    json.dumps(event)


# ---------------------------------------------------------------------------
# Responses
# ---------------------------------------------------------------------------

def test_simple_response():
    result = proxy_response_to_http({
        'statusCode': 201, 'headers': {'Content-Type': 'application/json'},
        'body': '{"ok": true}'})
    assert result == HTTPResponse(201, [('Content-Type', 'application/json')],
                                  b'{"ok": true}')


def test_response_does_not_add_content_length_or_server():
    result = proxy_response_to_http({'statusCode': 200, 'headers': {}, 'body': 'abc'})
    # Only API Gateway's default Content-Type is added; the server adds the rest.
    assert result.headers == [('Content-Type', 'application/json')]
    assert result.body == b'abc'


def test_response_body_is_utf8_encoded():
    result = proxy_response_to_http({'statusCode': 200, 'body': 'caf\u00e9 \u2713'})
    assert result.body == 'caf\u00e9 \u2713'.encode('utf-8')


def test_response_none_body_is_empty_bytes():
    assert proxy_response_to_http({'statusCode': 204, 'body': None}).body == b''
    assert proxy_response_to_http({'statusCode': 204}).body == b''


def test_response_base64_body_is_decoded():
    raw = bytes(range(256))
    result = proxy_response_to_http({
        'statusCode': 200, 'headers': {'Content-Type': 'application/octet-stream'},
        'body': base64.b64encode(raw).decode('ascii'), 'isBase64Encoded': True})
    assert result.body == raw


def test_response_base64_flag_false_keeps_text():
    result = proxy_response_to_http({'statusCode': 200, 'body': 'aGk=',
                                     'isBase64Encoded': False})
    assert result.body == b'aGk='


def test_multi_value_headers_expand_and_merge():
    result = proxy_response_to_http({
        'statusCode': 200,
        'headers': {'Content-Type': 'text/plain', 'X-One': '1'},
        'multiValueHeaders': {'Set-Cookie': ['a=1', 'b=2']},
        'body': ''})
    assert result.headers == [('Content-Type', 'text/plain'), ('X-One', '1'),
                              ('Set-Cookie', 'a=1'), ('Set-Cookie', 'b=2')]


def test_multi_value_headers_win_over_single_headers():
    result = proxy_response_to_http({
        'statusCode': 200,
        'headers': {'X-Dup': 'single', 'x-other': 'o', 'set-cookie': 'lost=1'},
        'multiValueHeaders': {'X-Dup': ['m1', 'm2'], 'Set-Cookie': ['c=1']}})
    assert result.headers == [('x-other', 'o'), ('X-Dup', 'm1'), ('X-Dup', 'm2'),
                              ('Set-Cookie', 'c=1'), ('Content-Type', 'application/json')]


def test_numeric_status_code_string_and_header_numbers():
    result = proxy_response_to_http({'statusCode': '404', 'headers': {'X-Count': 3}})
    assert result.status_code == 404
    assert result.headers == [('X-Count', '3'), ('Content-Type', 'application/json')]


@pytest.mark.parametrize('response', [
    None,
    'not a dict',
    {},
    {'statusCode': 'abc'},
    {'statusCode': True},
    {'statusCode': 99},
    {'statusCode': 600},
    {'statusCode': 200, 'body': {'json': 'object'}},
    {'statusCode': 200, 'body': b'bytes'},
    {'statusCode': 200, 'body': '***', 'isBase64Encoded': True},
    {'statusCode': 200, 'headers': ['not', 'a', 'dict']},
    {'statusCode': 200, 'headers': {'X': {'nested': 1}}},
    {'statusCode': 200, 'multiValueHeaders': {'X': 'not-a-list'}},
])
def test_malformed_responses_become_502(response):
    result = proxy_response_to_http(response)
    assert result.status_code == 502
    assert json.loads(result.body) == {'message': 'Internal server error'}
    assert ('Content-Type', 'application/json') in result.headers
    with pytest.raises(ValueError, match='Invalid proxy response'):
        validate_proxy_response(response)


@settings(max_examples=100, deadline=None)
@given(st.binary())
def test_binary_response_round_trip(raw):
    encoded = base64.b64encode(raw).decode('ascii')
    result = proxy_response_to_http({'statusCode': 200, 'body': encoded,
                                     'isBase64Encoded': True})
    assert result.body == raw


# ---------------------------------------------------------------------------
# LambdaContext
# ---------------------------------------------------------------------------

def test_lambda_context_attributes():
    ctx = LambdaContext('myapp-dev', memory_size=256, timeout_seconds=30,
                        region='eu-west-1', account_id='111122223333')
    assert ctx.function_name == 'myapp-dev'
    assert ctx.function_version == '$LATEST'
    assert ctx.invoked_function_arn == \
        'arn:aws:lambda:eu-west-1:111122223333:function:myapp-dev'
    assert ctx.memory_limit_in_mb == '256'
    assert ctx.log_group_name == '/aws/lambda/myapp-dev'
    assert re.fullmatch(r'\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}', ctx.log_stream_name)
    assert ctx.identity is None
    assert ctx.client_context is None
    assert uuid.UUID(ctx.aws_request_id).version == 4


def test_lambda_context_defaults(monkeypatch):
    # A stopped clock: the remaining time is exactly the default timeout.
    monkeypatch.setattr(proxy.time, 'monotonic', lambda: 1000.0)
    ctx = LambdaContext('fn')
    assert ctx.memory_limit_in_mb == '128'
    assert ctx.invoked_function_arn == 'arn:aws:lambda:us-east-1:123456789012:function:fn'
    assert ctx.get_remaining_time_in_millis() == 60_000


def test_each_context_gets_its_own_request_id():
    assert LambdaContext('fn').aws_request_id != LambdaContext('fn').aws_request_id


def test_remaining_time_counts_down_and_stops_at_zero(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(proxy.time, 'monotonic', lambda: clock[0])
    ctx = LambdaContext('fn', timeout_seconds=3)
    assert ctx.get_remaining_time_in_millis() == 3000
    clock[0] += 1.25
    assert ctx.get_remaining_time_in_millis() == 1750
    clock[0] += 10
    assert ctx.get_remaining_time_in_millis() == 0


def test_default_content_type_added_only_when_missing():
    given = proxy_response_to_http(
        {'statusCode': 200, 'headers': {'content-type': 'text/plain'}, 'body': 'x'})
    assert given.headers == [('content-type', 'text/plain')]
    default = proxy_response_to_http({'statusCode': 200, 'headers': {}, 'body': 'x'})
    assert default.headers == [('Content-Type', 'application/json')]
