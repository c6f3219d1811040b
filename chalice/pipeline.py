"""``chalice generate-pipeline``: a CloudFormation template for a starter CD pipeline.

The template creates a source (a new CodeCommit repository, or an existing
GitHub repository), a CodeBuild project that runs ``chalice package`` and
``aws cloudformation package``, and a CodePipeline that deploys the result
with CloudFormation to a ``beta`` stack, plus the two S3 buckets
(``ArtifactBucketStore`` for pipeline artifacts, ``ApplicationBucket`` for
the uploaded deployment package) and the IAM roles each service assumes.

Two layouts exist, as in Chalice 1.x:

* ``v1`` (the default, for compatibility): buildspec version 0.1 and, for
  GitHub, the personal access token as a ``NoEcho`` template parameter;
* ``v2`` (recommended): buildspec version 0.2 with ``runtime-versions``
  pinning the Python version, and the GitHub token read from AWS Secrets
  Manager through a dynamic reference.

Everything here is pure: :func:`create_pipeline_template` and
:func:`create_buildspec` return dicts; the CLI command writes them.
"""
import sys
from dataclasses import dataclass
from typing import Any, Dict, Optional

PIPELINE_VERSIONS = ('v1', 'v2')
SOURCES = ('codecommit', 'github')
DEFAULT_PIPELINE_VERSION = 'v1'
DEFAULT_SOURCE = 'codecommit'

#: CodeBuild image per Python version (the CodeBuild Amazon Linux standard
#: image whose runtimes include that Python).  Both layouts use it; ``v2``
#: also pins the version with ``runtime-versions``.
STANDARD_IMAGE = 'aws/codebuild/amazonlinux2-x86_64-standard:5.0'
CODEBUILD_IMAGES = {
    '3.10': STANDARD_IMAGE,
    '3.11': STANDARD_IMAGE,
    '3.12': STANDARD_IMAGE,
    '3.13': STANDARD_IMAGE,
}

SOURCE_BRANCH = 'master'
GITHUB_SECRET_ID = 'GithubRepoAccess'
GITHUB_SECRET_JSON_KEY = 'OAuthToken'
PACKAGED_TEMPLATE = 'transformed.yaml'
SAM_TRANSFORM_ARN = 'arn:${AWS::Partition}:cloudformation:${AWS::Region}:aws:transform/*'


@dataclass(frozen=True)
class PipelineParameters:
    """What the generated template depends on."""

    app_name: str
    python_version: str  # '3.X'
    pipeline_version: str = DEFAULT_PIPELINE_VERSION
    source: str = DEFAULT_SOURCE
    codebuild_image: Optional[str] = None
    buildspec_file: Optional[str] = None  # path in the repository, or None to inline
    chalice_version_range: str = '>=1.34.0,<2.0.0'

    @property
    def image(self):
        return self.codebuild_image or default_codebuild_image(self.python_version)


def default_codebuild_image(python_version):
    """The documented default image for ``python_version`` ('3.X')."""
    return CODEBUILD_IMAGES.get(python_version, STANDARD_IMAGE)


def local_python_version():
    """'3.X' of the Lambda runtime ``chalice package`` picks here."""
    from chalice.config import lambda_python_version

    return lambda_python_version(sys.version_info)[len('python'):]


# -- buildspec -------------------------------------------------------------

def create_buildspec(params: PipelineParameters) -> Dict[str, Any]:
    """The CodeBuild buildspec of ``params.pipeline_version``."""
    package = ('aws cloudformation package --template-file /tmp/packaged/sam.json '
               '--s3-bucket ${APP_S3_BUCKET} --output-template-file ' + PACKAGED_TEMPLATE)
    artifacts = {'type': 'zip', 'files': [PACKAGED_TEMPLATE]}
    if params.pipeline_version == 'v1':
        return {
            'version': 0.1,
            'phases': {'install': {'commands': [
                'sudo pip install --upgrade awscli',
                'aws --version',
                'sudo pip install chalice',
                'sudo pip install -r requirements.txt',
                'chalice package /tmp/packaged',
                package,
            ]}},
            'artifacts': artifacts,
        }
    return {
        'version': 0.2,
        'phases': {
            'install': {
                'runtime-versions': {'python': params.python_version},
                'commands': [
                    'pip install --upgrade pip',
                    'pip install --upgrade awscli',
                    'aws --version',
                    "pip install 'chalice%s'" % params.chalice_version_range,
                    'pip install -r requirements.txt',
                ],
            },
            'build': {'commands': ['chalice package /tmp/packaged', package]},
        },
        'artifacts': artifacts,
    }


def dump_buildspec(buildspec):
    """YAML text of a buildspec (plain block style, no anchors)."""
    import yaml

    return yaml.safe_dump(buildspec, default_flow_style=False, sort_keys=False, width=1000)


