"""Find the boto3 client methods an application's source code calls.

Chalice derives the Lambda execution role's IAM policy from the boto3 client
calls it can see in ``app.py`` and ``chalicelib/``.  This module does the
"seeing": it parses the source with :mod:`ast` (the code is never imported or
executed) and runs a small abstract interpretation over it.

Every expression is given a set of *abstract values*, plain tuples such as
``('client', 's3')`` for an S3 client or ``('function', 3)`` for the function
whose scope has index 3.  Statements are interpreted in order, so a name
rebound to something else stops being a client, and the branches of an
``if`` or ``try`` are merged.  Each scope also keeps a flow-insensitive
*summary* (everything ever bound to a name in it); code in an inner scope
that reads an outer name, and loop bodies, use these summaries.  Because a
function may be called before the analyser has seen what it returns, the
whole module is interpreted repeatedly until nothing new is learned.

The analysis over-approximates on purpose: when a name might be a client it
is treated as one, since a missing permission breaks the deployed app while
a spare one does not.  Only string-literal service names are understood.

Public interface: :func:`get_client_calls` and
:func:`get_client_calls_for_files`.
"""
import ast

__all__ = ['get_client_calls', 'get_client_calls_for_files']

# Shared empty set: of names (``shadowed``) or of abstract values.
_EMPTY: frozenset = frozenset()
# How far one expression is followed (``a.b().c().d()...``); deeper nesting
# is treated as unknown so arbitrarily long chains can't exhaust the stack.
_MAX_EVAL_DEPTH = 48
# Upper bound on whole-module passes while looking for a fixed point.
_MAX_PASSES = 30

_BOTO3 = ('module', 'boto3')
_BOTO3_SESSION_MODULE = ('module', 'boto3.session')
_BOTOCORE = ('module', 'botocore')
_BOTOCORE_SESSION_MODULE = ('module', 'botocore.session')
_CLIENT_FACTORY = ('factory',)
_SESSION_CLASS = ('session_class',)
_GET_SESSION = ('get_session',)
_SESSION = ('session',)

_MODULES = {
    'boto3': _BOTO3,
    'boto3.session': _BOTO3_SESSION_MODULE,
    'botocore': _BOTOCORE,
    'botocore.session': _BOTOCORE_SESSION_MODULE,
}
_MODULE_ATTRS = {
    _BOTO3: {
        'client': _CLIENT_FACTORY,
        'Session': _SESSION_CLASS,
        'session': _BOTO3_SESSION_MODULE,
    },
    _BOTO3_SESSION_MODULE: {'Session': _SESSION_CLASS},
    _BOTOCORE: {'session': _BOTOCORE_SESSION_MODULE},
    _BOTOCORE_SESSION_MODULE: {
        'get_session': _GET_SESSION,
        'Session': _SESSION_CLASS,
    },
}
# Client methods that never send a request themselves.
_NON_API_METHODS = frozenset(['get_waiter', 'can_paginate', 'close'])
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# Value kinds that may not be nested inside containers or lambda results;
# keeping them flat keeps the set of possible values finite.
_NESTING_KINDS = frozenset(['container', 'returns'])


def get_client_calls(source_code, filename='<unknown>'):
    """Return ``{service_name: {method_name, ...}}`` for *source_code*.

    *source_code* is Python source as ``str`` or ``bytes``.  Only services
    with at least one recognised call appear in the result.  A
    :class:`SyntaxError` from parsing propagates to the caller; any valid
    module is analysed without raising.
    """
    try:
        tree = ast.parse(source_code, filename=filename)
    except (ValueError, RecursionError, MemoryError) as error:
        # NUL bytes, or nesting too deep for Python's own parser: the module
        # could not be imported either, so report it like bad syntax.
        raise SyntaxError('%s: cannot parse source: %s'
                          % (filename, error)) from error
    return _Analyzer(tree).run()


def get_client_calls_for_files(paths):
    """Analyse every file in *paths* and merge the results."""
    merged = {}
    for path in paths:
        with open(path, 'rb') as f:
            source = f.read()
        for service, methods in get_client_calls(source, str(path)).items():
            merged.setdefault(service, set()).update(methods)
    return merged


