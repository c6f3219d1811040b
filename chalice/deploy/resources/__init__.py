"""One home per AWS resource type.

A home knows, for its resource type, how to read the resource's current
state from AWS (``read_remote``, the only method that calls AWS), how to
plan creating, updating and deleting it (pure: returns plan steps), and -
as the packaging formats arrive - how to emit it for SAM and Terraform.
The planner and the packagers find homes through :func:`home_for`.
"""
from chalice.deploy.resources import (  # noqa: F401,E402
    cloudwatch_event,
    domain_name,
    event_source_mapping,
    http_api,
    iam,
    lambda_function,
    layer,
    log_group,
    rest_api,
    s3,
    sns,
    websocket_api,
)
from chalice.deploy.resources.base import (  # noqa: F401
    ResourceHome,
    has_home,
    home_for,
    register,
)
