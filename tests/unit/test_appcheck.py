"""Route and name checks that run in `chalice deploy/package/local`, not at import.

Chalice 1.x imports these apps (in Lambda and in the test client); only the
commands that deploy or serve them refuse (issue 7, item 7).
"""
import pytest

from chalice import Chalice, CORSConfig
from chalice.appcheck import AppCheckError, InvalidRouteError, check_app, function_location
from chalice.test import Client


def named_view(name, result=None):
    def view(**kwargs):
        return result if result is not None else {}
    view.__name__ = name
    return view


@pytest.fixture
def app():
    app = Chalice('appcheck')
    app.log.setLevel(100)
    app.route('/fine')(named_view('fine', {'fine': True}))
    return app


def assert_loads_but_is_refused(app, match, tmp_path):
    """The app works in the test client; check_app refuses it."""
    with Client(app, project_dir=str(tmp_path)) as client:
        assert client.http.get('/fine').json_body == {'fine': True}
    with pytest.raises(AppCheckError, match=match) as raised:
        check_app(app)
    return raised.value


@pytest.mark.parametrize('path, match', [
    ('/foo/', 'trailing slash: /foo/ \\(use /foo\\)'),
    ('/foo/bar/', 'trailing slash'),
    ('/foo bar', 'Invalid route'),
    ('/foo$', 'Invalid route'),
    ('/caf\u00e9', 'Invalid route'),
    ('foo', 'starting with "/"'),
    ('', 'starting with "/"'),
    ('/a/{x}/b/{x}', 'captures the same name twice'),
    ('/a/{x}/{x+}', 'captures the same name twice'),
    ('/a/{proxy+}/b', 'Invalid route'),
    ('/a//b', 'Invalid route'),
    ('/a/{}', 'Invalid route'),
    ('/a/b{c}', 'Invalid route'),
])
def test_route_paths_a_deploy_refuses(app, path, match, tmp_path):
    app.route(path)(named_view('bad'))
    error = assert_loads_but_is_refused(app, match, tmp_path)
    assert error.function is app.routes[path]['GET'].view_function


def test_view_arguments_must_cover_the_captures(app, tmp_path):
    @app.route('/users/{name}')
    def users(user):
        return {}

    error = assert_loads_but_is_refused(
        app, "View function 'users' must accept keyword argument\\(s\\) 'name' captured "
             "by route /users/{name}", tmp_path)
    assert error.function is users
    assert function_location(users) == (__file__, users.__code__.co_firstlineno)


def test_view_with_var_kwargs_is_fine(app):
    app.route('/a/{first}/b/{second}')(named_view('anything'))
    check_app(app)


def test_unknown_method_is_refused(app, tmp_path):
    app.route('/x', methods=['FETCH'])(named_view('x'))
    assert_loads_but_is_refused(app, "Unsupported HTTP method 'FETCH'", tmp_path)


def test_options_with_cors_is_refused(app, tmp_path):
    app.route('/o', methods=['GET', 'OPTIONS'], cors=True)(named_view('o'))
    assert_loads_but_is_refused(app, 'OPTIONS', tmp_path)


def test_options_with_global_cors_is_refused(app, tmp_path):
    app.route('/o', methods=['OPTIONS'])(named_view('o'))
    check_app(app)
    app.api.cors = True
    assert_loads_but_is_refused(app, 'OPTIONS', tmp_path)


def test_different_cors_settings_on_one_path_are_refused(app, tmp_path):
    app.route('/c', methods=['GET'], cors=True)(named_view('c_get'))
    app.route('/c', methods=['PUT'],
              cors=CORSConfig(allow_origin='https://foo.example.com'))(named_view('c_put'))
    assert_loads_but_is_refused(app, 'different CORS settings', tmp_path)


def test_equal_cors_settings_on_one_path_are_fine(app):
    app.route('/c', methods=['GET'], cors=CORSConfig(max_age=10))(named_view('c_get'))
    app.route('/c', methods=['PUT'], cors=CORSConfig(max_age=10))(named_view('c_put'))
    check_app(app)


def test_mixed_binary_and_non_binary_content_types_are_refused(app, tmp_path):
    app.route('/m', methods=['POST'],
              content_types=['application/json', 'image/png'])(named_view('m'))
    assert_loads_but_is_refused(app, 'mixes binary and non-binary', tmp_path)


def test_duplicate_view_names_on_one_path_are_refused(app, tmp_path):
    app.route('/same', methods=['GET'])(named_view('view'))
    app.route('/same', methods=['POST'])(named_view('view'))
    assert_loads_but_is_refused(app, "Duplicate view name 'view'", tmp_path)


def test_routes_matching_the_same_paths_are_refused(app, tmp_path):
    app.route('/users/{user_id}')(named_view('by_id'))
    app.route('/users/{name}')(named_view('by_name'))
    with Client(app, project_dir=str(tmp_path)) as client:
        assert client.http.get('/fine').status_code == 200
        assert client.http.get('/users/1').status_code == 200
    with pytest.raises(InvalidRouteError, match="Invalid route in app.py: .*'/users/{name}'"):
        check_app(app)


def test_a_valid_app_passes(app):
    @app.route('/items/{item_id}', methods=['GET', 'PUT'], cors=True)
    def item(item_id):
        return {}

    @app.lambda_function()
    def worker(event, context):
        pass

    @app.on_ws_message()
    def message(event):
        pass

    check_app(app)
