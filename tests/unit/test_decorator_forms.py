"""Decorator factories used without their parentheses, and the feature-flag set.

``@app.on_ws_message`` (no ``()``) used to hand the function to the factory
as its ``name`` and register nothing at all; every decorator factory whose
first argument can never be a function now refuses that at import time.
"""
import pickle

import pytest

from chalice import Blueprint, Chalice
from chalice.cli.factory import check_experimental_features

# (decorator, what the function is handed to when "()" is left out)
FACTORIES = [
    'lambda_function', 'schedule', 'on_cw_event', 'on_s3_event', 'on_sns_message',
    'on_sqs_message', 'on_kinesis_record', 'on_dynamodb_record',
    'on_ws_connect', 'on_ws_message', 'on_ws_disconnect',
]


def _registered(app):
    return (app.event_sources, app.pure_lambda_functions, app.websocket_handlers,
            app.handler_map)


@pytest.mark.parametrize('decorator', FACTORIES)
def test_bare_decorator_is_refused_with_the_fix(decorator):
    app = Chalice('bare')

    def handler(event):
        return event

    with pytest.raises(TypeError) as info:
        getattr(app, decorator)(handler)
    assert str(info.value) == (
        '%s needs parentheses: write @app.%s(...) above handler, not @app.%s'
        % (decorator, decorator, decorator))
    assert _registered(app) == ([], [], {}, {})


@pytest.mark.parametrize('decorator', ['on_ws_message', 'lambda_function', 'schedule'])
def test_bare_decorator_on_a_blueprint_is_refused(decorator):
    bp = Blueprint('chalicelib.bare')
    with pytest.raises(TypeError, match='%s needs parentheses' % decorator):
        getattr(bp, decorator)(lambda event: event)


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
