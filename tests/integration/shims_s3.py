"""moto shims for S3 bucket notifications (applied by moto_support).

Each shim works around one gap of moto 5.2.x in the moto server of the
integration tests; nothing in the product changes.  Known differences that
are *not* shimmed because no test depends on them: moto does not check that
S3 may invoke a Lambda destination (AWS rejects the configuration with
"Unable to validate the following destination configurations" when the
function's policy lacks the grant), and does not reject overlapping
configurations.
"""
import re
from typing import Any, Callable


def register_shims(register: Callable[..., None], original: Callable[..., Any]) -> None:
    from moto.s3.responses import S3Response

    def get_bucket_notification(self: Any) -> Any:
        """moto's response, plus EventBridgeConfiguration when it is enabled."""
        response = original('s3-notification-eventbridge', 'S3Response',
                            'get_bucket_notification')(self)
        configuration = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if configuration is None or configuration.event_bridge is None:
            return response
        return _with_eventbridge(response)

    # Gap: GetBucketNotificationConfiguration
    # (S3Response.get_bucket_notification) never returns
    # EventBridgeConfiguration, although PutBucketNotificationConfiguration
    # stores it; a read-modify-write of the configuration would switch
    # EventBridge delivery off.
    register('s3-notification-eventbridge',
             'S3Response.get_bucket_notification: EventBridgeConfiguration not returned',
             S3Response, 'get_bucket_notification', get_bucket_notification)


def _with_eventbridge(response: Any) -> Any:
    status, headers, body = response
    text = body.decode('utf-8') if isinstance(body, bytes) else str(body)
    if '<EventBridgeConfiguration' not in text:
        element = '<EventBridgeConfiguration/>'
        # moto writes a configuration without entries as an empty element.
        text, opened = re.subn(r'<NotificationConfiguration([^>]*)/>',
                               r'<NotificationConfiguration\1>%s</NotificationConfiguration>'
                               % element, text, count=1)
        if not opened:
            text = text.replace('</NotificationConfiguration>',
                                element + '</NotificationConfiguration>', 1)
    headers = {k: v for k, v in dict(headers).items() if k.lower() != 'content-length'}
    return status, headers, text.encode('utf-8') if isinstance(body, bytes) else text
