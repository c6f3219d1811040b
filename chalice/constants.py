"""Facts shared by the planner and the AWS side, so that neither imports the other.

The planner (``chalice.deploy.plan`` and friends) is pure and must not
import ``chalice.awsclient``; both need to agree on which AWS calls only
read.
"""

#: boto3 method names that start with one of these only read AWS state;
#: every other call may change something.
READ_PREFIXES = ('get_', 'list_', 'describe_', 'wait_')
