"""Tests for chalice.analyzer: which boto3 client calls are found."""
import ast
import keyword
import string
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalice.analyzer import get_client_calls, get_client_calls_for_files


def calls(source):
    return get_client_calls(textwrap.dedent(source))


# -- creating clients ---------------------------------------------------


def test_module_level_client_call():
    assert calls("""
        import boto3
        s3 = boto3.client('s3')
        s3.list_buckets()
        s3.put_object(Bucket='b', Key='k', Body=b'')
    """) == {'s3': {'list_buckets', 'put_object'}}


def test_import_boto3_as_alias():
    assert calls("""
        import boto3 as b
        b.client('sqs').send_message(QueueUrl='q', MessageBody='m')
    """) == {'sqs': {'send_message'}}


def test_from_boto3_import_client():
    assert calls("""
        from boto3 import client
        ddb = client('dynamodb')
        ddb.get_item(TableName='t', Key={})
    """) == {'dynamodb': {'get_item'}}


def test_from_boto3_import_client_renamed():
    assert calls("""
        from boto3 import client as make_client
        make_client('sns').publish(TopicArn='t', Message='m')
    """) == {'sns': {'publish'}}


def test_service_name_keyword_argument():
    assert calls("""
        import boto3
        c = boto3.client(service_name='kinesis', region_name='us-west-2')
        c.put_record()
    """) == {'kinesis': {'put_record'}}


def test_extra_client_arguments_are_ignored():
    assert calls("""
        import boto3
        c = boto3.client('s3', region_name='us-west-2',
                         endpoint_url='http://localhost')
        c.get_object()
    """) == {'s3': {'get_object'}}


def test_session_module_session_class():
    assert calls("""
        import boto3
        boto3.session.Session().client('lambda').invoke(FunctionName='f')
    """) == {'lambda': {'invoke'}}


def test_import_boto3_session_submodule():
    assert calls("""
        import boto3.session
        boto3.session.Session(region_name='x').client('sts').get_caller_identity()
    """) == {'sts': {'get_caller_identity'}}


def test_boto3_session_stored_in_a_name():
    assert calls("""
        import boto3
        session = boto3.Session(profile_name='dev')
        c = session.client('s3')
        c.delete_object()
    """) == {'s3': {'delete_object'}}


def test_from_boto3_import_session_class():
    assert calls("""
        from boto3 import Session
        Session().client('sqs').receive_message()
    """) == {'sqs': {'receive_message'}}


def test_from_boto3_session_import_session_class():
    assert calls("""
        from boto3.session import Session as S
        s = S()
        s.client('events').put_events()
    """) == {'events': {'put_events'}}


def test_botocore_session_create_client():
    assert calls("""
        import botocore.session
        s = botocore.session.get_session()
        s.create_client('s3').list_buckets()
    """) == {'s3': {'list_buckets'}}


def test_client_factory_stored_in_a_name():
    assert calls("""
        import boto3
        make = boto3.client
        make('sqs').delete_message()
    """) == {'sqs': {'delete_message'}}


def test_inline_client_call():
    assert calls("""
        import boto3
        print(boto3.client('s3').list_buckets())
    """) == {'s3': {'list_buckets'}}


def test_client_call_nested_in_arguments_and_containers():
    assert calls("""
        import boto3
        c = boto3.client('s3')
        result = [len(c.list_objects_v2()['Contents']), {'k': c.head_object()}]
    """) == {'s3': {'list_objects_v2', 'head_object'}}


def test_multiple_services_are_kept_apart():
    assert calls("""
        import boto3
        s3 = boto3.client('s3')
        ddb = boto3.client('dynamodb')
        s3.get_object()
        ddb.put_item()
    """) == {'s3': {'get_object'}, 'dynamodb': {'put_item'}}


def test_client_without_calls_is_not_reported():
    assert calls("""
        import boto3
        s3 = boto3.client('s3')
    """) == {}


# -- where names are bound ----------------------------------------------


def test_module_level_client_used_inside_function():
    assert calls("""
        import boto3
        S3 = boto3.client('s3')

        def handler(event, context):
            return S3.get_object(Bucket='b', Key='k')
    """) == {'s3': {'get_object'}}


