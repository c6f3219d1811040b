"""Tests for chalice.routing: template parsing and trie-based path matching."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalice.routing import MatchResult, RouteMatcher, parse_template


def match(routes, path):
    return RouteMatcher(routes).match(path)


# ---------------------------------------------------------------------------
# Basic matching
# ---------------------------------------------------------------------------

def test_root_route_matches_only_slash():
    matcher = RouteMatcher(['/', '/users'])
    assert matcher.match('/') == MatchResult('/', {})
    assert matcher.match('/users') == MatchResult('/users', {})
    assert matcher.match('//') is None
    assert matcher.match('/nope') is None


def test_slash_does_not_match_when_there_is_no_root_route():
    assert match(['/users', '/{x}', '/{proxy+}'], '/') is None


def test_literal_routes():
    matcher = RouteMatcher(['/users', '/users/admins', '/groups'])
    assert matcher.match('/users').route == '/users'
    assert matcher.match('/users/admins').route == '/users/admins'
    assert matcher.match('/groups').route == '/groups'
    assert matcher.match('/users/admins/extra') is None
    assert matcher.match('/Users') is None  # case-sensitive like API Gateway


def test_single_capture():
    result = match(['/users/{user_id}'], '/users/42')
    assert result == MatchResult('/users/{user_id}', {'user_id': '42'})
    assert isinstance(result.captured, dict)


def test_multiple_captures():
    result = match(['/a/{x}/b/{y}'], '/a/1/b/two')
    assert result == MatchResult('/a/{x}/b/{y}', {'x': '1', 'y': 'two'})
    assert match(['/a/{x}/b/{y}'], '/a/1/c/two') is None
    assert match(['/a/{x}/b/{y}'], '/a/1/b') is None


def test_capture_names_are_taken_verbatim():
    result = match(['/items/{item-ID_2}'], '/items/abc')
    assert result.captured == {'item-ID_2': 'abc'}


def test_greedy_captures_rest_of_path_under_its_name():
    matcher = RouteMatcher(['/files/{proxy+}'])
    assert matcher.match('/files/a') == MatchResult('/files/{proxy+}', {'proxy': 'a'})
    assert matcher.match('/files/a/b/c').captured == {'proxy': 'a/b/c'}


def test_greedy_with_other_name_and_after_captures():
    result = match(['/u/{uid}/{path+}'], '/u/7/x/y')
    assert result == MatchResult('/u/{uid}/{path+}', {'uid': '7', 'path': 'x/y'})


def test_greedy_needs_at_least_one_segment():
    matcher = RouteMatcher(['/files/{proxy+}'])
    assert matcher.match('/files') is None
    assert matcher.match('/files/') is None


def test_root_greedy_matches_everything_but_root():
    matcher = RouteMatcher(['/{proxy+}'])
    assert matcher.match('/') is None
    assert matcher.match('/a').captured == {'proxy': 'a'}
    assert matcher.match('/a/b/c/d').captured == {'proxy': 'a/b/c/d'}


def test_path_without_leading_slash_never_matches():
    matcher = RouteMatcher(['/', '/users', '/{proxy+}'])
    assert matcher.match('') is None
    assert matcher.match('users') is None


def test_empty_matcher():
    matcher = RouteMatcher([])
    assert len(matcher) == 0
    assert matcher.match('/') is None
    assert matcher.match('/a') is None


# ---------------------------------------------------------------------------
# Precedence and backtracking
# ---------------------------------------------------------------------------

def test_literal_beats_capture_beats_greedy():
    matcher = RouteMatcher(['/a/{proxy+}', '/a/{x}', '/a/b'])
    assert matcher.match('/a/b') == MatchResult('/a/b', {})
    assert matcher.match('/a/c') == MatchResult('/a/{x}', {'x': 'c'})
    assert matcher.match('/a/c/d') == MatchResult('/a/{proxy+}', {'proxy': 'c/d'})


def test_precedence_does_not_depend_on_registration_order():
    orders = [
        ['/a/b', '/a/{x}', '/a/{proxy+}'],
        ['/a/{proxy+}', '/a/{x}', '/a/b'],
        ['/a/{x}', '/a/{proxy+}', '/a/b'],
    ]
    for routes in orders:
        matcher = RouteMatcher(routes)
        assert matcher.match('/a/b').route == '/a/b'
        assert matcher.match('/a/z').route == '/a/{x}'
        assert matcher.match('/a/z/z').route == '/a/{proxy+}'


def test_backtracks_from_literal_to_capture():
    matcher = RouteMatcher(['/a/b/c', '/a/{x}/d'])
    assert matcher.match('/a/b/d') == MatchResult('/a/{x}/d', {'x': 'b'})
    assert matcher.match('/a/b/c') == MatchResult('/a/b/c', {})
    assert matcher.match('/a/b/e') is None


def test_backtracks_from_literal_to_greedy():
    matcher = RouteMatcher(['/a/b/c', '/a/{proxy+}'])
    assert matcher.match('/a/b/c') == MatchResult('/a/b/c', {})
    assert matcher.match('/a/b/x') == MatchResult('/a/{proxy+}', {'proxy': 'b/x'})
    assert matcher.match('/a/b') == MatchResult('/a/{proxy+}', {'proxy': 'b'})


def test_backtracks_from_capture_to_greedy():
    matcher = RouteMatcher(['/a/{x}/end', '/a/{proxy+}'])
    assert matcher.match('/a/1/end') == MatchResult('/a/{x}/end', {'x': '1'})
    assert matcher.match('/a/1/other') == MatchResult('/a/{proxy+}', {'proxy': '1/other'})


def test_backtracking_discards_captures_of_failed_branch():
    matcher = RouteMatcher(['/{a}/{b}/x', '/{c}/lit/y', '/{d}/z', '/{proxy+}'])
    # Below the shared first capture, literal 'lit' is tried before '{b}'.
    assert matcher.match('/1/lit/y') == MatchResult('/{c}/lit/y', {'c': '1'})
    assert matcher.match('/1/lit/x') == MatchResult('/{a}/{b}/x', {'a': '1', 'b': 'lit'})
    # The failed '{d}' branch must not leak its value into the greedy capture.
    assert matcher.match('/1/q') == MatchResult('/{proxy+}', {'proxy': '1/q'})


def test_deep_backtracking_across_several_levels():
    matcher = RouteMatcher(['/a/b/c/d/e', '/{v}/b/c/d/f', '/{proxy+}'])
    assert matcher.match('/a/b/c/d/f') == MatchResult('/{v}/b/c/d/f', {'v': 'a'})
    assert matcher.match('/a/b/c/d/g').route == '/{proxy+}'
    assert matcher.match('/a/b/c/d/e').route == '/a/b/c/d/e'


def test_capture_names_can_differ_between_routes_sharing_a_prefix():
    matcher = RouteMatcher(['/users/{id}', '/users/{name}/posts'])
    assert matcher.match('/users/5').captured == {'id': '5'}
    assert matcher.match('/users/bob/posts').captured == {'name': 'bob'}


# ---------------------------------------------------------------------------
# Percent-decoding
# ---------------------------------------------------------------------------

def test_captured_values_are_percent_decoded():
    result = match(['/users/{name}'], '/users/John%20Smith')
    assert result.captured == {'name': 'John Smith'}


def test_encoded_slash_stays_inside_one_segment():
    matcher = RouteMatcher(['/users/{name}', '/users/{name}/x'])
    assert matcher.match('/users/a%2Fb') == MatchResult('/users/{name}', {'name': 'a/b'})
    assert matcher.match('/users/a%2fb/x').captured == {'name': 'a/b'}


def test_plus_is_not_a_space_in_paths():
    assert match(['/q/{v}'], '/q/a+b').captured == {'v': 'a+b'}


def test_literal_segments_compared_after_decoding():
    assert match(['/users'], '/us%65rs') == MatchResult('/users', {})
    assert match(['/caf\u00e9'], '/caf%C3%A9') == MatchResult('/caf\u00e9', {})
    assert match(['/a b'], '/a%20b').route == '/a b'


def test_encoded_slash_does_not_match_two_literals():
    assert match(['/a/b'], '/a%2Fb') is None


def test_utf8_in_greedy_values_is_decoded():
    result = match(['/f/{proxy+}'], '/f/%E2%9C%93/b%20c')
    assert result.captured == {'proxy': '\u2713/b c'}


def test_malformed_percent_escapes_do_not_raise():
    assert match(['/x/{v}'], '/x/%').captured == {'v': '%'}
    assert match(['/x/{v}'], '/x/%zz').captured == {'v': '%zz'}
    assert match(['/x/{v}'], '/x/%FF').captured == {'v': '\ufffd'}


# ---------------------------------------------------------------------------
# Slashes
# ---------------------------------------------------------------------------

def test_single_trailing_slash_is_ignored():
    matcher = RouteMatcher(['/users', '/users/{id}', '/f/{proxy+}'])
    assert matcher.match('/users/') == MatchResult('/users', {})
    assert matcher.match('/users/3/') == MatchResult('/users/{id}', {'id': '3'})
    assert matcher.match('/f/a/b/') == MatchResult('/f/{proxy+}', {'proxy': 'a/b'})


def test_double_trailing_slash_does_not_match():
    assert match(['/users', '/users/{id}'], '/users//') is None


def test_empty_inner_segments_do_not_match():
    matcher = RouteMatcher(['/a/b', '/a/{x}/b', '/a/{proxy+}', '/{p+}'])
    assert matcher.match('/a//b') is None
    assert matcher.match('//a') is None
    assert matcher.match('/a/b//') is None


def test_captured_values_are_never_empty():
    matcher = RouteMatcher(['/a/{x}', '/a/{x}/b', '/g/{proxy+}'])
    for path in ['/a/', '/a//b', '/g/', '/g//', '/g//x']:
        assert matcher.match(path) is None, path


# ---------------------------------------------------------------------------
# Template validation and bookkeeping
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('template, fragment', [
    ('users', 'must start with "/"'),
    ('', 'must start with "/"'),
    ('/users/', 'must not end with "/"'),
    ('/a//b', 'empty segment'),
    ('/users/{id', 'braces'),
    ('/users/id}', 'braces'),
    ('/users/{{id}}', 'braces'),
    ('/users/x{id}', 'braces'),
    ('/users/{id}x', 'braces'),
    ('/users/{}', 'capture name'),
    ('/users/{+}', 'capture name'),
    ('/users/{a+b}', 'capture name'),
    ('/files/{proxy+}/more', 'must be the last segment'),
    ('/{a}/{a}', 'more than once'),
    ('/{a}/{a+}', 'more than once'),
])
def test_invalid_templates_raise_value_error(template, fragment):
    with pytest.raises(ValueError) as excinfo:
        RouteMatcher([template])
    assert fragment in str(excinfo.value)
    assert repr(template) in str(excinfo.value)


def test_non_string_template_raises_value_error():
    with pytest.raises(ValueError):
        RouteMatcher([None])


def test_parse_template_kinds():
    assert parse_template('/') == []
    kinds = [(s.kind, s.value) for s in parse_template('/a/{b}/{c+}')]
    assert kinds == [('literal', 'a'), ('capture', 'b'), ('greedy', 'c')]


def test_same_shape_templates_conflict():
    with pytest.raises(ValueError, match='conflicts with'):
        RouteMatcher(['/users/{id}', '/users/{name}'])
    with pytest.raises(ValueError, match='conflicts with'):
        RouteMatcher(['/f/{proxy+}', '/f/{rest+}'])


def test_duplicate_templates_are_ignored():
    matcher = RouteMatcher(['/a', '/b/{x}', '/a', '/b/{x}'])
    assert len(matcher) == 2
    assert matcher.routes == ('/a', '/b/{x}')
    assert list(matcher) == ['/a', '/b/{x}']
    assert '/a' in matcher and '/c' not in matcher


def test_routes_can_be_any_iterable():
    matcher = RouteMatcher(r for r in ['/x', '/y'])
    assert matcher.match('/y').route == '/y'


def test_match_result_is_a_tuple():
    result = match(['/u/{id}'], '/u/1')
    route, captured = result
    assert route == '/u/{id}' and captured == {'id': '1'}


def test_match_does_not_share_captured_dicts():
    matcher = RouteMatcher(['/u/{id}'])
    first = matcher.match('/u/1')
    first.captured['id'] = 'changed'
    assert matcher.match('/u/1').captured == {'id': '1'}


def test_matching_against_a_thousand_routes():
    routes = []
    for i in range(250):
        routes += [f'/r{i}', f'/r{i}/{{item}}', f'/r{i}/items/{{item}}/sub{i % 7}',
                   f'/r{i}/static/{{proxy+}}']
    matcher = RouteMatcher(routes)
    assert len(matcher) == 1000
    for i in (0, 1, 123, 249):
        assert matcher.match(f'/r{i}') == MatchResult(f'/r{i}', {})
        assert matcher.match(f'/r{i}/v') == MatchResult(f'/r{i}/{{item}}', {'item': 'v'})
        assert matcher.match(f'/r{i}/items/9/sub{i % 7}') == MatchResult(
            f'/r{i}/items/{{item}}/sub{i % 7}', {'item': '9'})
        assert matcher.match(f'/r{i}/items/9/sub{(i + 1) % 7}') is None
        assert matcher.match(f'/r{i}/static/a/b') == MatchResult(
            f'/r{i}/static/{{proxy+}}', {'proxy': 'a/b'})
    assert matcher.match('/r250') is None
    assert matcher.match('/r1/static') == MatchResult('/r1/{item}', {'item': 'static'})


def test_very_deep_paths_do_not_blow_the_stack():
    matcher = RouteMatcher(['/{a}/{b}', '/{proxy+}'])
    deep = '/x' * 100_000
    assert matcher.match(deep).captured == {'proxy': '/'.join(['x'] * 100_000)}


# ---------------------------------------------------------------------------
# Property tests
# ---------------------------------------------------------------------------

def _reference_match(routes, path):
    """Obviously-correct scan: pick the matching route with the most specific
    sequence of segment kinds (literal < capture < greedy, left to right)."""
    if not path.startswith('/'):
        return None
    if path == '/':
        return MatchResult('/', {}) if '/' in routes else None
    if path.endswith('/'):
        path = path[:-1]
    raw = path[1:].split('/')
    if '' in raw:
        return None
    segs = [unquote(s) for s in raw]
    best = None
    for template in routes:
        if template == '/':
            continue
        parts = template[1:].split('/')
        key, captured, ok = [], {}, True
        for i, part in enumerate(parts):
            if part.startswith('{') and part.endswith('+}'):
                if i >= len(segs):
                    ok = False
                else:
                    captured[part[1:-2]] = '/'.join(segs[i:])
                    key.append(2)
                break
            if i >= len(segs):
                ok = False
                break
            if part.startswith('{'):
                captured[part[1:-1]] = segs[i]
                key.append(1)
            elif part == segs[i]:
                key.append(0)
            else:
                ok = False
                break
        else:
            ok = ok and len(parts) == len(segs)
        if ok and (best is None or key < best[0]):
            best = (key, MatchResult(template, captured))
    return best[1] if best else None


def _escape_value(value):
    # Only '%' and '/' need escaping for the value to survive split+unquote.
    return value.replace('%', '%25').replace('/', '%2F')


def _rebuild(result):
    if result.route == '/':
        return '/'
    parts = []
    for part in result.route[1:].split('/'):
        if part.startswith('{'):
            name = part[1:-1].rstrip('+')
            parts.append(_escape_value(result.captured[name]))
        else:
            parts.append(part)
    return '/' + '/'.join(parts)


_LITERALS = ['a', 'b', 'c']


@st.composite
def route_sets(draw):
    count = draw(st.integers(min_value=1, max_value=8))
    routes = {}
    for _ in range(count):
        kinds = draw(st.lists(st.sampled_from(['a', 'b', 'c', 'cap', 'greedy']),
                              min_size=0, max_size=4))
        parts, shape = [], []
        for i, kind in enumerate(kinds):
            if kind == 'greedy':
                parts.append(draw(st.sampled_from(['{proxy+}', '{rest+}'])))
                shape.append('+')
                break
            if kind == 'cap':
                parts.append('{' + draw(st.sampled_from(['x', 'y'])) + str(i) + '}')
                shape.append('*')
            else:
                parts.append(kind)
                shape.append(kind)
        routes.setdefault(tuple(shape), '/' + '/'.join(parts))
    return list(routes.values())


_path_segment = st.sampled_from(['a', 'b', 'c', 'd', '%61', '%2F', 'a%2Fb', '', '%', 'b+c'])
_paths = st.builds(
    lambda segs, slash: '/' + '/'.join(segs) + ('/' if slash else ''),
    st.lists(_path_segment, max_size=6), st.booleans())


@settings(max_examples=400, deadline=None)
@given(route_sets(), _paths)
def test_matches_reference_implementation(routes, path):
    assert RouteMatcher(routes).match(path) == _reference_match(routes, path)


@settings(max_examples=300, deadline=None)
@given(route_sets(), st.one_of(_paths, st.text(), st.text().map(lambda t: '/' + t)))
def test_match_never_raises_and_results_reconstruct(routes, path):
    result = RouteMatcher(routes).match(path)
    if result is None:
        return
    assert result.route in routes
    assert all(isinstance(v, str) and v for v in result.captured.values())
    rebuilt = _rebuild(result)
    # The rebuilt path selects the same template with the same captures when
    # that template is matched on its own.
    assert RouteMatcher([result.route]).match(rebuilt) == result


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1))
def test_any_value_round_trips_through_a_capture(value):
    matcher = RouteMatcher(['/v/{value}'])
    assert matcher.match('/v/' + _escape_value(value)).captured == {'value': value}
