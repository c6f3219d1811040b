"""chalice.deploy.project_package: reading the packager's error line."""
from chalice.deploy.project_package import packager_message


def test_the_last_error_line_without_its_prefix():
    stderr = ('Warning: something harmless\n'
              'Error: Unable to import your app.py file: ImportError: x (app.py:1)\n')
    assert packager_message(stderr, 2) == (
        'Unable to import your app.py file: ImportError: x (app.py:1)')


def test_without_an_error_line_the_exit_code_and_last_line_are_reported():
    assert packager_message('Traceback ...\nKilled\n', -9) == (
        'chalice package failed with exit code -9: Killed')
    assert packager_message('', 1) == 'chalice package failed with exit code 1'
