"""The pieces of the Lambda runtime that ``chalice.app`` re-exports.

Everything under this package uses the standard library only and is shipped
inside every deployment package.  Import the public names from ``chalice``
or ``chalice.app``; the module layout here is an implementation detail.
"""
