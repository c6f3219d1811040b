"""``chalice local``: serve the app on a local HTTP server.

::

    chalice local [--host 127.0.0.1] [--port 8000] [--stage dev]
                  [--autoreload/--no-autoreload]

The stage's environment variables (``.chalice/config.json``) are applied
before ``app.py`` is imported, the app is checked as a deploy would check it
(:mod:`chalice.appcheck`: a route or name it rejects is a one-line error,
exit code 2), and
``Serving on http://HOST:PORT`` is printed once the port is open.  Ctrl-C
(or SIGTERM) stops the server quietly with exit code 0.  With autoreload
(the default) this process supervises a worker process instead; see
:mod:`chalice.cli.reloader`.
"""
import os
import signal
import sys
import threading

import click


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C."""


def _on_sigterm(signum, frame):
    raise _Terminated()


@click.command('local')
@click.option('--host', default='127.0.0.1', show_default=True,
              help='The address to listen on.')
@click.option('--port', default=8000, show_default=True, type=click.IntRange(0, 65535),
              help='The port to listen on (0 picks a free one).')
@click.option('--stage', default='dev', show_default=True,
              help='The Chalice stage whose environment variables and settings to use.')
@click.option('--autoreload/--no-autoreload', default=True, show_default=True,
              help='Restart the server when app.py, chalicelib/ or the config changes.')
@click.pass_context
def local(ctx, host, port, stage, autoreload):
    """Run a local HTTP server for your app."""
    obj = ctx.obj
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        if autoreload and os.name == 'nt':
            click.echo('Warning: --autoreload needs a POSIX system; serving without it.',
                       err=True)
            autoreload = False
        if autoreload:
            from chalice.cli import reloader
            from chalice.cli.factory import require_project

            # Say it here, once, rather than from a worker that cannot start.
            require_project(obj['project_dir'])
            command = worker_command(obj['project_dir'], obj.get('debug', False),
                                     host, port, stage)
            ctx.exit(reloader.run_supervisor(command, obj['project_dir']))
        run_local_server(obj['factory'], host, port, stage)
    except KeyboardInterrupt:
        return


# How a reload worker starts.  Not ``python -m chalice.cli``: that puts the
# current directory first on sys.path, so a folder named ``chalice`` there
# (say, the user's own) would be imported instead of this package.  ``-c``
# puts '' (the current directory) first instead, which the code removes
# before importing anything of chalice's.
WORKER_BOOTSTRAP = (
    "import sys\n"
    "if sys.path and sys.path[0] == '':\n"
    "    del sys.path[0]\n"
    "from chalice.cli import main\n"
    "main()\n"
)


def worker_command(project_dir, debug, host, port, stage):
    """The command line of the worker process the reloader runs."""
    command = [sys.executable, '-c', WORKER_BOOTSTRAP, '--project-dir', project_dir]
    if debug:
        command.append('--debug')
    command += ['local', '--host', host, '--port', str(port), '--stage', stage,
                '--no-autoreload']
    return command


def load_app_and_config(factory, stage):
    """Check the stage, then import the app with its environment applied."""
    from chalice.config import Config, load_config_file

    Config(stage, config_from_disk=load_config_file(factory.project_dir)).validate_stage(stage)
    config = factory.create_config_obj(chalice_stage_name=stage)
    for warning in config.validation_warnings:
        click.echo('Warning: {}'.format(warning), err=True)
    return config.chalice_app, config


def run_local_server(factory, host, port, stage):
    """Load the app and serve it until interrupted."""
    from chalice.cli.reloader import WorkerChannel
    from chalice.local import LocalDevServer

    channel = WorkerChannel.from_environ()
    if channel is not None:
        # Autoreload worker: never write bytecode next to the user's code.
        sys.dont_write_bytecode = True
    app, config = load_app_and_config(factory, stage)
    if channel is not None:
        channel.report('loaded')
        if not channel.wait_for_go():
            return
    server = LocalDevServer(app, config, host=host, port=port, stage=stage)
    try:
        click.echo('Serving on {}'.format(server.url))
        sys.stdout.flush()
        if channel is not None:
            channel.report('serving')
            channel.watch_supervisor(lambda: _stop_from_thread(server))
        server.serve_forever()
    finally:
        server.server_close()


def _stop_from_thread(server):
    # serve_forever() returns in the main thread, which then exits cleanly.
    server.shutdown()