class _Scope:
    """One module, function or class body and what is known about it."""

    def __init__(self, kind, node, parent, index):
        self.kind = kind
        self.node = node
        self.parent = parent
        self.index = index
        self.local_names = set()
        self.global_names = set()
        self.nonlocal_names = set()
        # Names that inner scopes rebind through ``global``/``nonlocal``;
        # their value can change behind the interpreter's back, so only the
        # summary is trusted for them.
        self.shared_names = set()
        # name -> set of every abstract value bound to it in this scope.
        # For a class this doubles as its attribute table.
        self.summary = {}
        self.returns = set()
        self.param_defaults = {}
        self.decorators = set()
        self.bases = set()


def _target_names(target):
    """Names bound by an assignment target (iteratively, any nesting)."""
    names = []
    stack = [target]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            stack.extend(node.elts)
        elif isinstance(node, ast.Starred):
            stack.append(node.value)
    return names


def _pattern_names(pattern):
    """Capture names bound by a ``match`` case pattern."""
    names = []
    for node in ast.walk(pattern):
        if isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.append(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.append(node.rest)
    return names


def _arg_names(args):
    every = args.posonlyargs + args.args + args.kwonlyargs
    if args.vararg:
        every.append(args.vararg)
    if args.kwarg:
        every.append(args.kwarg)
    return [arg.arg for arg in every]


def _expression_roots(stmt):
    """The parts of *stmt* evaluated by the statement itself.

    Nested statement lists, exception handlers and ``match`` cases are left
    out; the interpreter visits those separately.
    """
    return [child for child in ast.iter_child_nodes(stmt)
            if not isinstance(child, (ast.stmt, ast.excepthandler,
                                      ast.match_case))]


def _walk_expressions(roots, shadowed=_EMPTY):
    """Yield ``(node, shadowed, in_lambda)`` for every node under *roots*.

    ``shadowed`` holds the names rebound by an enclosing lambda or
    comprehension, which therefore don't refer to the surrounding scope.
    The walk uses an explicit stack so deep expressions are safe.
    """
    stack = [(root, shadowed, False) for root in reversed(roots)]
    while stack:
        node, shadow, in_lambda = stack.pop()
        yield node, shadow, in_lambda
        if isinstance(node, ast.Lambda):
            shadow = shadow | frozenset(_arg_names(node.args))
            in_lambda = True
        elif isinstance(node, _COMPREHENSIONS):
            bound = []
            for generator in node.generators:
                bound.extend(_target_names(generator.target))
            shadow = shadow | frozenset(bound)
        children = list(ast.iter_child_nodes(node))
        for child in reversed(children):
            stack.append((child, shadow, in_lambda))


def _child_blocks(stmt):
    """Statement lists nested directly in a compound statement."""
    blocks = []
    for field in ('body', 'orelse', 'finalbody'):
        value = getattr(stmt, field, None)
        if isinstance(value, list):
            blocks.append(value)
    for handler in getattr(stmt, 'handlers', ()):
        blocks.append(handler.body)
    for case in getattr(stmt, 'cases', ()):
        blocks.append(case.body)
    return blocks


def _statement_bindings(stmt):
    """Names that *stmt* itself binds in its scope (not nested blocks)."""
    names = []
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        names.append(stmt.name)
    elif isinstance(stmt, (ast.Assign, ast.Delete)):
        for target in stmt.targets:
            names.extend(_target_names(target))
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign, ast.For,
                           ast.AsyncFor)):
        names.extend(_target_names(stmt.target))
    elif isinstance(stmt, (ast.With, ast.AsyncWith)):
        for item in stmt.items:
            if item.optional_vars is not None:
                names.extend(_target_names(item.optional_vars))
    elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
        for alias in stmt.names:
            if alias.name != '*':
                names.append(alias.asname or alias.name.split('.')[0])
    for handler in getattr(stmt, 'handlers', ()):
        if handler.name:
            names.append(handler.name)
    for case in getattr(stmt, 'cases', ()):
        names.extend(_pattern_names(case.pattern))
    for node, _, in_lambda in _walk_expressions(_expression_roots(stmt)):
        if isinstance(node, ast.NamedExpr) and not in_lambda:
            names.extend(_target_names(node.target))
    return names


def _bound_names(stmts):
    """Every name bound by *stmts* and their nested blocks.

    Bodies of nested functions and classes are not entered; the name of the
    function or class itself is included.
    """
    names = set()
    stack = [stmts]
    while stack:
        for stmt in stack.pop():
            names.update(_statement_bindings(stmt))
            if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef,
                                     ast.ClassDef)):
                stack.extend(_child_blocks(stmt))
    return names