# -- the template ------------------------------------------------------------

def create_pipeline_template(params: PipelineParameters) -> Dict[str, Any]:
    """The whole CloudFormation template for ``params``."""
    if params.pipeline_version not in PIPELINE_VERSIONS:
        raise ValueError('unknown pipeline version %r' % params.pipeline_version)
    if params.source not in SOURCES:
        raise ValueError('unknown source %r' % params.source)
    github = params.source == 'github'
    parameters: Dict[str, Any] = {
        'ApplicationName': {
            'Default': params.app_name, 'Type': 'String',
            'Description': 'Enter the name of your application'},
        'CodeBuildImage': {
            'Default': params.image, 'Type': 'String',
            'Description': 'Name of codebuild image to use.'},
    }
    resources: Dict[str, Any] = {}
    outputs: Dict[str, Any] = {}
    if github:
        parameters.update(_github_parameters(params.pipeline_version))
    else:
        resources['SourceRepository'] = {
            'Type': 'AWS::CodeCommit::Repository',
            'Properties': {
                'RepositoryName': {'Ref': 'ApplicationName'},
                'RepositoryDescription': {'Fn::Sub': 'Source code for ${ApplicationName}'},
            },
        }
        outputs['SourceRepoURL'] = {'Value': {'Fn::GetAtt': ['SourceRepository',
                                                             'CloneUrlHttp']}}
    resources.update(_buckets())
    resources.update(_codebuild(params))
    resources.update(_pipeline(params))
    outputs.update({
        'S3ApplicationBucket': {'Value': {'Ref': 'ApplicationBucket'}},
        'CodeBuildRoleArn': {'Value': {'Fn::GetAtt': ['CodeBuildRole', 'Arn']}},
        'S3PipelineBucket': {'Value': {'Ref': 'ArtifactBucketStore'}},
        'CodePipelineRoleArn': {'Value': {'Fn::GetAtt': ['CodePipelineRole', 'Arn']}},
        'CFNDeployRoleArn': {'Value': {'Fn::GetAtt': ['CFNDeployRole', 'Arn']}},
    })
    return {
        'AWSTemplateFormatVersion': '2010-09-09',
        'Description': 'Continuous deployment pipeline for the Chalice app %s '
                       '(chalice generate-pipeline, %s layout).'
                       % (params.app_name, params.pipeline_version),
        'Parameters': parameters,
        'Resources': resources,
        'Outputs': outputs,
    }


def _github_parameters(pipeline_version):
    parameters = {
        'GithubOwner': {'Type': 'String',
                        'Description': 'The github owner or org name of the repository.'},
        'GithubRepoName': {'Type': 'String', 'Description': 'The name of the github repository.'},
    }
    if pipeline_version == 'v1':
        parameters['GithubPersonalToken'] = {
            'Type': 'String', 'NoEcho': True,
            'Description': 'Personal access token for the github repo.'}
    else:
        parameters['GithubRepoSecretId'] = {
            'Type': 'String', 'Default': GITHUB_SECRET_ID,
            'Description': 'The name/ID of the SecretsManager secret that contains the '
                           'personal access token for the github repo.'}
        parameters['GithubRepoSecretJSONKey'] = {
            'Type': 'String', 'Default': GITHUB_SECRET_JSON_KEY,
            'Description': 'The name of the JSON key in the SecretsManager secret that '
                           'contains the personal access token for the github repo.'}
    return parameters


def _buckets():
    return {
        'ApplicationBucket': {'Type': 'AWS::S3::Bucket'},
        'ArtifactBucketStore': {
            'Type': 'AWS::S3::Bucket',
            'Properties': {'VersioningConfiguration': {'Status': 'Enabled'}},
        },
    }


def _assume_role_policy(service):
    return {
        'Version': '2012-10-17',
        'Statement': [{'Action': ['sts:AssumeRole'], 'Effect': 'Allow',
                       'Principal': {'Service': [service]}}],
    }


def _bucket_objects(*buckets):
    return [{'Fn::Sub': '${%s.Arn}/*' % bucket} for bucket in buckets]


