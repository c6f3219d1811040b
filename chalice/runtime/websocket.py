"""Sending to websocket clients through API Gateway's management API.

Chalice has no hard dependency on boto3: the user assigns a boto3 session
to ``app.websocket_api.session``.  Before each websocket handler runs, the
runtime calls :meth:`WebsocketAPI.configure` with the event's domain and
stage; the ``apigatewaymanagementapi`` client is created only when the
handler first sends, and reused while the endpoint stays the same.
"""
from chalice.runtime.errors import WebsocketDisconnectedError


class WebsocketAPI:
    _NOT_CONFIGURED = 'WebsocketAPI needs to be configured before sending messages.'

    def __init__(self):
        self.session = None
        self._endpoint = None
        self._client = None
        self._client_endpoint = None

    def configure(self, domain_name, stage):
        """Point the API at the websocket endpoint ``domain_name``/``stage``."""
        if domain_name.endswith(('.amazonaws.com', '.amazonaws.com.cn')):
            self._endpoint = 'https://%s/%s' % (domain_name, stage)
        else:
            # A custom domain maps its base path to the stage already.
            self._endpoint = 'https://%s' % domain_name

    def _get_client(self):
        if self._endpoint is None:
            raise ValueError(self._NOT_CONFIGURED)
        if self._client is None or self._client_endpoint != self._endpoint:
            if self.session is None:
                raise ValueError(
                    'Assign a boto3 Session to app.websocket_api.session before sending '
                    'websocket messages.')
            self._client = self.session.client(
                'apigatewaymanagementapi', endpoint_url=self._endpoint)
            self._client_endpoint = self._endpoint
        return self._client

    def _call(self, connection_id, method, **kwargs):
        client = self._get_client()
        try:
            return getattr(client, method)(ConnectionId=connection_id, **kwargs)
        except client.exceptions.GoneException:
            raise WebsocketDisconnectedError(connection_id) from None

    def send(self, connection_id, message):
        """Send ``message`` (a str) to the client ``connection_id``."""
        self._call(connection_id, 'post_to_connection', Data=message)

    def close(self, connection_id):
        """Disconnect the client ``connection_id``."""
        self._call(connection_id, 'delete_connection')

    def info(self, connection_id):
        """Connection details: ConnectedAt, Identity, LastActiveAt."""
        response = self._call(connection_id, 'get_connection')
        return {
            'ConnectedAt': response['ConnectedAt'],
            'Identity': response['Identity'],
            'LastActiveAt': response['LastActiveAt'],
        }
