"""Decorator factories used without their parentheses, and the feature-flag set.

``@app.on_ws_message`` (no ``()``) hands the function to the factory as its
``name`` and registers nothing.  The app still imports (Chalice 1.x imports
it, so Lambda must too); the CLI's checks refuse it with the fix.
"""
import pickle

import pytest

from chalice import Blueprint, Chalice
from chalice.appcheck import argument_problems, find_problems, problem_line
from chalice.cli.factory import check_experimental_features

FACTORIES = [
    'authorizer', 'lambda_function', 'schedule', 'on_cw_event', 'on_s3_event', 'on_sns_message',
    'on_sqs_message', 'on_kinesis_record', 'on_dynamodb_record',
    'on_ws_connect', 'on_ws_message', 'on_ws_disconnect', 'route', 'middleware',
]


def _registered(app):
    return (app.event_sources, app.pure_lambda_functions, app.websocket_handlers,
            app.handler_map, app.routes, app._middleware)


def handler(event):
    return event


@pytest.mark.parametrize('decorator', FACTORIES)
def test_bare_decorator_imports_registers_nothing_and_is_refused_by_the_checks(decorator):
    app = Chalice('bare')
    returned = getattr(app, decorator)(handler)
    assert callable(returned) and returned is not handler
    assert _registered(app) == ([], [], {}, {}, {}, [])
    assert app.builtin_auth_handlers == []
    [problem] = find_problems(app)
    assert problem.function is handler
    assert problem_line(problem, '/nowhere') == (
        'Invalid %s:%d: @app.%s needs parentheses: without them handler is not registered; '
        'write @app.%s(...)' % (__file__, handler.__code__.co_firstlineno, decorator,
                                decorator))


def test_the_same_factories_with_parentheses_are_not_reported():
    app = Chalice('fine')
    app.lambda_function(name='pure')(lambda event, context: None)
    app.schedule('rate(1 hour)', name='tick')(handler)
    app.on_ws_message()(handler)
    app.experimental_feature_flags.add('WEBSOCKETS')
    assert argument_problems(app) == []
    assert app._bare_uses == ()


@pytest.mark.parametrize('decorator', ['on_ws_message', 'lambda_function', 'schedule'])
def test_bare_decorator_on_a_blueprint_is_reported_once_registered(decorator):
    bp = Blueprint('chalicelib.bare')
    getattr(bp, decorator)(handler)
    app = Chalice('bp')
    assert argument_problems(app) == []
    app.register_blueprint(bp, name_prefix='bp_')
    [problem] = argument_problems(app)
    assert str(problem).startswith('@app.%s needs parentheses' % decorator)
    assert problem.function is handler


def test_websocket_decorators_with_parentheses_still_register():
    app = Chalice('ws')

    @app.on_ws_connect()
    def connect(event):
        pass

    @app.on_ws_message(name='chat')
    def message(event):
        pass

    assert {key: config.name for key, config in app.websocket_handlers.items()} == {
        '$connect': 'websocket_connect', '$default': 'chat'}


def test_feature_flags_are_a_set_that_also_takes_extend():
    # The websocket docs opt in with .extend([...]); the flags are a set.
    app = Chalice('flags')
    flags = app.experimental_feature_flags
    assert isinstance(flags, set)
    assert flags == set() and repr(flags) == 'set()'
    flags.extend(['WEBSOCKETS'])
    flags.extend(('WEBSOCKETS', 'OTHER'))
    assert flags == {'WEBSOCKETS', 'OTHER'}
    assert repr(flags) in (
        "{'WEBSOCKETS', 'OTHER'}", "{'OTHER', 'WEBSOCKETS'}")
    assert pickle.loads(pickle.dumps(flags)) == {'WEBSOCKETS', 'OTHER'}


def test_extend_opts_in_as_update_does():
    app = Chalice('flags')
    app.experimental_feature_flags.extend(['WEBSOCKETS'])

    @app.on_ws_message()
    def message(event):
        pass

    check_experimental_features(app)  # no error: the app opted in