def _decorator_name(node):
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _literal_argument(call, position, keyword):
    """A string literal passed at *position* or as *keyword*, else None."""
    node = None
    if len(call.args) > position:
        if not any(isinstance(arg, ast.Starred)
                   for arg in call.args[:position + 1]):
            node = call.args[position]
    else:
        for kw in call.keywords:
            if kw.arg == keyword:
                node = kw.value
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _flatten(values):
    """Drop nested containers/lambda results so values stay finite."""
    return frozenset(v for v in values if v[0] not in _NESTING_KINDS)


def _merge(envs):
    """Join the environments at the end of alternative branches.

    A name missing from any branch is left out, meaning "fall back to the
    scope summary", which covers every value the name can hold.
    """
    common = set(envs[0])
    for env in envs[1:]:
        common.intersection_update(env)
    return {name: frozenset().union(*(env[name] for env in envs))
            for name in common}


class _Evaluator:
    """Abstract values of expressions, given the scopes found so far.

    Subclassed by :class:`_Analyzer`, which adds the statement interpreter
    that fills the scope summaries this class reads.
    """

    def __init__(self):
        self._scopes = []
        self._scope_of = {}
        self._calls = {}
        self._changed = False

    # -- bookkeeping -----------------------------------------------------

    def _extend(self, target, values):
        """Add *values* to the set *target*, noting whether it grew."""
        before = len(target)
        target.update(values)
        if len(target) != before:
            self._changed = True

    def _add(self, table, key, values):
        self._extend(table.setdefault(key, set()), values)

    def _module(self):
        return self._scopes[0]

    def _nonlocal_owner(self, name, scope):
        parent = scope.parent
        while parent is not None and parent.kind != 'module':
            if parent.kind == 'function' and name in parent.local_names:
                return parent
            parent = parent.parent
        return None

    def _owner(self, name, scope):
        """The scope whose summary records bindings of *name* in *scope*."""
        if name in scope.global_names and scope.kind != 'module':
            return self._module()
        if name in scope.nonlocal_names:
            return self._nonlocal_owner(name, scope) or scope
        return scope

    def _lookup(self, name, env, scope, shadowed):
        if name in shadowed:
            return _EMPTY
        if name in env:
            return env[name]
        if (scope.kind == 'module' or name in scope.local_names
                or name in scope.global_names
                or name in scope.nonlocal_names):
            owner = self._owner(name, scope)
            return frozenset(owner.summary.get(name, ()))
        parent = scope.parent
        while parent is not None:
            if parent.kind == 'module' or (parent.kind == 'function'
                                           and name in parent.local_names):
                return frozenset(parent.summary.get(name, ()))
            parent = parent.parent
        return _EMPTY

    def _record(self, service, method):
        self._calls.setdefault(service, set()).add(method)

    # -- expressions -----------------------------------------------------

    def _eval(self, node, env, scope, shadowed=_EMPTY, depth=0):
        """The abstract values *node* may evaluate to (calls get recorded)."""
        if depth > _MAX_EVAL_DEPTH:
            return _EMPTY
        depth += 1

        def sub(child, extra=_EMPTY):
            return self._eval(child, env, scope, shadowed | extra, depth)

        if isinstance(node, ast.Name):
            return self._lookup(node.id, env, scope, shadowed)
        if isinstance(node, ast.Attribute):
            return self._attribute(sub(node.value), node.attr)
        if isinstance(node, ast.Call):
            return self._call(sub(node.func), node)
        if isinstance(node, ast.NamedExpr):
            return sub(node.value)
        if isinstance(node, ast.IfExp):
            return sub(node.body) | sub(node.orelse)
        if isinstance(node, ast.BoolOp):
            return frozenset().union(*(sub(value) for value in node.values))
        if isinstance(node, ast.Lambda):
            params = frozenset(_arg_names(node.args))
            return frozenset([('returns', _flatten(sub(node.body, params)))])
        if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
            items = node.values if isinstance(node, ast.Dict) else node.elts
            values = frozenset().union(
                *(sub(item) for item in items
                  if item is not None and not isinstance(item, ast.Starred)))
            return frozenset([('container', _flatten(values))])
        if isinstance(node, ast.Subscript):
            return self._elements(sub(node.value))
        return _EMPTY

    def _elements(self, values):
        """Values held by any containers among *values*."""
        return frozenset().union(
            *(value[1] for value in values if value[0] == 'container'))

    def _attribute(self, values, attr):
        result = set()
        for value in values:
            kind = value[0]
            if kind == 'module':
                found = _MODULE_ATTRS.get(value, {}).get(attr)
                if found:
                    result.add(found)
            elif kind == 'session':
                if attr in ('client', 'create_client'):
                    result.add(_CLIENT_FACTORY)
            elif kind == 'client':
                result.add(('method', value[1], attr))
            elif kind in ('instance', 'class'):
                result.update(self._class_attribute(value[1], attr))
            elif kind == 'container' and attr in ('get', 'pop', 'setdefault'):
                result.add(('returns', value[1]))
        return frozenset(result)

    def _class_attribute(self, class_index, attr):
        """Look *attr* up on a class and its known bases; resolve properties."""
        result = set()
        seen = set()
        pending = [class_index]
        while pending:
            index = pending.pop()
            if index in seen:
                continue
            seen.add(index)
            klass = self._scopes[index]
            pending.extend(klass.bases)
            for value in klass.summary.get(attr, ()):
                if value[0] == 'function' and any(
                        name.endswith('property')
                        for name in self._scopes[value[1]].decorators):
                    result.update(self._scopes[value[1]].returns)
                else:
                    result.add(value)
        return result

    def _call(self, callees, node):
        result = set()
        for callee in callees:
            kind = callee[0]
            if callee == _CLIENT_FACTORY:
                service = _literal_argument(node, 0, 'service_name')
                if service is not None:
                    result.add(('client', service))
            elif callee in (_SESSION_CLASS, _GET_SESSION):
                result.add(_SESSION)
            elif kind == 'function':
                result.update(self._scopes[callee[1]].returns)
            elif kind == 'returns':
                result.update(callee[1])
            elif kind == 'class':
                result.add(('instance', callee[1]))
            elif kind == 'method':
                self._record_method(callee[1], callee[2], node)
        return frozenset(result)

    def _record_method(self, service, method, node):
        if method == 'get_paginator':
            operation = _literal_argument(node, 0, 'operation_name')
            if operation is not None:
                self._record(service, operation)
        elif method == 'generate_presigned_url':
            # The URL is signed with the role's credentials, so the role
            # needs permission for the operation the URL performs.
            operation = _literal_argument(node, 0, 'ClientMethod')
            if operation is not None:
                self._record(service, operation)
        elif method not in _NON_API_METHODS:
            self._record(service, method)


