"""Every command's options as Chalice 1.34 spells them (FEATURES.md Appendix A).

Names, short forms, ``--x/--no-x`` pairs, defaults, required options and
the allowed values of choices, read from the click commands themselves, so
a renamed option or a changed default fails here.  Choices validated in
the command (generate-pipeline) are checked through the CLI.
"""
import click
import pytest
from click.testing import CliRunner

from chalice.cli import cli

UNSET = object()  # no default given (click's own "unset" value)

# command -> {first long option or argument name: (all spellings, default, required, choices)}
EXPECTED = {
    'deploy': {
        '--autogen-policy': (('--autogen-policy', '--no-autogen-policy'), None, False, None),
        '--profile': (('--profile',), UNSET, False, None),
        '--api-gateway-stage': (('--api-gateway-stage',), UNSET, False, None),
        '--stage': (('--stage',), 'dev', False, None),
        '--connection-timeout': (('--connection-timeout',), None, False, None),
    },
    'delete': {
        '--profile': (('--profile',), UNSET, False, None),
        '--stage': (('--stage',), 'dev', False, None),
    },
    'local': {
        '--host': (('--host',), '127.0.0.1', False, None),
        '--port': (('--port',), 8000, False, None),
        '--stage': (('--stage',), 'dev', False, None),
        '--autoreload': (('--autoreload', '--no-autoreload'), True, False, None),
    },
    'invoke': {
        '--name': (('-n', '--name'), UNSET, True, None),
        '--profile': (('--profile',), UNSET, False, None),
        '--stage': (('--stage',), 'dev', False, None),
    },
    'logs': {
        '--num-entries': (('--num-entries',), None, False, None),
        '--include-lambda-messages': (
            ('--include-lambda-messages', '--no-include-lambda-messages'), False, False, None),
        '--stage': (('--stage',), 'dev', False, None),
        '--name': (('-n', '--name'), 'api_handler', False, None),
        '--since': (('-s', '--since'), None, False, None),
        '--follow': (('-f', '--follow', '--no-follow'), False, False, None),
        '--profile': (('--profile',), UNSET, False, None),
    },
    'gen-policy': {
        '--filename': (('--filename',), None, False, None),  # None: app.py
    },
    'new-project': {
        'project_name': ((), UNSET, False, None),
        '--profile': (('--profile',), UNSET, False, None),
        '--project-type': (('-t', '--project-type'), None, False,  # None: legacy or prompt
                           ('legacy', 'rest-api', 's3-event-handler', 'lambda-only',
                            'cdk-ddb')),
    },
    'url': {
        '--stage': (('--stage',), 'dev', False, None),
    },
    'generate-sdk': {
        '--sdk-type': (('--sdk-type',), 'javascript', False, ('javascript',)),
        '--stage': (('--stage',), 'dev', False, None),
        'outdir': ((), UNSET, True, None),
    },
    'generate-models': {
        '--stage': (('--stage',), 'dev', False, None),
    },
    'package': {
        '--pkg-format': (('--pkg-format',), 'cloudformation', False,
                         ('cloudformation', 'terraform')),
        '--stage': (('--stage',), 'dev', False, None),
        '--single-file': (('--single-file',), False, False, None),
        '--merge-template': (('--merge-template',), None, False, None),
        '--template-format': (('--template-format',), None, False,  # None: json
                              ('json', 'yaml')),
        '--profile': (('--profile',), UNSET, False, None),
        'out': ((), UNSET, True, None),
    },
    'generate-pipeline': {
        '--pipeline-version': (('--pipeline-version',), 'v1', False, None),
        '--codebuild-image': (('-i', '--codebuild-image'), UNSET, False, None),
        '--source': (('-s', '--source'), 'codecommit', False, None),
        '--buildspec-file': (('-b', '--buildspec-file'), UNSET, False, None),
        'filename': ((), UNSET, True, None),
    },
    'dev plan': {
        '--autogen-policy': (('--autogen-policy', '--no-autogen-policy'), None, False, None),
        '--profile': (('--profile',), UNSET, False, None),
        '--api-gateway-stage': (('--api-gateway-stage',), UNSET, False, None),
        '--stage': (('--stage',), 'dev', False, None),
    },
    'dev appgraph': {
        '--autogen-policy': (('--autogen-policy', '--no-autogen-policy'), None, False, None),
        '--profile': (('--profile',), UNSET, False, None),
        '--api-gateway-stage': (('--api-gateway-stage',), UNSET, False, None),
        '--stage': (('--stage',), 'dev', False, None),
    },
}


def command(path):
    group = cli
    ctx = click.Context(cli)
    for part in path.split():
        group = group.get_command(ctx, part)
        assert group is not None, path
    return group


def described(param):
    spellings = tuple(sorted(param.opts + param.secondary_opts, key=lambda o: (
        o.startswith('--'), o.startswith('--no-'))))
    default = param.default
    if default is None or isinstance(default, (str, int, bool)):
        pass
    else:
        default = UNSET
    choices = tuple(param.type.choices) if isinstance(param.type, click.Choice) else None
    return spellings if isinstance(param, click.Option) else (), default, param.required, \
        choices


def key_of(param):
    if isinstance(param, click.Argument):
        return param.name
    longs = [opt for opt in param.opts if opt.startswith('--')]
    return longs[0]


@pytest.mark.parametrize('path', sorted(EXPECTED))
def test_command_options_match_chalice(path):
    params = {key_of(p): p for p in command(path).params if p.name != 'help'}
    for key, (spellings, default, required, choices) in EXPECTED[path].items():
        assert key in params, (path, key)
        got_spellings, got_default, got_required, got_choices = described(params[key])
        assert set(got_spellings) == set(spellings), (path, key, got_spellings)
        if default is UNSET:
            assert got_default is UNSET or got_default is None, (path, key, got_default)
        else:
            assert got_default == default and type(got_default) is type(default), \
                (path, key, got_default)
        assert got_required is required, (path, key)
        if choices is not None:
            assert got_choices == choices, (path, key, got_choices)


def test_global_options():
    params = {key_of(p): p for p in cli.params}
    assert {'--version', '--project-dir', '--debug'} <= set(params)
    assert params['--debug'].secondary_opts == ['--no-debug']
    assert params['--debug'].default is False


@pytest.mark.parametrize('args, message', [
    (['--pipeline-version', 'v3'], "Invalid value for --pipeline-version: 'v3'; use v1 or v2."),
    (['-s', 'gitlab'], "Invalid value for --source: 'gitlab'; use codecommit or github."),
])
def test_generate_pipeline_choices(tmp_path, args, message):
    target = tmp_path / 'pipeline.json'
    result = CliRunner().invoke(cli, ['--project-dir', str(tmp_path), 'generate-pipeline']
                                + args + [str(target)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == 'Error: ' + message
    assert not target.exists()
