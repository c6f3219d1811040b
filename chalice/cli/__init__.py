"""The ``chalice`` command line interface.

The click group and the command table live in :mod:`chalice.cli.group`;
this package module stays tiny so that ``chalice --version`` can answer
without importing click (start-up time matters for a CLI).  Names such as
``chalice.cli.cli`` and ``chalice.cli.COMMANDS`` are forwarded to the
group module on first use.
"""
import sys


def version_string():
    """Return the one-line text printed by ``chalice --version``."""
    import platform

    from chalice import __version__

    return 'chalice {}, python {}, {} {}'.format(
        __version__, platform.python_version(),
        platform.system().lower(), platform.release())


def main():
    """Console-script entry point for ``chalice``."""
    if sys.argv[1:] == ['--version']:
        sys.stdout.write(version_string() + '\n')
        sys.exit(0)
    from chalice.cli.group import main as group_main

    return group_main()


def __getattr__(name):
    """``chalice.cli.cli`` (the click group) and every command by its Python
    name (``chalice.cli.deploy``, ``chalice.cli.new_project``...), as in
    Chalice 1.x, imported on first use."""
    if name.startswith('__'):
        raise AttributeError(name)
    import importlib

    group = importlib.import_module('chalice.cli.group')
    try:
        return getattr(group, name)
    except AttributeError:
        pass
    for module_name, attr_name, _ in group.COMMANDS.values():
        if attr_name == name:
            return getattr(importlib.import_module(module_name), attr_name)
    raise AttributeError("module 'chalice.cli' has no attribute %r" % name)