def test_module_level_client_defined_after_function():
    assert calls("""
        import boto3

        def handler():
            return S3.get_object()

        S3 = boto3.client('s3')
    """) == {'s3': {'get_object'}}


def test_client_created_inside_function():
    assert calls("""
        import boto3

        def handler():
            sqs = boto3.client('sqs')
            sqs.send_message()
    """) == {'sqs': {'send_message'}}


def test_client_as_function_default():
    assert calls("""
        import boto3

        def handler(event, client=boto3.client('dynamodb')):
            client.query()

        def other(*, kw_client=boto3.client('sqs')):
            kw_client.purge_queue()
    """) == {'dynamodb': {'query'}, 'sqs': {'purge_queue'}}


def test_reassigned_client_name():
    assert calls("""
        import boto3
        s3 = boto3.client('s3')

        def handler():
            c = s3
            c.get_object()
            d = c
            d.copy_object()
    """) == {'s3': {'get_object', 'copy_object'}}


def test_tuple_assignment_of_clients():
    assert calls("""
        import boto3
        a, b = boto3.client('s3'), boto3.client('sqs')
        a.list_buckets()
        b.list_queues()
    """) == {'s3': {'list_buckets'}, 'sqs': {'list_queues'}}


def test_annotated_assignment():
    assert calls("""
        import boto3
        c: object = boto3.client('s3')
        c.list_buckets()
    """) == {'s3': {'list_buckets'}}


def test_client_chosen_in_branches_is_either_service():
    assert calls("""
        import boto3
        if USE_QUEUE:
            c = boto3.client('sqs')
        else:
            c = boto3.client('sns')
        c.tag_resource()
    """) == {'sqs': {'tag_resource'}, 'sns': {'tag_resource'}}


def test_conditional_expression_and_boolean_or():
    assert calls("""
        import boto3
        _cached = None
        a = boto3.client('s3') if x else None
        b = _cached or boto3.client('sqs')
        a.list_buckets()
        b.list_queues()
    """) == {'s3': {'list_buckets'}, 'sqs': {'list_queues'}}


def test_walrus_binding():
    assert calls("""
        import boto3
        if (c := boto3.client('s3')) is not None:
            c.list_buckets()
    """) == {'s3': {'list_buckets'}}


def test_client_in_try_and_with_blocks():
    assert calls("""
        import boto3
        try:
            c = boto3.client('s3')
            c.get_object()
        except c.exceptions.NoSuchKey:
            c.put_object()
        finally:
            c.close()
        with lock:
            c.delete_object()
    """) == {'s3': {'get_object', 'put_object', 'delete_object'}}


def test_clients_in_a_loop():
    assert calls("""
        import boto3
        for c in [boto3.client('s3'), boto3.client('sqs')]:
            c.tag_resource()
        for _ in range(3):
            boto3.client('sns').publish()
    """) == {'s3': {'tag_resource'}, 'sqs': {'tag_resource'},
             'sns': {'publish'}}


def test_client_assigned_later_in_loop_is_seen_earlier_in_loop():
    assert calls("""
        import boto3
        client = None
        while True:
            if client is not None:
                client.get_item()
            client = boto3.client('dynamodb')
    """) == {'dynamodb': {'get_item'}}


def test_clients_in_a_dict():
    assert calls("""
        import boto3
        CLIENTS = {'s3': boto3.client('s3'), 'ddb': boto3.client('dynamodb')}
        CLIENTS['s3'].list_buckets()
        CLIENTS.get('ddb').scan()
    """) == {'s3': {'list_buckets', 'scan'},
             'dynamodb': {'list_buckets', 'scan'}}


def test_client_in_match_statement():
    assert calls("""
        import boto3
        c = boto3.client('s3')
        match event:
            case {'op': 'get'}:
                c.get_object()
            case _:
                c.put_object()
    """) == {'s3': {'get_object', 'put_object'}}


def test_closure_reads_enclosing_function_client():
    assert calls("""
        import boto3

        def outer():
            c = boto3.client('s3')

            def inner():
                return c.list_buckets()
            return inner
    """) == {'s3': {'list_buckets'}}


