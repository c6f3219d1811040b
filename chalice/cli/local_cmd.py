"""``chalice local``: serve the whole app locally.

::

    chalice local [--host 127.0.0.1] [--port 8000] [--stage dev]
                  [--autoreload/--no-autoreload] [--schedules] [--docs]
    chalice local --trigger NAME [--stage dev]

The stage's environment variables (``.chalice/config.json``) are applied
before ``app.py`` is imported, the app is checked as a deploy would check it
(:mod:`chalice.appcheck`: a route or name it rejects is a one-line error,
exit code 2), and
``Serving on http://HOST:PORT`` is printed once the port is open, followed
by the websocket endpoint when the app has websocket handlers.  Besides the
routes, the server delivers events (``POST /_chalice/events/<name>``), runs
the websocket handlers and, with ``--schedules``, fires the schedules (see
:mod:`chalice.localextras`).  ``--docs`` also serves ``/openapi.json`` and a
Swagger UI page at ``/docs`` (:mod:`chalice.openapi.docs`).  Ctrl-C (or
SIGTERM) stops the server quietly with exit code 0.  With autoreload (the
default) this process supervises a worker process instead; see
:mod:`chalice.cli.reloader`.

``--trigger NAME`` starts no server: it fires the schedule ``NAME`` once,
prints what the handler returned and exits.  ``chalice invoke --local``
runs any event handler once the same way (:func:`run_function_once`).
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
@click.option('--schedules', is_flag=True, default=False,
              help='Fire the app\'s @app.schedule() handlers on time (default: off).')
@click.option('--trigger', metavar='NAME', default=None,
              help='Fire the schedule NAME once, print what it returned and exit '
                   '(no server).')
@click.option('--docs', is_flag=True, default=False,
              help='Also serve the OpenAPI description at /openapi.json and interactive '
                   'docs at /docs (needs chalice[docs]).')
@click.pass_context
def local(ctx, host, port, stage, autoreload, schedules, trigger, docs):
    """Run a local HTTP server for your app."""
    obj = ctx.obj
    if trigger is not None:
        ctx.exit(trigger_schedule(obj['factory'], stage, trigger))
    if docs:
        from chalice.openapi.docs import swagger_ui_files

        swagger_ui_files()  # missing: say so once, before anything starts
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
                                     host, port, stage, schedules, docs)
            ctx.exit(reloader.run_supervisor(command, obj['project_dir']))
        run_local_server(obj['factory'], host, port, stage, schedules, docs)
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


def worker_command(project_dir, debug, host, port, stage, schedules=False, docs=False):
    """The command line of the worker process the reloader runs."""
    command = [sys.executable, '-c', WORKER_BOOTSTRAP, '--project-dir', project_dir]
    if debug:
        command.append('--debug')
    command += ['local', '--host', host, '--port', str(port), '--stage', stage,
                '--no-autoreload']
    if schedules:
        command.append('--schedules')
    if docs:
        command.append('--docs')
    return command


def load_app_and_config(factory, stage):
    """Check the stage, then import the app with its environment applied."""
    from chalice.config import Config, load_config_file

    Config(stage, config_from_disk=load_config_file(factory.project_dir)).validate_stage(stage)
    config = factory.create_config_obj(chalice_stage_name=stage, resources=False)
    for warning in config.validation_warnings:
        click.echo('Warning: {}'.format(warning), err=True)
    return config.chalice_app, config


def run_local_server(factory, host, port, stage, schedules=False, docs=False):
    """Load the app and serve it until interrupted."""
    from chalice.cli.reloader import WorkerChannel
    from chalice.local import LocalDevServer
    from chalice.localschedule import parse_schedules, schedules_of

    channel = WorkerChannel.from_environ()
    if channel is not None:
        # Autoreload worker: never write bytecode next to the user's code.
        sys.dont_write_bytecode = True
    app, config = load_app_and_config(factory, stage)
    if schedules:
        # A bad expression is an error now, before the server listens (and a
        # reload that brings one keeps the previous version serving).
        parse_schedules(schedules_of(app))
    pages = docs_pages(app) if docs else None
    if channel is not None:
        channel.report('loaded')
        if not channel.wait_for_go():
            return
    server = LocalDevServer(app, config, host=host, port=port, stage=stage)
    if pages is not None:
        server.mount(pages)
    try:
        click.echo('Serving on {}'.format(server.url))
        if server.extras.websocket_url is not None:
            click.echo('Websocket endpoint: {}'.format(server.extras.websocket_url))
        if pages is not None:
            for warning in pages.warnings():
                click.echo('Warning: {}'.format(warning), err=True)
            if pages.serves_page:
                click.echo('API docs on {}/docs'.format(server.url))
        sys.stdout.flush()
        if schedules:
            server.extras.start_schedules()
        elif schedules_of(app):
            click.echo('Schedules are off: pass --schedules to fire them on time, or fire '
                       'one with chalice local --trigger NAME.', err=True)
        if channel is not None:
            channel.report('serving')
            channel.watch_supervisor(lambda: _stop_from_thread(server))
        server.serve_forever()
    finally:
        server.server_close()


def docs_pages(app):
    """The ``--docs`` pages of ``app`` (its OpenAPI description is built now)."""
    from chalice.errors import ChaliceError
    from chalice.openapi import docs_document
    from chalice.openapi.docs import DocsPages, swagger_ui_files

    files = swagger_ui_files()
    try:
        document = docs_document(app)
    except (TypeError, ValueError) as error:
        raise ChaliceError('Cannot describe the app for --docs: %s' % error) from None
    return DocsPages(app, document, files)


def _stop_from_thread(server):
    # serve_forever() returns in the main thread, which then exits cleanly.
    server.shutdown()


def _print_result(result):
    """The function's reply on stdout, as JSON (Lambda's Invoke payload)."""
    import json

    try:
        text = json.dumps(result)
    except (TypeError, ValueError) as error:
        click.echo(json.dumps({'errorMessage': 'Unable to marshal response: %s' % error,
                               'errorType': 'Runtime.MarshalError'}), err=True)
        return 1
    click.echo(text)
    return 0


def _call_and_report(invoker, name, event):
    """Run function ``name`` on ``event``: its reply on stdout (exit code 0), or
    Lambda's error description on stderr (exit code 1).  What the function
    prints goes to stderr, so that stdout is only the reply."""
    import contextlib
    import json
    import traceback

    from chalice.localinvoke import function_error

    try:
        with contextlib.redirect_stdout(sys.stderr):
            result = invoker.invoke(name, event)
    except Exception as error:
        click.echo(traceback.format_exc(), err=True, nl=False)
        click.echo(json.dumps(function_error(error)), err=True)
        return 1
    return _print_result(result)


def run_function_once(factory, stage, name, payload, event_type=None):
    """``chalice invoke --local``: deliver ``payload`` to function ``name`` here."""
    from chalice.localinvoke import LocalInvoker, build_event

    app, config = load_app_and_config(factory, stage)
    event = build_event(app, name, payload, event_type, stage)
    return _call_and_report(LocalInvoker(app, config, stage), name, event)


def trigger_schedule(factory, stage, name):
    """``chalice local --trigger NAME``: fire one schedule once."""
    from chalice.errors import ChaliceError
    from chalice.localinvoke import LocalInvoker, build_event
    from chalice.localschedule import describe_firing, schedules_of

    app, config = load_app_and_config(factory, stage)
    names = sorted(schedules_of(app))
    if name not in names:
        hint = ('; deliver an event to it with: chalice invoke --local -n %s' % name
                if name in app.handler_map else '')
        raise ChaliceError('No schedule named %r (this app\'s schedules: %s)%s.'
                           % (name, ', '.join(names) or 'none', hint))
    event = build_event(app, name, b'', 'cw', stage)
    click.echo(describe_firing(name, event), err=True)
    return _call_and_report(LocalInvoker(app, config, stage), name, event)