def _codebuild(params):
    if params.buildspec_file:
        buildspec = params.buildspec_file
    else:
        buildspec = dump_buildspec(create_buildspec(params))
    return {
        'CodeBuildRole': {
            'Type': 'AWS::IAM::Role',
            'Properties': {'AssumeRolePolicyDocument': _assume_role_policy(
                'codebuild.amazonaws.com')},
        },
        'CodeBuildPolicy': {
            'Type': 'AWS::IAM::Policy',
            'Properties': {
                'PolicyName': 'CodeBuildPolicy',
                'Roles': [{'Ref': 'CodeBuildRole'}],
                'PolicyDocument': {'Version': '2012-10-17', 'Statement': [
                    {'Action': ['logs:CreateLogGroup', 'logs:CreateLogStream',
                                'logs:PutLogEvents'],
                     'Resource': '*', 'Effect': 'Allow'},
                    {'Action': ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'],
                     'Resource': _bucket_objects('ArtifactBucketStore', 'ApplicationBucket'),
                     'Effect': 'Allow'},
                ]},
            },
        },
        'AppPackageBuild': {
            'Type': 'AWS::CodeBuild::Project',
            'Properties': {
                'Artifacts': {'Type': 'CODEPIPELINE'},
                'Environment': {
                    'ComputeType': 'BUILD_GENERAL1_SMALL',
                    'Image': {'Ref': 'CodeBuildImage'},
                    'Type': 'LINUX_CONTAINER',
                    'EnvironmentVariables': [
                        {'Name': 'APP_S3_BUCKET', 'Value': {'Ref': 'ApplicationBucket'}},
                    ],
                },
                'Name': {'Fn::Sub': '${ApplicationName}Build'},
                'ServiceRole': {'Fn::GetAtt': ['CodeBuildRole', 'Arn']},
                'Source': {'Type': 'CODEPIPELINE', 'BuildSpec': buildspec},
            },
        },
    }


def _source_action(params: PipelineParameters) -> Dict[str, Any]:
    if params.source == 'codecommit':
        return {
            'Name': 'Source',
            'ActionTypeId': {'Category': 'Source', 'Owner': 'AWS', 'Version': '1',
                             'Provider': 'CodeCommit'},
            'Configuration': {'BranchName': SOURCE_BRANCH,
                              'RepositoryName': {'Fn::GetAtt': ['SourceRepository', 'Name']}},
            'OutputArtifacts': [{'Name': 'SourceRepo'}],
            'RunOrder': 1,
        }
    if params.pipeline_version == 'v1':
        token: Any = {'Ref': 'GithubPersonalToken'}
    else:
        token = {'Fn::Sub': '{{resolve:secretsmanager:${GithubRepoSecretId}:SecretString:'
                            '${GithubRepoSecretJSONKey}}}'}
    return {
        'Name': 'Source',
        'ActionTypeId': {'Category': 'Source', 'Owner': 'ThirdParty', 'Version': '1',
                         'Provider': 'GitHub'},
        'Configuration': {'Owner': {'Ref': 'GithubOwner'}, 'Repo': {'Ref': 'GithubRepoName'},
                          'Branch': SOURCE_BRANCH, 'OAuthToken': token},
        'OutputArtifacts': [{'Name': 'SourceRepo'}],
        'RunOrder': 1,
    }


def _pipeline_policy(params):
    statements = [
        {'Action': ['s3:GetObject', 's3:GetObjectVersion', 's3:GetBucketVersioning',
                    's3:PutObject'],
         'Resource': [{'Fn::GetAtt': ['ArtifactBucketStore', 'Arn']},
                      *_bucket_objects('ArtifactBucketStore')],
         'Effect': 'Allow'},
        {'Action': ['codebuild:BatchGetBuilds', 'codebuild:StartBuild'],
         'Resource': {'Fn::GetAtt': ['AppPackageBuild', 'Arn']}, 'Effect': 'Allow'},
        {'Action': ['cloudformation:CreateStack', 'cloudformation:DeleteStack',
                    'cloudformation:DescribeStacks', 'cloudformation:UpdateStack',
                    'cloudformation:CreateChangeSet', 'cloudformation:DeleteChangeSet',
                    'cloudformation:DescribeChangeSet', 'cloudformation:ExecuteChangeSet',
                    'cloudformation:SetStackPolicy', 'cloudformation:ValidateTemplate'],
         'Resource': [{'Fn::Sub': 'arn:${AWS::Partition}:cloudformation:${AWS::Region}:'
                                  '${AWS::AccountId}:stack/${ApplicationName}BetaStack/*'},
                      {'Fn::Sub': SAM_TRANSFORM_ARN}],
         'Effect': 'Allow'},
        {'Action': ['iam:PassRole'], 'Resource': {'Fn::GetAtt': ['CFNDeployRole', 'Arn']},
         'Effect': 'Allow'},
    ]
    if params.source == 'codecommit':
        statements.append({
            'Action': ['codecommit:CancelUploadArchive', 'codecommit:GetBranch',
                       'codecommit:GetCommit', 'codecommit:GetUploadArchiveStatus',
                       'codecommit:UploadArchive'],
            'Resource': {'Fn::GetAtt': ['SourceRepository', 'Arn']}, 'Effect': 'Allow'})
    return {
        'PolicyName': 'DefaultPolicy',
        'PolicyDocument': {'Version': '2012-10-17', 'Statement': statements},
    }