def test_global_client_set_lazily():
    assert calls("""
        import boto3
        _client = None

        def get():
            global _client
            if _client is None:
                _client = boto3.client('sqs')
            return _client

        def handler():
            get().send_message()
            _client.delete_message()
    """) == {'sqs': {'send_message', 'delete_message'}}


def test_nonlocal_client():
    assert calls("""
        import boto3

        def outer():
            c = None

            def init():
                nonlocal c
                c = boto3.client('s3')
            init()
            c.list_buckets()
    """) == {'s3': {'list_buckets'}}


# -- classes ------------------------------------------------------------


def test_client_stored_on_self():
    assert calls("""
        import boto3

        class Store:
            def __init__(self):
                self.ddb = boto3.client('dynamodb')

            def get(self, key):
                return self.ddb.get_item(TableName='t', Key=key)
    """) == {'dynamodb': {'get_item'}}


def test_self_client_used_in_method_defined_before_init():
    assert calls("""
        import boto3

        class Store:
            def put(me):
                me.client.put_item()

            def __init__(me):
                me.client = boto3.client('dynamodb')
    """) == {'dynamodb': {'put_item'}}


def test_class_attribute_client():
    assert calls("""
        import boto3

        class Store:
            client = boto3.client('s3')

            def go(self):
                self.client.list_buckets()

            @classmethod
            def make(cls):
                cls.client.create_bucket()
    """) == {'s3': {'list_buckets', 'create_bucket'}}


def test_client_on_instance_outside_the_class():
    assert calls("""
        import boto3

        class Store:
            def __init__(self):
                self.queue = boto3.client('sqs')

        store = Store()
        store.queue.send_message()
    """) == {'sqs': {'send_message'}}


def test_client_from_base_class():
    assert calls("""
        import boto3

        class Base:
            def __init__(self):
                self.client = boto3.client('s3')

        class Child(Base):
            def go(self):
                self.client.list_buckets()
    """) == {'s3': {'list_buckets'}}


def test_client_returned_by_property_and_method():
    assert calls("""
        import boto3

        class Store:
            @property
            def s3(self):
                return boto3.client('s3')

            def queue(self):
                return boto3.client('sqs')

            def go(self):
                self.s3.list_buckets()
                self.queue().list_queues()
    """) == {'s3': {'list_buckets'}, 'sqs': {'list_queues'}}


def test_self_client_is_per_class():
    assert calls("""
        import boto3

        class A:
            def __init__(self):
                self.c = boto3.client('s3')

        class B:
            def __init__(self):
                self.c = Other()

            def go(self):
                self.c.list_buckets()
    """) == {}


# -- functions returning clients -----------------------------------------


def test_function_returning_client_called_inline():
    assert calls("""
        import boto3

        def get_client():
            return boto3.client('dynamodb')

        def handler():
            get_client().get_item()
    """) == {'dynamodb': {'get_item'}}


def test_function_returning_client_assigned():
    assert calls("""
        import boto3

        def get_client():
            return boto3.client('dynamodb')

        c = get_client()
        c.put_item()
    """) == {'dynamodb': {'put_item'}}


def test_function_returning_client_defined_after_use():
    assert calls("""
        import boto3

        def handler():
            make().get_item()

        def make():
            return _inner()

        def _inner():
            c = boto3.client('dynamodb')
            return c
    """) == {'dynamodb': {'get_item'}}


def test_decorated_caching_client_factory():
    assert calls("""
        import functools
        import boto3

        @functools.lru_cache(maxsize=None)
        def s3():
            return boto3.client('s3')

        s3().list_buckets()
    """) == {'s3': {'list_buckets'}}


def test_lambda_returning_client():
    assert calls("""
        import boto3
        get = lambda: boto3.client('sqs')
        get().list_queues()
    """) == {'sqs': {'list_queues'}}


def test_bound_method_alias():
    assert calls("""
        import boto3
        send = boto3.client('sqs').send_message
        send(QueueUrl='q', MessageBody='m')
    """) == {'sqs': {'send_message'}}


# -- special client methods -----------------------------------------------


