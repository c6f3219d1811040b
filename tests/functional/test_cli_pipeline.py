"""``chalice generate-pipeline`` through the CLI, with cfn-lint on every layout."""
import json
import os
import sys

import pytest
import yaml
from click.testing import CliRunner

from chalice.cli import cli
from chalice.pipeline import STANDARD_IMAGE

COMBINATIONS = [(version, source) for version in ('v1', 'v2')
                for source in ('codecommit', 'github')]


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv('AWS_CHALICE_CLI_MODE', 'unset-by-test')
    monkeypatch.delenv('AWS_CHALICE_CLI_MODE')
    monkeypatch.chdir(tmp_path)
    (tmp_path / '.chalice').mkdir()
    (tmp_path / '.chalice' / 'config.json').write_text(json.dumps(
        {'version': '2.0', 'app_name': 'pipeapp', 'stages': {'dev': {}}}))
    (tmp_path / 'app.py').write_text('raise RuntimeError("the app is never imported")\n')
    return tmp_path


def run(*args):
    return CliRunner().invoke(cli, ['generate-pipeline', *args])


def lint(path):
    from cfnlint.api import lint as cfn_lint

    with open(path) as f:
        matches = cfn_lint(f.read(), regions=['us-east-1', 'us-west-2'])
    return ['%s %s' % (m.rule.id, m.message) for m in matches]


@pytest.mark.parametrize('version,source', COMBINATIONS)
def test_every_layout_is_cfn_lint_clean(project, version, source):
    result = run('--pipeline-version', version, '--source', source, 'pipeline.json')
    assert result.exit_code == 0, result.output
    assert result.output == ''
    template = json.loads((project / 'pipeline.json').read_text())
    assert template['Parameters']['ApplicationName']['Default'] == 'pipeapp'
    assert lint(project / 'pipeline.json') == []


def test_buildspec_file_is_written_and_referenced(project):
    result = run('--pipeline-version', 'v2', '-s', 'github', '-b', 'buildspec.yml',
                 'pipeline.json')
    assert result.exit_code == 0, result.output
    template = json.loads((project / 'pipeline.json').read_text())
    source = template['Resources']['AppPackageBuild']['Properties']['Source']
    assert source['BuildSpec'] == 'buildspec.yml'
    buildspec = yaml.safe_load((project / 'buildspec.yml').read_text())
    assert buildspec['version'] == 0.2
    python = '%d.%d' % sys.version_info[:2]
    assert buildspec['phases']['install']['runtime-versions'] == {'python': python}
    assert lint(project / 'pipeline.json') == []


def test_buildspec_file_in_a_subdirectory_is_referenced_by_its_repository_path(project):
    (project / 'ci').mkdir()
    result = run('-b', os.path.join('ci', 'buildspec.yml'), 'pipeline.json')
    assert result.exit_code == 0, result.output
    template = json.loads((project / 'pipeline.json').read_text())
    assert template['Resources']['AppPackageBuild']['Properties']['Source'][
        'BuildSpec'] == 'ci/buildspec.yml'
    assert yaml.safe_load((project / 'ci' / 'buildspec.yml').read_text())['version'] == 0.1


def test_codebuild_image_option(project):
    result = run('-i', 'aws/codebuild/standard:7.0', 'pipeline.json')
    assert result.exit_code == 0, result.output
    template = json.loads((project / 'pipeline.json').read_text())
    assert template['Parameters']['CodeBuildImage']['Default'] == 'aws/codebuild/standard:7.0'


def test_default_image_and_inline_buildspec(project):
    assert run('pipeline.json').exit_code == 0
    template = json.loads((project / 'pipeline.json').read_text())
    assert template['Parameters']['CodeBuildImage']['Default'] == STANDARD_IMAGE
    buildspec = yaml.safe_load(
        template['Resources']['AppPackageBuild']['Properties']['Source']['BuildSpec'])
    assert buildspec['version'] == 0.1
    assert 'SourceRepository' in template['Resources']
    assert sorted(os.listdir(project)) == ['.chalice', 'app.py', 'pipeline.json']


def test_project_dir_option_reads_that_projects_config(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp('elsewhere')
    out = elsewhere / 'pipeline.json'
    result = CliRunner().invoke(cli, ['--project-dir', str(project), 'generate-pipeline',
                                      str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())['Parameters']['ApplicationName']['Default'] == 'pipeapp'


def test_help_lists_the_options(project):
    result = run('--help')
    assert result.exit_code == 0
    for option in ('--pipeline-version [v1|v2]', '-i, --codebuild-image',
                   '-s, --source [codecommit|github]', '-b, --buildspec-file'):
        assert option in result.output
    listing = CliRunner().invoke(cli, ['--help'])
    assert 'generate-pipeline' in listing.output


# -- bad input: one line, exit 2, nothing written -------------------------------------

def assert_one_line_error(result, *fragments):
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith('Error: ')
    for fragment in fragments:
        assert fragment in lines[0]


def test_invalid_source(project):
    result = run('--source', 'svn', 'pipeline.json')
    assert_one_line_error(result, "'svn'", 'codecommit or github')
    assert not (project / 'pipeline.json').exists()


def test_invalid_pipeline_version(project):
    result = run('--pipeline-version', 'v3', 'pipeline.json')
    assert_one_line_error(result, "'v3'", 'v1 or v2')
    assert not (project / 'pipeline.json').exists()


def test_filename_that_is_a_directory(project):
    (project / 'out').mkdir()
    result = run('out')
    assert_one_line_error(result, 'is a directory')
    assert os.listdir(project / 'out') == []


def test_filename_in_a_missing_directory(project):
    result = run(os.path.join('missing', 'pipeline.json'))
    assert_one_line_error(result, 'does not exist')


def test_buildspec_file_that_is_a_directory(project):
    (project / 'spec').mkdir()
    result = run('-b', 'spec', 'pipeline.json')
    assert_one_line_error(result, '--buildspec-file', 'is a directory')
    assert not (project / 'pipeline.json').exists()


def test_buildspec_file_same_as_filename(project):
    result = run('-b', 'pipeline.json', 'pipeline.json')
    assert_one_line_error(result, 'same file')
    assert not (project / 'pipeline.json').exists()


def test_outside_a_project(tmp_path_factory, monkeypatch):
    empty = tmp_path_factory.mktemp('empty')
    monkeypatch.chdir(empty)
    result = run('pipeline.json')
    assert_one_line_error(result, 'config.json')
    assert os.listdir(empty) == []


def test_existing_file_is_replaced_whole(project):
    (project / 'pipeline.json').write_text('old')
    assert run('--pipeline-version', 'v2', 'pipeline.json').exit_code == 0
    template = json.loads((project / 'pipeline.json').read_text())
    assert 'v2 layout' in template['Description']
    assert sorted(os.listdir(project)) == ['.chalice', 'app.py', 'pipeline.json']
