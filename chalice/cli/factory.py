"""Builds the objects CLI commands work with.

:class:`CLIFactory` knows the project directory and the global CLI options
and turns them into the user's Chalice app, a resolved :class:`Config`, and
botocore sessions.  Commands ask the factory instead of wiring these up
themselves, and tests can swap the factory out.

This module is imported by every command, so it must stay cheap: botocore
and the config machinery are imported inside the methods that need them.
"""
import importlib
import importlib.util
import os
import sys
import traceback

from chalice import __version__
from chalice.errors import AppLoadError, ChaliceError, ExperimentalFeatureError

DEFAULT_STAGE_NAME = 'dev'
DEFAULT_HANDLER_NAME = 'api_handler'

# Features that used to need an opt-in flag and have since been accepted.
# Apps that use them no longer have to list them in experimental_feature_flags.
ACCEPTED_FEATURES = frozenset(['BLUEPRINTS'])
# The address the documented message gives.
EXPERIMENTAL_DOCS_URL = 'https://chalice.readthedocs.io/en/latest/topics/experimental.rst'


class CLIFactory:
    """Creates apps, configs and AWS sessions for one project directory.

    ``environ`` is the environment mapping the factory reads and writes
    (``os.environ`` unless a test supplies its own); environment variables
    from the config are applied to it before the user's app is imported.
    """

    def __init__(self, project_dir, debug=False, profile=None, environ=None):
        self.project_dir = os.path.abspath(project_dir)
        self.debug = debug
        self.profile = profile
        self.environ = os.environ if environ is None else environ

    # -- the user's app --------------------------------------------------

    def load_chalice_app(self, environment_variables=None, validate_feature_flags=True,
                         check_app=True):
        """Import ``<project_dir>/app.py`` afresh and return its ``app``.

        Stale ``app`` and ``chalicelib`` modules are dropped first so a
        reload sees the code as it is on disk now, and the project directory
        is put at the front of ``sys.path`` so ``chalicelib`` imports work.
        With ``check_app`` the routes and function names are checked as a
        deploy needs them (:mod:`chalice.appcheck`).
        Raises :class:`AppLoadError` or :class:`ExperimentalFeatureError`.
        """
        app_py = os.path.join(self.project_dir, 'app.py')
        if not os.path.isfile(app_py):
            raise AppLoadError(
                'No app.py file found in {}. Run this command from a Chalice project '
                'directory, or pass --project-dir.'.format(self.project_dir))
        if environment_variables:
            self.environ.update(environment_variables)
        _forget_user_modules()
        _put_first_on_path(self.project_dir)
        importlib.invalidate_caches()
        module = self._import_app_module(app_py)
        missing = object()
        app = getattr(module, 'app', missing)
        if app is missing:
            raise AppLoadError(
                "app.py must define a variable named 'app' holding the Chalice object.")
        if validate_feature_flags:
            check_experimental_features(app)
        if check_app and hasattr(app, 'routes'):
            self._check_app(app)
        return app

    def _check_app(self, app):
        """Refuse an app a deploy cannot handle, naming the function at fault."""
        from chalice.appcheck import AppCheckError, check_app, problem_line

        try:
            check_app(app)
        except AppCheckError as error:
            raise AppLoadError(problem_line(error, self.project_dir)) from None

    def _import_app_module(self, app_py):
        spec = importlib.util.spec_from_file_location('app', app_py)
        module = importlib.util.module_from_spec(spec)
        sys.modules['app'] = module
        try:
            spec.loader.exec_module(module)
        except (Exception, SystemExit) as exc:
            _forget_user_modules()
            error = AppLoadError(
                'Unable to import your app.py file: {}'.format(self._describe_failure(exc)))
            error.user_traceback = self._user_traceback(exc)
            raise error from exc
        return module

    def _in_project(self, filename):
        if not filename:
            return False
        path = os.path.abspath(filename)
        return path == self.project_dir or path.startswith(self.project_dir + os.sep)

    def _display_path(self, filename):
        from chalice.appcheck import display_path

        return display_path(filename, self.project_dir)

    def _describe_failure(self, exc):
        """Return ``ExcType: message (file:line)`` on one line."""
        if isinstance(exc, SyntaxError):
            message, filename, lineno = exc.msg, exc.filename, exc.lineno
        else:
            message, filename, lineno = str(exc), None, None
            frames = traceback.extract_tb(exc.__traceback__)
            in_project = [frame for frame in frames if self._in_project(frame.filename)]
            chosen = in_project or frames
            if chosen:
                filename, lineno = chosen[-1].filename, chosen[-1].lineno
        text = type(exc).__name__
        message = ' '.join(str(message or '').split())
        if message:
            text += ': ' + message
        if filename:
            text += ' ({}:{})'.format(self._display_path(filename), lineno)
        return text

    def _user_traceback(self, exc):
        """Format ``exc`` starting at the first frame of the user's code."""
        summary = traceback.TracebackException.from_exception(exc)
        frames = list(summary.stack)
        starts = [i for i, frame in enumerate(frames) if self._in_project(frame.filename)]
        if starts:
            frames = frames[starts[0]:]
        elif isinstance(exc, SyntaxError):
            frames = []
        summary.stack = traceback.StackSummary.from_list(frames)
        return ''.join(summary.format())

    # -- configuration ---------------------------------------------------

    def create_config_obj(self, chalice_stage_name=DEFAULT_STAGE_NAME, autogen_policy=None,
                          api_gateway_stage=None, user_provided_params=None, resources=True):
        """Load ``.chalice/config.json`` and the app, validate both, return a ``Config``.

        The app is imported with the stage's environment variables applied,
        since module-level code often reads them.  Options given on the
        command line go in as user-provided params, which outrank the stage
        and top-level settings from the file.  Then the validation pass
        (:mod:`chalice.validation`) checks the file, the options, the app
        and the settings each function resolves to, and raises one
        :class:`~chalice.errors.ValidationError` listing every problem;
        warnings end up in ``validation_warnings``.  ``resources`` is true
        for commands that turn the app into AWS resources (not ``local``).
        """
        from chalice import validation
        from chalice.config import Config, load_config_file

        config_from_disk = load_config_file(self.project_dir)
        params = dict(user_provided_params or {})
        problems = validation.Problems()
        warnings = validation.check_config_file(config_from_disk, problems)
        validation.check_options(problems, chalice_stage_name, api_gateway_stage,
                                 params.get('connection_timeout'))
        file_only = Config(chalice_stage_name, DEFAULT_HANDLER_NAME,
                           config_from_disk=config_from_disk)
        environment = file_only.environment_variables
        if not all(isinstance(value, str) for value in environment.values()):
            problems.raise_if_any()  # they name the values that are not strings
        try:
            app = self.load_chalice_app(environment_variables=environment, check_app=False)
        except (AppLoadError, ExperimentalFeatureError) as error:
            if not problems.lines:
                raise
            problems.add(' '.join(str(error).split()))
            problems.raise_if_any()
        params['chalice_app'] = app
        params['project_dir'] = self.project_dir
        params['app_name'] = config_from_disk.get('app_name')
        if autogen_policy is not None:
            params['autogen_policy'] = autogen_policy
        if api_gateway_stage is not None:
            params['api_gateway_stage'] = api_gateway_stage
        config = Config(chalice_stage=chalice_stage_name,
                        function_name=DEFAULT_HANDLER_NAME,
                        user_provided_params=params,
                        config_from_disk=config_from_disk)
        warnings += validation.check_project(config, problems, resources=resources)
        problems.raise_if_any()
        config.validation_warnings = tuple(warnings)
        return config

    # -- AWS -------------------------------------------------------------

    def create_botocore_session(self, connection_timeout=None):
        """Return a botocore session for ``--profile`` (or the default chain).

        Credentials and region come from the usual places: environment
        variables, ``~/.aws/config`` and ``~/.aws/credentials``, instance
        metadata.  Requests carry ``chalice/<version>`` in the user agent.
        """
        import botocore.config
        import botocore.session

        session = botocore.session.Session(profile=self.profile)
        session.user_agent_extra = 'chalice/{}'.format(__version__)
        if connection_timeout is not None:
            session.set_default_client_config(
                botocore.config.Config(connect_timeout=connection_timeout))
        return session


