"""chalice.pipeline: the generate-pipeline template and buildspec, as data."""
import pytest
import yaml

from chalice import pipeline
from chalice.pipeline import (
    STANDARD_IMAGE,
    PipelineParameters,
    create_buildspec,
    create_pipeline_template,
    default_codebuild_image,
)

COMBINATIONS = [(version, source) for version in ('v1', 'v2')
                for source in ('codecommit', 'github')]


def make(**overrides):
    values = dict(app_name='myapp', python_version='3.12')
    values.update(overrides)
    return PipelineParameters(**values)


def stage(template, name):
    stages = template['Resources']['AppPipeline']['Properties']['Stages']
    return next(s for s in stages if s['Name'] == name)


def inline_buildspec(template):
    return yaml.safe_load(
        template['Resources']['AppPackageBuild']['Properties']['Source']['BuildSpec'])


def test_defaults_are_v1_and_codecommit():
    params = make()
    assert (params.pipeline_version, params.source) == ('v1', 'codecommit')
    assert pipeline.DEFAULT_PIPELINE_VERSION == 'v1'
    assert pipeline.DEFAULT_SOURCE == 'codecommit'


@pytest.mark.parametrize('version,source', COMBINATIONS)
def test_documented_resources(version, source):
    template = create_pipeline_template(make(pipeline_version=version, source=source))
    assert template['AWSTemplateFormatVersion'] == '2010-09-09'
    types = {name: resource['Type'] for name, resource in template['Resources'].items()}
    expected = {
        'ApplicationBucket': 'AWS::S3::Bucket',
        'ArtifactBucketStore': 'AWS::S3::Bucket',
        'CodeBuildRole': 'AWS::IAM::Role',
        'CodeBuildPolicy': 'AWS::IAM::Policy',
        'AppPackageBuild': 'AWS::CodeBuild::Project',
        'CodePipelineRole': 'AWS::IAM::Role',
        'CFNDeployRole': 'AWS::IAM::Role',
        'AppPipeline': 'AWS::CodePipeline::Pipeline',
    }
    if source == 'codecommit':
        expected['SourceRepository'] = 'AWS::CodeCommit::Repository'
    assert types == expected
    assert [s['Name'] for s in template['Resources']['AppPipeline']['Properties']['Stages']] \
        == ['Source', 'Build', 'Beta']
    assert template['Parameters']['ApplicationName']['Default'] == 'myapp'
    assert ('SourceRepoURL' in template['Outputs']) == (source == 'codecommit')


def test_codecommit_source_watches_master_of_the_new_repository():
    template = create_pipeline_template(make())
    action, = stage(template, 'Source')['Actions']
    assert action['ActionTypeId']['Provider'] == 'CodeCommit'
    assert action['Configuration'] == {
        'BranchName': 'master', 'RepositoryName': {'Fn::GetAtt': ['SourceRepository', 'Name']}}
    assert template['Resources']['SourceRepository']['Properties']['RepositoryName'] == {
        'Ref': 'ApplicationName'}
    assert template['Outputs']['SourceRepoURL']['Value'] == {
        'Fn::GetAtt': ['SourceRepository', 'CloneUrlHttp']}


def test_github_v1_takes_the_token_as_a_noecho_parameter():
    template = create_pipeline_template(make(source='github'))
    parameters = template['Parameters']
    assert set(parameters) == {'ApplicationName', 'CodeBuildImage', 'GithubOwner',
                               'GithubRepoName', 'GithubPersonalToken'}
    assert parameters['GithubPersonalToken']['NoEcho'] is True
    action, = stage(template, 'Source')['Actions']
    assert action['ActionTypeId'] == {'Category': 'Source', 'Owner': 'ThirdParty',
                                      'Version': '1', 'Provider': 'GitHub'}
    assert action['Configuration']['OAuthToken'] == {'Ref': 'GithubPersonalToken'}
    assert action['Configuration']['Owner'] == {'Ref': 'GithubOwner'}
    assert action['Configuration']['Repo'] == {'Ref': 'GithubRepoName'}


def test_github_v2_reads_the_token_from_secrets_manager():
    template = create_pipeline_template(make(source='github', pipeline_version='v2'))
    parameters = template['Parameters']
    assert 'GithubPersonalToken' not in parameters
    assert parameters['GithubRepoSecretId']['Default'] == 'GithubRepoAccess'
    assert parameters['GithubRepoSecretJSONKey']['Default'] == 'OAuthToken'
    action, = stage(template, 'Source')['Actions']
    assert action['Configuration']['OAuthToken'] == {'Fn::Sub': (
        '{{resolve:secretsmanager:${GithubRepoSecretId}:SecretString:'
        '${GithubRepoSecretJSONKey}}}')}