def test_paginator_counts_as_its_operation():
    assert calls("""
        import boto3
        s3 = boto3.client('s3')
        paginator = s3.get_paginator('list_objects_v2')
        for page in paginator.paginate(Bucket='b'):
            pass
        s3.get_paginator(operation_name='list_buckets')
    """) == {'s3': {'list_objects_v2', 'list_buckets'}}


def test_paginator_with_non_literal_name_is_ignored():
    assert calls("""
        import boto3
        boto3.client('s3').get_paginator(name)
    """) == {}


def test_waiters_and_helpers_are_not_calls():
    assert calls("""
        import boto3
        c = boto3.client('s3')
        c.get_waiter('bucket_exists').wait(Bucket='b')
        c.can_paginate('list_objects')
        c.exceptions.NoSuchKey
        c.meta.region_name
    """) == {}


def test_presigned_url_needs_the_signed_operation():
    assert calls("""
        import boto3
        c = boto3.client('s3')
        c.generate_presigned_url('get_object', Params={'Bucket': 'b'})
        c.generate_presigned_url(ClientMethod='put_object')
    """) == {'s3': {'get_object', 'put_object'}}


# -- negative cases ------------------------------------------------------


def test_non_boto3_object_with_same_method_names():
    assert calls("""
        import boto3
        import requests
        session = requests.Session()
        session.client('s3').list_buckets()

        class Fake:
            def client(self, name):
                return self
        Fake().client('s3').get_object()
        other.client('s3').put_object()
    """) == {}


def test_module_imported_under_boto3_name_is_not_boto3():
    assert calls("""
        import mylib as boto3
        boto3.client('s3').list_buckets()
    """) == {}


def test_boto3_name_rebound():
    assert calls("""
        import boto3
        boto3 = FakeBoto()
        boto3.client('s3').list_buckets()
    """) == {}


def test_from_boto3_import_resource_is_not_a_client():
    assert calls("""
        from boto3 import resource
        resource('dynamodb').Table('t').get_item()
    """) == {}


def test_parameter_shadows_module_client():
    assert calls("""
        import boto3
        s3 = boto3.client('s3')

        def handler(s3):
            s3.list_buckets()
    """) == {}


def test_local_variable_shadows_module_client():
    assert calls("""
        import boto3
        s3 = boto3.client('s3')

        def handler():
            s3 = make_fake()
            s3.list_buckets()
    """) == {}


def test_rebound_name_is_no_longer_a_client():
    assert calls("""
        import boto3
        c = boto3.client('s3')
        c.list_buckets()
        c = {}
        c.get_object()
    """) == {'s3': {'list_buckets'}}


def test_lambda_and_comprehension_variables_shadow_clients():
    assert calls("""
        import boto3
        s3 = boto3.client('s3')
        f = lambda s3: s3.list_buckets()
        [s3.get_object() for s3 in fakes]
    """) == {}


def test_staticmethod_first_parameter_is_not_self():
    assert calls("""
        import boto3

        class A:
            def __init__(self):
                self.c = boto3.client('s3')

            @staticmethod
            def helper(self):
                self.c.list_buckets()
    """) == {}


def test_non_literal_service_names_are_ignored():
    assert calls("""
        import boto3
        name = 's3'
        boto3.client(name).list_buckets()
        boto3.client(f'{name}').get_object()
        boto3.client(*args).put_object()
        boto3.client(**kwargs).delete_object()
        boto3.client().head_object()
        boto3.client(123).x()
    """) == {}


def test_no_boto3_at_all():
    assert calls("print('hello')\n") == {}
    assert calls("") == {}


# -- errors and robustness ------------------------------------------------


def test_syntax_error_is_raised():
    with pytest.raises(SyntaxError):
        calls("def broken(:\n    pass\n")


def test_nul_byte_is_reported_as_syntax_error():
    with pytest.raises(SyntaxError):
        get_client_calls("x = 1\0\n")


def test_bytes_source_with_encoding_cookie():
    source = (b"# -*- coding: latin-1 -*-\nimport boto3\n"
              b"s = '\xe9'\nboto3.client('s3').list_buckets()\n")
    assert get_client_calls(source) == {'s3': {'list_buckets'}}


