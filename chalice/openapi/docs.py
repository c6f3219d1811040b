"""``chalice local --docs``: ``/openapi.json`` and a Swagger UI page at ``/docs``.

:class:`DocsPages` answers ``GET``/``HEAD`` of

* ``/openapi.json``: the app's OpenAPI 3.0 description
  (:func:`chalice.openapi.docs_document`, built once when the server starts);
* ``/docs`` (and ``/docs/``): an HTML page running Swagger UI against it;
* ``/docs/<file>``: Swagger UI's own files, from the ``swagger-ui-bundle``
  package (the ``chalice[docs]`` extra).

It is mounted on the local server (:meth:`chalice.local.LocalDevServer.mount`),
so these paths exist only in ``chalice local``: they are not routes of the
app and are never deployed.  A route the app defines with exactly one of
these paths wins (the app's own ``/docs`` stays the app's); a route that
merely matches one through a capture (``/{name}``, ``/{proxy+}``) does not,
since ``--docs`` asked for the docs page.  Other methods, and every other
path, go to the app as usual.

The page loads nothing but these paths: no fonts or scripts from elsewhere,
and Swagger UI's online validator badge is turned off.
"""
import html
import json
import threading

from chalice.errors import ChaliceError
from chalice.proxy import HTTPResponse

__all__ = ['DocsPages', 'DOCS_PATH', 'SPEC_PATH', 'swagger_ui_files', 'MISSING_SWAGGER_UI']

DOCS_PATH = '/docs'
SPEC_PATH = '/openapi.json'

MISSING_SWAGGER_UI = ("chalice local --docs needs Swagger UI: install it with "
                      "pip install 'chalice[docs]' (the swagger-ui-bundle package).")

# The files of swagger-ui-bundle served under /docs/, and their media types.
_ASSETS = {
    'swagger-ui.css': 'text/css; charset=utf-8',
    'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
    'favicon-32x32.png': 'image/png',
    'favicon-16x16.png': 'image/png',
    'oauth2-redirect.html': 'text/html; charset=utf-8',
    'swagger-ui.css.map': 'application/json',
    'swagger-ui-bundle.js.map': 'application/json',
}
_REQUIRED_ASSETS = ('swagger-ui.css', 'swagger-ui-bundle.js')

_PAGE = '''<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - API docs (chalice local)</title>
<link rel="stylesheet" href="{docs}/swagger-ui.css">
<link rel="icon" type="image/png" href="{docs}/favicon-32x32.png" sizes="32x32">
<style>body {{ margin: 0; }}</style>
</head>
<body>
<div id="swagger-ui"></div>
<script src="{docs}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{
  url: {spec},
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  oauth2RedirectUrl: window.location.origin + "{docs}/oauth2-redirect.html",
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
}});
</script>
</body>
</html>
'''


def swagger_ui_files():
    """The folder (a ``Traversable``) of swagger-ui-bundle's files.

    Raises :class:`ChaliceError` with :data:`MISSING_SWAGGER_UI` when the
    package is not installed or lacks the files.
    """
    try:
        import swagger_ui_bundle
    except ImportError:
        raise ChaliceError(MISSING_SWAGGER_UI) from None
    folder = getattr(swagger_ui_bundle, 'swagger_ui_path', None)
    if folder is None or not all(folder.joinpath(name).is_file()
                                 for name in _REQUIRED_ASSETS):
        raise ChaliceError(MISSING_SWAGGER_UI)
    return folder


class DocsPages:
    """The local docs paths; call it with ``(method, target, headers)``.

    Returns an :class:`~chalice.proxy.HTTPResponse`, or None for a request
    that is not its own (the app answers those).  ``document`` is the
    OpenAPI document to serve, ``files`` the Swagger UI folder.
    """

    def __init__(self, app, document, files) -> None:
        self.files = files
        self._spec = json.dumps(document, indent=2).encode('utf-8')
        title = (document.get('info') or {}).get('title') or app.app_name
        self._page = _PAGE.format(
            title=html.escape(str(title)), docs=DOCS_PATH,
            spec=json.dumps(SPEC_PATH)).encode('utf-8')
        self._cache: dict = {}
        self._lock = threading.Lock()
        pages = {SPEC_PATH: self._spec_response, DOCS_PATH: self._page_response,
                 DOCS_PATH + '/': self._page_response}
        for name in _ASSETS:
            pages['%s/%s' % (DOCS_PATH, name)] = self._asset_response
        routes = getattr(app, 'routes', {})
        #: The docs paths the app defines itself (left to the app).
        self.shadowed = sorted(path for path in pages if path in routes)
        self._pages = {path: page for path, page in pages.items() if path not in routes}

    @property
    def serves_page(self) -> bool:
        return DOCS_PATH in self._pages

    def warnings(self):
        """What to tell the user about docs paths the app defines itself."""
        messages = []
        for path in self.shadowed:
            if path == DOCS_PATH:
                messages.append('app.py defines the route %s, so chalice local --docs leaves '
                                'it to the app and serves no docs page.' % path)
            elif path != DOCS_PATH + '/':
                messages.append('app.py defines the route %s, so chalice local --docs leaves '
                                'it to the app.' % path)
        return messages

    def __call__(self, method, target, headers=()):
        if method not in ('GET', 'HEAD'):
            return None
        path = target.split('#', 1)[0].split('?', 1)[0]
        page = self._pages.get(path)
        if page is None:
            return None
        return page(path)

    def _spec_response(self, path):
        return HTTPResponse(200, [('Content-Type', 'application/json'),
                                  ('Cache-Control', 'no-cache'),
                                  ('Access-Control-Allow-Origin', '*')], self._spec)

    def _page_response(self, path):
        return HTTPResponse(200, [('Content-Type', 'text/html; charset=utf-8'),
                                  ('Cache-Control', 'no-cache')], self._page)

    def _asset_response(self, path):
        name = path.rsplit('/', 1)[1]
        with self._lock:
            body = self._cache.get(name)
            if body is None:
                asset = self.files.joinpath(name)
                if not asset.is_file():
                    return None  # an optional file this version lacks: the app answers
                body = self._cache[name] = asset.read_bytes()
        return HTTPResponse(200, [('Content-Type', _ASSETS[name]),
                                  ('Cache-Control', 'max-age=3600')], body)
