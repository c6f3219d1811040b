"""Documented behaviours no other test pins down: resolutions of contradictions
in Chalice's documentation (FEATURES.md section 10) and Chalice 1.34's constants
(Appendix A).

#15: the advanced blueprint example defines two views named ``index`` in one
module, on ``/`` and ``/foo``.  View names must differ only per path, so the
example loads, passes the deploy checks, builds its API definition and
answers on both paths.  #16: ``CORSConfig`` is imported from ``chalice``.
"""
import json

from chalice import Blueprint, Chalice, CORSConfig
from chalice.appcheck import find_problems
from chalice.deploy import packager
from chalice.deploy.swagger import SwaggerGenerator, render_document
from chalice.test import Client


def advanced_blueprint_app():
    myapi = Blueprint('chalicelib.api')

    @myapi.route('/')
    def index():
        return {'hello': 'world'}

    @myapi.route('/foo')
    def index():  # noqa: F811 - the documentation's example, as written
        return {'foo': 'bar'}

    app = Chalice(app_name='blueprints')
    app.register_blueprint(myapi)
    return app


def test_two_views_named_index_on_different_paths(tmp_path):
    app = advanced_blueprint_app()
    assert [app.routes[path]['GET'].view_name for path in ('/', '/foo')] == ['index', 'index']
    assert find_problems(app) == []
    document = render_document(SwaggerGenerator(
        'us-west-2', 'arn:aws:lambda:us-west-2:123456789012:function:blueprints-dev'
    ).generate(app), str)
    assert sorted(document['paths']) == ['/', '/foo']
    with Client(app, project_dir=str(tmp_path)) as client:
        assert json.loads(client.http.get('/').body) == {'hello': 'world'}
        assert json.loads(client.http.get('/foo').body) == {'foo': 'bar'}


def test_deployment_package_limits_are_lambdas():
    # Chalice 1.34's maximum deployment size is 50 MB zipped (a direct
    # upload); Lambda also caps a function with its layers at 250 MB unzipped.
    assert packager.MAX_ZIPPED_BYTES == 50 * 1024 * 1024
    assert packager.MAX_UNZIPPED_BYTES == 250 * 1024 * 1024


def test_cors_config_is_a_module_level_class_only():
    # #16: the routing docs once write app.CORSConfig(...); as in Chalice 1.x
    # the class is imported from chalice and the app has no such attribute.
    app = Chalice('cors')
    assert not hasattr(app, 'CORSConfig')
    app.route('/', cors=CORSConfig(allow_origin='https://foo.example.com'))(lambda: {})
    assert app.routes['/']['GET'].cors == CORSConfig(allow_origin='https://foo.example.com')