# What CloudFormation needs to create, update and delete a packaged Chalice
# app (the SAM transform expands into these resource types).
_DEPLOY_ACTIONS = [
    'apigateway:*', 'lambda:*', 'events:*', 'logs:*', 'sns:Subscribe', 'sns:Unsubscribe',
    'sns:GetSubscriptionAttributes', 'sns:ListSubscriptionsByTopic',
    'sqs:GetQueueAttributes', 'kinesis:DescribeStream', 'kinesis:DescribeStreamSummary',
    'kinesis:ListShards', 'dynamodb:DescribeStream', 'dynamodb:ListStreams',
    'iam:AttachRolePolicy', 'iam:CreateRole', 'iam:CreateServiceLinkedRole',
    'iam:DeleteRole', 'iam:DeleteRolePolicy', 'iam:DetachRolePolicy', 'iam:GetRole',
    'iam:GetRolePolicy', 'iam:PassRole', 'iam:PutRolePolicy', 'iam:TagRole',
    'iam:UntagRole', 'iam:UpdateAssumeRolePolicy', 'acm:DescribeCertificate',
    'route53:GetHostedZone', 'cloudformation:CreateChangeSet',
]


def _pipeline(params):
    deploy_configuration = {
        'ActionMode': 'CHANGE_SET_REPLACE',
        'Capabilities': 'CAPABILITY_IAM',
        'ChangeSetName': {'Fn::Sub': '${ApplicationName}ChangeSet'},
        'RoleArn': {'Fn::GetAtt': ['CFNDeployRole', 'Arn']},
        'StackName': {'Fn::Sub': '${ApplicationName}BetaStack'},
        'TemplatePath': 'CompiledCFNTemplate::' + PACKAGED_TEMPLATE,
    }
    execute_configuration = {
        'ActionMode': 'CHANGE_SET_EXECUTE',
        'ChangeSetName': {'Fn::Sub': '${ApplicationName}ChangeSet'},
        'StackName': {'Fn::Sub': '${ApplicationName}BetaStack'},
        'OutputFileName': 'StackOutputs.json',
    }
    cloudformation = {'Category': 'Deploy', 'Owner': 'AWS', 'Version': '1',
                      'Provider': 'CloudFormation'}
    return {
        'CodePipelineRole': {
            'Type': 'AWS::IAM::Role',
            'Properties': {
                'Policies': [_pipeline_policy(params)],
                'AssumeRolePolicyDocument': _assume_role_policy('codepipeline.amazonaws.com'),
            },
        },
        'CFNDeployRole': {
            'Type': 'AWS::IAM::Role',
            'Properties': {
                'Policies': [{
                    'PolicyName': 'DeployAccess',
                    'PolicyDocument': {'Version': '2012-10-17', 'Statement': [
                        {'Action': list(_DEPLOY_ACTIONS), 'Resource': '*', 'Effect': 'Allow'},
                        {'Action': ['s3:GetObject', 's3:GetObjectVersion'],
                         'Resource': _bucket_objects('ApplicationBucket', 'ArtifactBucketStore'),
                         'Effect': 'Allow'},
                    ]},
                }],
                'AssumeRolePolicyDocument': _assume_role_policy(
                    'cloudformation.amazonaws.com'),
            },
        },
        'AppPipeline': {
            'Type': 'AWS::CodePipeline::Pipeline',
            'Properties': {
                'Name': {'Fn::Sub': '${ApplicationName}Pipeline'},
                'ArtifactStore': {'Type': 'S3', 'Location': {'Ref': 'ArtifactBucketStore'}},
                'RoleArn': {'Fn::GetAtt': ['CodePipelineRole', 'Arn']},
                'Stages': [
                    {'Name': 'Source', 'Actions': [_source_action(params)]},
                    {'Name': 'Build', 'Actions': [{
                        'Name': 'CodeBuild',
                        'ActionTypeId': {'Category': 'Build', 'Owner': 'AWS', 'Version': '1',
                                         'Provider': 'CodeBuild'},
                        'InputArtifacts': [{'Name': 'SourceRepo'}],
                        'OutputArtifacts': [{'Name': 'CompiledCFNTemplate'}],
                        'Configuration': {'ProjectName': {'Ref': 'AppPackageBuild'}},
                        'RunOrder': 1,
                    }]},
                    {'Name': 'Beta', 'Actions': [
                        {'Name': 'CreateBetaChangeSet', 'ActionTypeId': cloudformation,
                         'InputArtifacts': [{'Name': 'CompiledCFNTemplate'}],
                         'Configuration': deploy_configuration, 'RunOrder': 1},
                        {'Name': 'ExecuteChangeSet', 'ActionTypeId': dict(cloudformation),
                         'OutputArtifacts': [{'Name': 'AppDeploymentValues'}],
                         'Configuration': execute_configuration, 'RunOrder': 2},
                    ]},
                ],
            },
        },
    }