def test_v1_buildspec_is_the_documented_one():
    buildspec = create_buildspec(make())
    assert buildspec['version'] == 0.1
    commands = buildspec['phases']['install']['commands']
    assert commands[:5] == ['sudo pip install --upgrade awscli', 'aws --version',
                            'sudo pip install chalice', 'sudo pip install -r requirements.txt',
                            'chalice package /tmp/packaged']
    assert commands[5] == ('aws cloudformation package --template-file /tmp/packaged/sam.json '
                           '--s3-bucket ${APP_S3_BUCKET} --output-template-file '
                           'transformed.yaml')
    assert buildspec['artifacts'] == {'type': 'zip', 'files': ['transformed.yaml']}


def test_v2_buildspec_pins_python_with_runtime_versions():
    buildspec = create_buildspec(make(pipeline_version='v2', python_version='3.11',
                                      chalice_version_range='>=1.34.0,<2.0.0'))
    assert buildspec['version'] == 0.2
    install = buildspec['phases']['install']
    assert install['runtime-versions'] == {'python': '3.11'}
    assert "pip install 'chalice>=1.34.0,<2.0.0'" in install['commands']
    assert 'pip install -r requirements.txt' in install['commands']
    assert buildspec['phases']['build']['commands'][0] == 'chalice package /tmp/packaged'
    assert '--output-template-file transformed.yaml' in buildspec['phases']['build'][
        'commands'][1]
    assert buildspec['artifacts'] == {'type': 'zip', 'files': ['transformed.yaml']}


@pytest.mark.parametrize('version', ['v1', 'v2'])
def test_buildspec_is_inlined_as_yaml_by_default(version):
    params = make(pipeline_version=version)
    assert inline_buildspec(create_pipeline_template(params)) == create_buildspec(params)


def test_buildspec_file_is_referenced_instead_of_inlined():
    template = create_pipeline_template(make(buildspec_file='ci/buildspec.yml'))
    source = template['Resources']['AppPackageBuild']['Properties']['Source']
    assert source == {'Type': 'CODEPIPELINE', 'BuildSpec': 'ci/buildspec.yml'}


@pytest.mark.parametrize('python_version', ['3.10', '3.11', '3.12', '3.13'])
def test_default_image_follows_the_python_version(python_version):
    assert default_codebuild_image(python_version) == STANDARD_IMAGE
    template = create_pipeline_template(make(python_version=python_version))
    assert template['Parameters']['CodeBuildImage']['Default'] == STANDARD_IMAGE
    environment = template['Resources']['AppPackageBuild']['Properties']['Environment']
    assert environment['Image'] == {'Ref': 'CodeBuildImage'}
    assert environment['EnvironmentVariables'] == [
        {'Name': 'APP_S3_BUCKET', 'Value': {'Ref': 'ApplicationBucket'}}]


def test_explicit_image_becomes_the_parameter_default():
    template = create_pipeline_template(make(codebuild_image='my/image:1'))
    assert template['Parameters']['CodeBuildImage']['Default'] == 'my/image:1'


def test_beta_stage_deploys_the_packaged_template_with_cloudformation():
    template = create_pipeline_template(make())
    create, execute = stage(template, 'Beta')['Actions']
    assert create['Configuration']['ActionMode'] == 'CHANGE_SET_REPLACE'
    assert create['Configuration']['TemplatePath'] == 'CompiledCFNTemplate::transformed.yaml'
    assert create['Configuration']['Capabilities'] == 'CAPABILITY_IAM'
    assert create['Configuration']['StackName'] == {'Fn::Sub': '${ApplicationName}BetaStack'}
    assert execute['Configuration']['ActionMode'] == 'CHANGE_SET_EXECUTE'
    assert (create['RunOrder'], execute['RunOrder']) == (1, 2)
    build, = stage(template, 'Build')['Actions']
    assert build['OutputArtifacts'] == [{'Name': 'CompiledCFNTemplate'}]


def test_unknown_choices_are_refused():
    with pytest.raises(ValueError):
        create_pipeline_template(make(pipeline_version='v3'))
    with pytest.raises(ValueError):
        create_pipeline_template(make(source='svn'))


def test_local_python_version_is_a_lambda_runtime_version():
    version = pipeline.local_python_version()
    assert version in pipeline.CODEBUILD_IMAGES
