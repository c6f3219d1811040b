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

    _NO_SESSION = ('Assign app.websocket_api.session to a boto3 session before using the '
                   'WebsocketAPI')

    def __init__(self, env=None):
        self.session = None
        # Where configure_from_api_id() reads the region (os.environ if None).
        self._env = env
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

    def configure_from_api_id(self, api_id, stage):
        """Point the API at websocket API ``api_id`` in the Lambda's region.

        For handlers that are not websocket handlers (a queue consumer that
        pushes to clients, say).  The region is ``AWS_REGION`` (or
        ``AWS_DEFAULT_REGION``) of the ``env`` the API was created with.
        """
        env = self._env
        if env is None:
            import os
            env = os.environ
        region = env.get('AWS_REGION') or env.get('AWS_DEFAULT_REGION')
        if not region:
            raise ValueError('configure_from_api_id needs AWS_REGION or AWS_DEFAULT_REGION '
                             'to be set to build the websocket endpoint')
        suffix = '.amazonaws.com.cn' if region.startswith('cn-') else '.amazonaws.com'
        self.configure('%s.execute-api.%s%s' % (api_id, region, suffix), stage)

    def _get_client(self):
        if self.session is None:
            raise ValueError(self._NO_SESSION)
        if self._endpoint is None:
            raise ValueError(self._NOT_CONFIGURED)
        if self._client is None or self._client_endpoint != self._endpoint:
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