DEEP_SOURCES = {
    'call-chain': "import boto3\nc = boto3.client('s3')\nc" + ".x()" * 400 + "\n",
    'long-sum': "x = " + " + ".join(["a"] * 400) + "\n",
    'elif-chain': "if a:\n    pass\n" + "elif a:\n    pass\n" * 400,
    'ifexp-chain': "x = " + "a if b else " * 300 + "c\n",
    'lambda-chain': "x = " + "lambda: " * 300 + "c\n",
    'nested-calls': "x = " + "f(" * 150 + ")" * 150 + "\n",
    'nested-tuple-target': "(" * 150 + "a," + "),"* 149 + ") = 1\n",
    'nested-loops': "".join("    " * i + "for a in b:\n" for i in range(90))
    + "    " * 90 + "import boto3; boto3.client('s3').list_buckets()\n",
}


@pytest.mark.parametrize('name', sorted(DEEP_SOURCES))
def test_deep_or_long_code_does_not_crash(name):
    result = get_client_calls(DEEP_SOURCES[name])
    assert isinstance(result, dict)


def test_source_too_deep_for_python_parser_is_a_syntax_error():
    source = "x = " + "-" * 100000 + "1\n"
    with pytest.raises(SyntaxError):
        get_client_calls(source)


def test_deeply_nested_loops_still_find_the_call():
    source = ("import boto3\n"
              + "".join("    " * i + "for a in b:\n" for i in range(60))
              + "    " * 60 + "boto3.client('s3').list_buckets()\n")
    assert get_client_calls(source) == {'s3': {'list_buckets'}}


def test_modern_syntax_does_not_crash():
    assert calls("""
        import boto3
        async def handler():
            async with boto3.client('s3') as c:
                await c.list_buckets()
            async for item in gen():
                yield item
        try:
            pass
        except* ValueError as group:
            pass
        def f(a, /, b=1, *args, c, d=2, **kw): ...
        print(*[1], **{})
        x = [y async for y in z] if False else {k: v for k, v in d.items()}
        del x
        type_ = lambda *a, **k: None
    """) == {}


@pytest.mark.parametrize('source', [
    "class A:\n    def f(self):\n        global self\n        self.x()\n",
    "def f(c):\n    nonlocal c\n",
    "nonlocal x\nreturn boto3\nyield x\n",
    "import boto3\nx = boto3.client('s3')\nglobal x\nx.list_buckets()\n",
    "def f():\n    x = 1\n    global x\n",
    "class A:\n    nonlocal q\n    def m(cls):\n        nonlocal q\n",
])
def test_parseable_but_uncompilable_source_does_not_crash(source):
    # These parse but are rejected later by compile(); the analyzer only
    # needs a parse tree, so it must cope with them.
    assert isinstance(get_client_calls(source), dict)


def test_get_client_calls_for_files_merges(tmp_path):
    one = tmp_path / 'app.py'
    one.write_text("import boto3\nboto3.client('s3').list_buckets()\n")
    two = tmp_path / 'lib.py'
    two.write_text("import boto3\nc = boto3.client('s3')\nc.get_object()\n"
                   "boto3.client('sqs').send_message()\n")
    assert get_client_calls_for_files([one, str(two)]) == {
        's3': {'list_buckets', 'get_object'}, 'sqs': {'send_message'}}


def test_get_client_calls_for_files_reports_file_in_syntax_error(tmp_path):
    bad = tmp_path / 'bad.py'
    bad.write_text("def (\n")
    with pytest.raises(SyntaxError) as excinfo:
        get_client_calls_for_files([bad])
    assert excinfo.value.filename == str(bad)


# -- property-based: arbitrary valid modules never crash ------------------


_FIRST = string.ascii_letters + '_'
IDENTIFIERS = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(_FIRST),
    st.text(alphabet=_FIRST + string.digits, max_size=6),
).filter(lambda name: not keyword.iskeyword(name))
NAMES = st.one_of(IDENTIFIERS, st.sampled_from(
    ['boto3', 'client', 'Session', 'session', 'self', 's3', 'c',
     'get_paginator', 'get_waiter', 'list_buckets', 'get_client']))
