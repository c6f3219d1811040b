"""Packaging for chalice, a Python serverless microframework for AWS."""
import os
import re

from setuptools import find_namespace_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def read_version():
    with open(os.path.join(HERE, 'chalice', '__init__.py')) as f:
        return re.search(r"^__version__ = '([^']+)'", f.read(), re.M).group(1)


def read_long_description():
    path = os.path.join(HERE, 'README.rst')
    if not os.path.exists(path):
        return ''
    with open(path) as f:
        return f.read()


LONG_DESCRIPTION = read_long_description()
CDK_REQUIRES = ['aws-cdk-lib>=2.0.0,<3.0.0', 'constructs>=10.0.0,<11.0.0']


setup(
    name='chalice',
    version=read_version(),
    description='Python serverless microframework for AWS',
    long_description=LONG_DESCRIPTION,
    long_description_content_type='text/x-rst',
    # An SPDX expression (PEP 639); license classifiers are deprecated.
    license_expression='Apache-2.0',
    # Namespace discovery also lists the template folders whose names are
    # importable (chalice.templates, chalice.templates.legacy, ...), so
    # setuptools does not warn that they hold data but are not packages.
    packages=find_namespace_packages(include=['chalice', 'chalice.*'],
                                     exclude=['*.__pycache__']),
    package_data={
        'chalice': ['py.typed'],
        'chalice.templates': ['*/*.tmpl', '*/.*.tmpl', '*/*/*.tmpl', '*/.*/*.tmpl',
                              '*/*/*/*.tmpl', '*/*/.*/*.tmpl'],
    },
    python_requires='>=3.10',
    install_requires=[
        'click>=7,<9',
        'botocore>=1.34,<2.0',
        'boto3>=1.34,<2.0',
        'pip>=21',
        'attrs>=21.3',
        'jmespath>=1.0,<2.0',
        'pyyaml>=5.4,<7.0',
        'wheel',
        'packaging>=21',
        'setuptools',
        # The websocket endpoint of `chalice local` (never shipped to Lambda).
        'wsproto>=1.2,<2.0',
    ],
    extras_require={
        'event-file-poller': ['watchdog>=2.0'],
        # chalice.cdk (the CDK v2 construct); "cdkv2" is the name older docs use.
        'cdk': CDK_REQUIRES,
        'cdkv2': CDK_REQUIRES,
        # Swagger UI's files for `chalice local --docs`.
        'docs': ['swagger-ui-bundle>=1.1'],
    },
    entry_points={
        'console_scripts': ['chalice=chalice.cli:main'],
    },
    classifiers=[
        'Development Status :: 5 - Production/Stable',
        'Intended Audience :: Developers',
        'Natural Language :: English',
        'Programming Language :: Python :: 3',
        'Programming Language :: Python :: 3.10',
        'Programming Language :: Python :: 3.11',
        'Programming Language :: Python :: 3.12',
        'Programming Language :: Python :: 3.13',
    ],
)
