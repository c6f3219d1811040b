"""User-facing errors raised by the CLI, config loader and deployer.

Every error a user can hit while running a ``chalice`` command is a
:class:`ChaliceError` subclass whose message says what went wrong and what
to do about it.  The CLI prints ``str(error)`` on one line and exits with
``error.exit_code`` (2 for bad input, 1 for a failure while working); the
traceback is shown only with ``--debug``.

This module is not part of the Lambda runtime: ``chalice.app`` never imports
it.  (The runtime's own exception hierarchy, ``ChaliceViewError`` and
friends, lives in ``chalice.app``.)
"""


class ChaliceError(Exception):
    """Base class for errors reported to the user by the CLI."""

    exit_code = 2
    #: What the CLI prints before the message.
    prefix = 'Error: '


class ConfigError(ChaliceError):
    """``.chalice/config.json`` is missing, unreadable or invalid."""


class ValidationError(ConfigError):
    """Bad input found by the validation pass, before anything is built or called.

    ``problems`` holds one line per problem (what is wrong, where, what is
    allowed); the CLI prints each as its own ``Error:`` line.
    """

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__('\n'.join(self.problems))


class AppLoadError(ChaliceError):
    """The project's ``app.py`` could not be found or imported."""


class ExperimentalFeatureError(ChaliceError):
    """The app uses an experimental feature it has not opted in to.

    Its message is the documented multi-line text, printed without ``Error:``.
    """

    prefix = ''


class DeploymentError(ChaliceError):
    """Something failed while deploying; the state file says what exists."""

    exit_code = 1


class StateFileError(ChaliceError):
    """``.chalice/deployed/<stage>.json`` is corrupt or unreadable."""


class PackagingError(ChaliceError):
    """The deployment package could not be built."""