LITERALS = st.one_of(
    st.sampled_from(["'s3'", "'dynamodb'", "'list_objects_v2'", "None",
                     "1", "''", "'no-such-service'"]),
    st.text(max_size=5).map(repr))


def _expressions():
    def extend(inner):
        return st.one_of(
            st.tuples(inner, NAMES).map(lambda t: '(%s).%s' % t),
            st.tuples(inner, st.lists(inner, max_size=3)).map(
                lambda t: '(%s)(%s)' % (t[0], ', '.join(t[1]))),
            st.tuples(inner, NAMES, inner).map(
                lambda t: '(%s)(%s=%s)' % t),
            st.tuples(NAMES, inner).map(lambda t: '(%s := %s)' % t),
            st.tuples(NAMES, inner).map(lambda t: '(lambda %s: %s)' % t),
            st.tuples(inner, NAMES, inner).map(
                lambda t: '[%s for %s in %s]' % t),
            st.tuples(inner, inner, inner).map(
                lambda t: '(%s if %s else %s)' % t),
            st.tuples(inner, inner).map(lambda t: '(%s or %s)' % t),
            st.lists(inner, max_size=3).map(lambda xs: '[%s]' % ', '.join(xs)),
            st.tuples(inner, inner).map(lambda t: '{%s: %s}' % t),
            st.tuples(inner, inner).map(lambda t: '(%s)[%s]' % t),
        )
    clients = st.sampled_from(["boto3.client('s3')", "boto3.Session().client",
                               "s3.get_paginator('list_buckets')"])
    return st.recursive(st.one_of(NAMES, LITERALS, clients), extend,
                        max_leaves=5)


EXPRESSIONS = _expressions()


def _statements():
    simple = st.one_of(
        st.tuples(NAMES, EXPRESSIONS).map(lambda t: '%s = %s' % t),
        EXPRESSIONS,
        st.just('import boto3'),
        st.tuples(NAMES).map(lambda t: 'import boto3 as %s' % t),
        st.tuples(st.sampled_from(['client', 'Session', 'session', 'x']),
                  NAMES).map(lambda t: 'from boto3 import %s as %s' % t),
        st.tuples(NAMES, NAMES, EXPRESSIONS).map(
            lambda t: '%s.%s = %s' % t),
        st.tuples(NAMES).map(lambda t: 'global %s' % t),
        st.tuples(EXPRESSIONS).map(lambda t: 'return %s' % t),
    )

    def extend(inner):
        block = st.lists(inner, min_size=1, max_size=3)

        def indent(lines):
            return '\n'.join('    ' + line
                             for stmt in lines for line in stmt.split('\n'))
        return st.one_of(
            st.tuples(NAMES, NAMES, block).map(
                lambda t: 'def %s(%s=None):\n%s' % (t[0], t[1], indent(t[2]))),
            st.tuples(NAMES, block).map(
                lambda t: 'class %s:\n%s' % (t[0], indent(t[1]))),
            st.tuples(EXPRESSIONS, block, block).map(
                lambda t: 'if %s:\n%s\nelse:\n%s' % (
                    t[0], indent(t[1]), indent(t[2]))),
            st.tuples(NAMES, EXPRESSIONS, block).map(
                lambda t: 'for %s in %s:\n%s' % (t[0], t[1], indent(t[2]))),
            st.tuples(block, block).map(
                lambda t: 'try:\n%s\nexcept Exception as e:\n%s' % (
                    indent(t[0]), indent(t[1]))),
        )
    return st.recursive(simple, extend, max_leaves=6)


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
@given(st.lists(_statements(), min_size=1, max_size=8))
def test_generated_modules_never_crash(statements):
    source = 'import boto3\n' + '\n'.join(statements) + '\n'
    try:
        ast.parse(source)
    except SyntaxError:
        # Generated text that is not even parseable must be reported the
        # same way by the analyzer (compile-time-only errors such as a
        # stray ``return`` parse fine and are analysed like anything else).
        with pytest.raises(SyntaxError):
            get_client_calls(source)
        return
    result = get_client_calls(source)
    assert isinstance(result, dict)
    for service, methods in result.items():
        assert isinstance(service, str)
        assert methods and all(isinstance(m, str) for m in methods)
