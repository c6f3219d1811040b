"""Match request paths against API Gateway style route templates.

A route template is a string such as ``/``, ``/users``, ``/users/{user_id}``
or ``/files/{proxy+}``.  Each segment of a template is one of:

* a *literal* (``users``) that must equal the request segment exactly
  (case-sensitive, compared after percent-decoding the request segment);
* a *capture* (``{user_id}``) that matches any single non-empty segment;
* a *greedy capture* (``{proxy+}``) that matches one or more remaining
  segments and is only allowed as the final segment of a template.

All templates handed to :class:`RouteMatcher` are compiled once into a trie of
segments.  Every trie node has a dict of literal children, at most one capture
child and at most one greedy child.  Matching walks the trie one request
segment at a time, preferring a literal child over a capture child over a
greedy child, and backs up to the next alternative when a preferred branch
dead-ends deeper down.  A trie node can only be reached through one sequence
of choices, so no node is ever visited twice for one lookup: the cost is
proportional to the path depth in the usual case and can never exceed the
number of trie nodes that fit the path.  No lookup scans the list of routes.

The matching rules mirror what API Gateway REST APIs do:

* the path is split on ``/`` *before* percent-decoding, so ``%2F`` inside a
  segment becomes ``/`` in a captured value without creating a new segment;
* one trailing slash on a non-root path is ignored (``/users/`` matches the
  same route as ``/users``), while empty inner segments (``/a//b``) never
  match and ``/`` only matches the root template ``/``;
* captured values are never empty strings.

This module uses the standard library only.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, NamedTuple
from urllib.parse import unquote

__all__ = ['MatchResult', 'RouteMatcher', 'parse_template']

# Segment kinds produced by parse_template().
LITERAL = 'literal'
CAPTURE = 'capture'
GREEDY = 'greedy'


class MatchResult(NamedTuple):
    """The outcome of a successful :meth:`RouteMatcher.match` call.

    ``route`` is the template that matched, exactly as it was registered.
    ``captured`` maps each capture name to its percent-decoded value; a greedy
    ``{proxy+}`` segment is stored under ``proxy`` with the remaining path
    segments joined by ``/``.
    """

    route: str
    captured: dict[str, str]


class _Segment(NamedTuple):
    kind: str   # LITERAL, CAPTURE or GREEDY
    value: str  # literal text, or the capture name (without braces and '+')


def parse_template(template: str) -> list[_Segment]:
    """Split a route template into typed segments, validating it.

    Returns an empty list for the root template ``/``.  Raises ``ValueError``
    with a message describing the fix when the template is malformed.
    """
    if not isinstance(template, str):
        raise ValueError(
            f'Route template must be a string, got {type(template).__name__}: {template!r}')
    if not template.startswith('/'):
        raise ValueError(
            f'Route template {template!r} must start with "/" (for example "/{template}").')
    if template == '/':
        return []
    if template.endswith('/'):
        raise ValueError(
            f'Route template {template!r} must not end with "/"; '
            f'use {template.rstrip("/") or "/"!r} instead.')
    segments: list[_Segment] = []
    names: set[str] = set()
    raw_segments = template[1:].split('/')
    for index, raw in enumerate(raw_segments):
        if not raw:
            raise ValueError(
                f'Route template {template!r} contains an empty segment ("//"); '
                f'remove the extra "/".')
        segment = _parse_segment(template, raw)
        if segment.kind == GREEDY and index != len(raw_segments) - 1:
            raise ValueError(
                f'Route template {template!r}: greedy segment {raw!r} must be the '
                f'last segment of the route; move it to the end or remove the "+".')
        if segment.kind != LITERAL:
            if segment.value in names:
                raise ValueError(
                    f'Route template {template!r} uses the capture name '
                    f'{segment.value!r} more than once; give each capture a unique name.')
            names.add(segment.value)
        segments.append(segment)
    return segments


def _parse_segment(template: str, raw: str) -> _Segment:
    """Classify one non-empty template segment."""
    if '{' not in raw and '}' not in raw:
        return _Segment(LITERAL, raw)
    if not (raw.startswith('{') and raw.endswith('}')) or raw.count('{') != 1 \
            or raw.count('}') != 1:
        raise ValueError(
            f'Route template {template!r}: segment {raw!r} has unbalanced or misplaced '
            f'braces; a capture must be a whole segment such as "{{name}}" or "{{proxy+}}".')
    name = raw[1:-1]
    kind = CAPTURE
    if name.endswith('+'):
        kind = GREEDY
        name = name[:-1]
    if not name or '+' in name:
        raise ValueError(
            f'Route template {template!r}: segment {raw!r} needs a capture name between '
            f'the braces, such as "{{name}}" or "{{proxy+}}".')
    return _Segment(kind, name)


class _Node:
    """One trie node: children by segment kind, plus an optional route end."""

    __slots__ = ('literals', 'capture', 'greedy', 'route', 'names')

    def __init__(self) -> None:
        self.literals: dict[str, _Node] = {}
        self.capture: _Node | None = None
        self.greedy: _Node | None = None
        # Set when a template ends at this node: the template string and the
        # capture names in path order (positional values are zipped onto them).
        self.route: str | None = None
        self.names: tuple[str, ...] = ()


class RouteMatcher:
    """Compile route templates once, then match request paths against them.

    >>> matcher = RouteMatcher(['/', '/users/{user_id}', '/files/{proxy+}'])
    >>> matcher.match('/users/42')
    MatchResult(route='/users/{user_id}', captured={'user_id': '42'})
    >>> matcher.match('/files/a/b%20c')
    MatchResult(route='/files/{proxy+}', captured={'proxy': 'a/b c'})
    >>> matcher.match('/nope') is None
    True

    Two templates with the same shape (for example ``/users/{id}`` and
    ``/users/{name}``) would be indistinguishable, so that raises
    ``ValueError``.  Repeating an identical template is harmless and ignored.
    Capture names may differ between templates that share a prefix, e.g.
    ``/users/{id}`` alongside ``/users/{name}/posts``.
    """

    def __init__(self, routes: Iterable[str], skip_invalid: bool = False) -> None:
        self._root = _Node()
        self._routes: list[str] = []
        for route in routes:
            try:
                self._add(route)
            except ValueError:
                if not skip_invalid:
                    raise

    def _add(self, template: str) -> None:
        segments = parse_template(template)
        node = self._root
        for segment in segments:
            if segment.kind == LITERAL:
                child = node.literals.get(segment.value)
                if child is None:
                    child = node.literals[segment.value] = _Node()
            elif segment.kind == CAPTURE:
                child = node.capture
                if child is None:
                    child = node.capture = _Node()
            else:
                child = node.greedy
                if child is None:
                    child = node.greedy = _Node()
            node = child
        if node.route is not None:
            if node.route == template:
                return
            raise ValueError(
                f'Route template {template!r} conflicts with {node.route!r}: they match '
                f'exactly the same paths. Keep one of them.')
        node.route = template
        node.names = tuple(s.value for s in segments if s.kind != LITERAL)
        self._routes.append(template)

    @property
    def routes(self) -> tuple[str, ...]:
        """The distinct templates, in the order they were first added."""
        return tuple(self._routes)

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[str]:
        return iter(self._routes)

    def __contains__(self, template: object) -> bool:
        return template in self._routes

    def __repr__(self) -> str:
        return f'RouteMatcher({self._routes!r})'

    def match(self, path: str) -> MatchResult | None:
        """Return the route that ``path`` selects, or ``None`` if none does.

        ``path`` is the raw, still percent-encoded URL path without the query
        string.  Paths that do not start with ``/`` never match.
        """
        if not isinstance(path, str) or not path.startswith('/'):
            return None
        if path == '/':
            root = self._root
            return MatchResult(root.route, {}) if root.route is not None else None
        if path.endswith('/'):
            path = path[:-1]
        raw_segments = path[1:].split('/')
        if '' in raw_segments:
            return None
        segments = [unquote(raw) for raw in raw_segments] if '%' in path else raw_segments
        # The usual case first: following the preferred child at every step
        # (literal, then capture) reaches a route.  That is the first branch
        # the full search would take, so the answer is the same.
        node: _Node | None = self._root
        values: list[str] = []
        for segment in segments:
            assert node is not None
            child = node.literals.get(segment)
            if child is None:
                child = node.capture
                if child is None:
                    node = None
                    break
                values.append(segment)
            node = child
        if node is not None and node.route is not None:
            return MatchResult(node.route, dict(zip(node.names, values)))
        values = []
        end = self._search(self._root, segments, 0, values)
        # _search only returns nodes that hold a route; the second test
        # just states that for the type checker.
        if end is None or end.route is None:
            return None
        return MatchResult(end.route, dict(zip(end.names, values)))

    def _search(self, node: _Node, segments: list[str], index: int,
                values: list[str]) -> _Node | None:
        """Depth-first walk in priority order; ``values`` collects captures.

        On success the capture values for the returned node's names are left
        in ``values``; on failure ``values`` is restored to how it was found.
        """
        if index == len(segments):
            return node if node.route is not None else None
        segment = segments[index]
        child = node.literals.get(segment)
        if child is not None:
            found = self._search(child, segments, index + 1, values)
            if found is not None:
                return found
        if node.capture is not None:
            values.append(segment)
            found = self._search(node.capture, segments, index + 1, values)
            if found is not None:
                return found
            values.pop()
        greedy = node.greedy
        if greedy is not None and greedy.route is not None:
            values.append('/'.join(segments[index:]))
            return greedy
        return None


def matcher_for_app(app: Any) -> RouteMatcher:
    """The compiled matcher for a Chalice app's routes, built once per app.

    ``chalice local`` and ``chalice.test.Client`` share it.  It is cached on
    the app and rebuilt only if the set of routes changes afterwards.  A
    route template it cannot serve (one ``chalice deploy`` would refuse) is
    left out, so the app's other routes still answer.
    """
    # Paths are only ever added to app.routes, so their count identifies the
    # set; this keeps the per-request check O(1) however many routes exist.
    count = len(app.routes)
    cached = getattr(app, '_chalice_route_matcher', None)
    if cached is not None and cached[0] == count:
        return cached[1]
    matcher = RouteMatcher(app.routes, skip_invalid=True)
    app._chalice_route_matcher = (count, matcher)
    return matcher
