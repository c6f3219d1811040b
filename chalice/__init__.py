"""chalice: a Python serverless microframework for AWS.

Importing ``chalice`` is cheap: it pulls in only the runtime that also ships
inside every deployed Lambda function.
"""
__version__ = '1.34.0'