class _Analyzer(_Evaluator):
    """Abstract interpreter for one parsed module."""

    def __init__(self, tree):
        super().__init__()
        self._build_scopes(tree)

    def run(self):
        for _ in range(_MAX_PASSES):
            self._changed = False
            for scope in self._scopes:
                self._interpret_scope(scope)
            if not self._changed:
                break
        return {service: set(methods)
                for service, methods in self._calls.items() if methods}

    # -- scope discovery -------------------------------------------------

    def _new_scope(self, kind, node, parent):
        scope = _Scope(kind, node, parent, len(self._scopes))
        self._scopes.append(scope)
        self._scope_of[node] = scope
        return scope

    def _build_scopes(self, tree):
        queue = [self._new_scope('module', tree, None)]
        position = 0
        while position < len(queue):
            scope = queue[position]
            position += 1
            if scope.kind == 'function':
                scope.local_names.update(_arg_names(scope.node.args))
                scope.decorators.update(
                    name for name in map(_decorator_name,
                                         scope.node.decorator_list) if name)
            stack = [scope.node.body]
            while stack:
                for stmt in stack.pop():
                    scope.local_names.update(_statement_bindings(stmt))
                    if isinstance(stmt, ast.Global):
                        scope.global_names.update(stmt.names)
                    elif isinstance(stmt, ast.Nonlocal):
                        scope.nonlocal_names.update(stmt.names)
                    if isinstance(stmt, (ast.FunctionDef,
                                         ast.AsyncFunctionDef)):
                        queue.append(self._new_scope('function', stmt, scope))
                    elif isinstance(stmt, ast.ClassDef):
                        queue.append(self._new_scope('class', stmt, scope))
                    else:
                        stack.extend(_child_blocks(stmt))
            if scope.kind != 'module':
                scope.local_names -= scope.global_names | scope.nonlocal_names
        for scope in self._scopes[1:]:
            for name in scope.global_names | scope.nonlocal_names:
                self._owner(name, scope).shared_names.add(name)

    # -- statements ------------------------------------------------------

    def _interpret_scope(self, scope):
        env = {}
        if scope.kind == 'function':
            self._bind_parameters(scope, env)
        self._run_block(scope.node.body, env, scope)

    def _bind_parameters(self, scope, env):
        args = scope.node.args
        for name in _arg_names(args):
            self._bind_name(name, frozenset(scope.param_defaults.get(name, ())),
                            env, scope)
        positional = args.posonlyargs + args.args
        parent = scope.parent
        if (parent.kind != 'class' or not positional
                or 'staticmethod' in scope.decorators):
            return
        kind = 'class' if 'classmethod' in scope.decorators else 'instance'
        first = positional[0].arg
        values = env.get(first, _EMPTY) | {(kind, parent.index)}
        self._bind_name(first, values, env, scope)

    def _run_block(self, stmts, env, scope):
        for stmt in stmts:
            env = self._run_statement(stmt, env, scope)
        return env

    def _run_statement(self, stmt, env, scope):
        if isinstance(stmt, ast.If):
            return self._run_if(stmt, env, scope)
        self._scan(_expression_roots(stmt), env, scope)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._define_function(stmt, env, scope)
        elif isinstance(stmt, ast.ClassDef):
            child = self._scope_of[stmt]
            for base in stmt.bases:
                for value in self._eval(base, env, scope):
                    if value[0] == 'class':
                        self._extend(child.bases, [value[1]])
            self._bind_name(stmt.name, frozenset([('class', child.index)]),
                            env, scope)
        elif isinstance(stmt, ast.Assign):
            values = self._eval(stmt.value, env, scope)
            for target in stmt.targets:
                self._bind_target(target, stmt.value, values, env, scope)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                values = self._eval(stmt.value, env, scope)
                self._bind_target(stmt.target, stmt.value, values, env, scope)
        elif isinstance(stmt, (ast.AugAssign, ast.Delete)):
            targets = getattr(stmt, 'targets', None) or [stmt.target]
            for target in targets:
                self._bind_target(target, None, _EMPTY, env, scope)
        elif isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
            return self._run_loop(stmt, env, scope)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                if item.optional_vars is not None:
                    self._bind_target(item.optional_vars, None, _EMPTY, env,
                                      scope)
            return self._run_block(stmt.body, env, scope)
        elif isinstance(stmt, (ast.Try, ast.TryStar)):
            return self._run_try(stmt, env, scope)
        elif isinstance(stmt, ast.Match):
            return self._run_match(stmt, env, scope)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            self._run_import(stmt, env, scope)
        elif isinstance(stmt, ast.Return):
            if stmt.value is not None and scope.kind == 'function':
                self._extend(scope.returns,
                             self._eval(stmt.value, env, scope))
        return env

    def _define_function(self, stmt, env, scope):
        child = self._scope_of[stmt]
        args = stmt.args
        positional = args.posonlyargs + args.args
        with_defaults = positional[len(positional) - len(args.defaults):]
        pairs = list(zip(with_defaults, args.defaults))
        pairs += [(arg, default) for arg, default
                  in zip(args.kwonlyargs, args.kw_defaults)
                  if default is not None]
        for arg, default in pairs:
            self._add(child.param_defaults, arg.arg,
                      self._eval(default, env, scope))
        self._bind_name(stmt.name, frozenset([('function', child.index)]),
                        env, scope)

    def _run_if(self, stmt, env, scope):
        # ``elif`` chains nest in ``orelse``; walk them in a loop so a very
        # long chain does not recurse once per branch.
        branches = []
        node = stmt
        while True:
            self._scan([node.test], env, scope)
            branches.append(self._run_block(node.body, dict(env), scope))
            if len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
                node = node.orelse[0]
                continue
            branches.append(self._run_block(node.orelse, dict(env), scope))
            return _merge(branches)

    def _run_loop(self, stmt, env, scope):
        # Names assigned in the body may carry values from one iteration to
        # the next; forget them so lookups fall back to the scope summary.
        widened = dict(env)
        for name in _bound_names(stmt.body):
            widened.pop(name, None)
        if not isinstance(stmt, ast.While):
            elements = self._elements(self._eval(stmt.iter, env, scope))
            self._bind_target(stmt.target, None, elements, widened, scope)
        after_body = self._run_block(stmt.body, dict(widened), scope)
        merged = _merge([widened, after_body])
        return self._run_block(stmt.orelse, merged, scope)

    def _run_try(self, stmt, env, scope):
        after_body = self._run_block(stmt.body, dict(env), scope)
        handler_start = _merge([env, after_body])
        outcomes = [self._run_block(stmt.orelse, after_body, scope)]
        for handler in stmt.handlers:
            handler_env = dict(handler_start)
            if handler.type is not None:
                self._scan([handler.type], handler_env, scope)
            if handler.name:
                self._bind_name(handler.name, _EMPTY, handler_env, scope)
            outcomes.append(self._run_block(handler.body, handler_env, scope))
        return self._run_block(stmt.finalbody, _merge(outcomes), scope)

    def _run_match(self, stmt, env, scope):
        outcomes = [dict(env)]
        for case in stmt.cases:
            case_env = dict(env)
            roots = [case.pattern]
            if case.guard is not None:
                roots.append(case.guard)
            for name in _pattern_names(case.pattern):
                self._bind_name(name, _EMPTY, case_env, scope)
            self._scan(roots, case_env, scope)
            outcomes.append(self._run_block(case.body, case_env, scope))
        return _merge(outcomes)

    def _run_import(self, stmt, env, scope):
        for alias in stmt.names:
            if alias.name == '*':
                continue
            value = None
            if isinstance(stmt, ast.Import):
                if alias.asname:
                    value = _MODULES.get(alias.name)
                    name = alias.asname
                else:
                    name = alias.name.split('.')[0]
                    value = _MODULES.get(name)
            else:
                name = alias.asname or alias.name
                if stmt.level == 0 and stmt.module in _MODULES:
                    module = _MODULES[stmt.module]
                    full_name = '%s.%s' % (stmt.module, alias.name)
                    value = (_MODULE_ATTRS.get(module, {}).get(alias.name)
                             or _MODULES.get(full_name))
            values = frozenset([value]) if value else _EMPTY
            self._bind_name(name, values, env, scope)

    # -- binding ---------------------------------------------------------

    def _bind_name(self, name, values, env, scope):
        owner = self._owner(name, scope)
        if name in owner.shared_names:
            env.pop(name, None)
        else:
            env[name] = values
        self._add(owner.summary, name, values)

    def _bind_target(self, target, value_node, values, env, scope, depth=0):
        if isinstance(target, ast.Name):
            self._bind_name(target.id, values, env, scope)
        elif isinstance(target, (ast.Tuple, ast.List)):
            pairwise = (
                depth < _MAX_EVAL_DEPTH
                and isinstance(value_node, (ast.Tuple, ast.List))
                and len(value_node.elts) == len(target.elts)
                and not any(isinstance(node, ast.Starred)
                            for node in value_node.elts + target.elts))
            if pairwise:
                for sub_target, sub_value in zip(target.elts,
                                                 value_node.elts):
                    self._bind_target(sub_target, sub_value,
                                      self._eval(sub_value, env, scope),
                                      env, scope, depth + 1)
            else:
                for name in _target_names(target):
                    self._bind_name(name, _EMPTY, env, scope)
        elif isinstance(target, ast.Starred):
            for name in _target_names(target):
                self._bind_name(name, _EMPTY, env, scope)
        elif isinstance(target, ast.Attribute) and values:
            for owner in self._eval(target.value, env, scope):
                if owner[0] in ('instance', 'class'):
                    self._add(self._scopes[owner[1]].summary, target.attr,
                              values)

    # -- expressions inside statements ------------------------------------

    def _scan(self, roots, env, scope):
        """Apply walrus bindings and evaluate every call under *roots*."""
        nodes = list(_walk_expressions(roots))
        walruses = [(node, shadow) for node, shadow, in_lambda in nodes
                    if isinstance(node, ast.NamedExpr) and not in_lambda]
        walruses.sort(key=lambda item: (getattr(item[0], 'lineno', 0),
                                        getattr(item[0], 'col_offset', 0)))
        for node, shadow in walruses:
            values = self._eval(node.value, env, scope, shadow)
            self._bind_target(node.target, None, values, env, scope)
        for node, shadow, _ in nodes:
            if isinstance(node, ast.Call):
                self._eval(node, env, scope, shadow)