def require_project(project_dir, stage=None):
    """Stop with the one missing-project error unless ``project_dir`` is a project.

    Every command that works on a project calls this (or reads the config
    file, which says the same) before anything else, so all of them name a
    missing project in the same words.  Commands that only read state files
    (``delete``, ``url``, ``invoke``, ``logs``) pass ``stage``: for them a
    ``.chalice/deployed/`` folder is project enough (the config may be gone).
    """
    from chalice.config import require_project as require

    if stage is not None:
        from chalice.deploy.state import state_file_path

        if os.path.isdir(os.path.dirname(state_file_path(project_dir, stage))):
            return
    require(project_dir)


def load_deployed_state(project_dir, stage):
    """The stage's deployed state; an error with a hint to deploy if it records nothing."""
    from chalice.deploy.state import DeployedState, state_file_path

    require_project(project_dir, stage)
    state = DeployedState.load(project_dir, stage)
    if not state.resources:
        raise ChaliceError(
            "Nothing is deployed for stage '%s' (no resources recorded in %s). Run "
            "'chalice deploy --stage %s' first." % (stage, state_file_path(project_dir, stage),
                                                    stage))
    return state


def check_experimental_features(app):
    """Raise if ``app`` uses experimental features it has not opted in to."""
    used = set(getattr(app, '_features_used', None) or ())
    enabled = set(getattr(app, 'experimental_feature_flags', None) or ())
    missing = sorted(used - enabled - ACCEPTED_FEATURES)
    if missing:
        raise ExperimentalFeatureError(experimental_features_message(missing))


def experimental_features_message(missing_flags):
    """The documented message: which opt-in flags are missing and how to add them.

    The CLI prints it as it is, without the ``Error:`` prefix.
    """
    flags = ',\n'.join("    '{}'".format(flag) for flag in missing_flags)
    return (
        'You are using experimental features without explicitly opting in.\n'
        'Experimental features do not guarantee backwards compatibility and may be '
        'removed in the future.\n'
        'If you still like to use these experimental features, you can opt-in by adding '
        'this to your app.py file:\n'
        '\n'
        'app.experimental_feature_flags.update([\n'
        '{flags}\n'
        '])\n'
        '\n'
        '\n'
        'See {url} for more details.'
    ).format(flags=flags, url=EXPERIMENTAL_DOCS_URL)


def _forget_user_modules():
    for name in list(sys.modules):
        if name == 'app' or name == 'chalicelib' or name.startswith('chalicelib.'):
            del sys.modules[name]


def _put_first_on_path(directory):
    sys.path[:] = [entry for entry in sys.path
                   if os.path.abspath(entry or os.curdir) != directory]
    sys.path.insert(0, directory)
