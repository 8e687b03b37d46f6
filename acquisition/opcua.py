"""The OPC UA connector (asyncua): one subscription per device, a monitored item per point.

Each point is a monitored item with its sampling interval and, when ``deadband`` is set, an absolute
deadband filter (OPC UA Part 4 §7.22.2, ``DataChangeFilter``); the notification's source timestamp
(else the server's) and status code are kept: the status code's severity (its top two bits:
good, uncertain, bad; Part 4 §7.39) is the sample's quality. Security policies None and
Basic256Sha256 (Sign or SignAndEncrypt) with an anonymous, user-name or X.509 user identity.

Connection: the first connection is retried with a backoff of 1 s doubling to 30 s; once connected,
asyncua's supervisor detects a lost connection, reconnects with backoff and re-creates the
subscription. The points are reported offline from the moment the connection is lost; their next
notification clears that.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path

from acquisition.batch import BAD, Sample
from acquisition.pointmap import DeviceSpec, PointSpec

log = logging.getLogger(__name__)

BACKOFF_MAX_S = 30.0


def quality_of(status_value: int) -> int:
    """0 good, 1 uncertain, 2 bad, from a status code's severity bits."""
    severity = (status_value >> 30) & 0b11
    return 0 if severity == 0 else 1 if severity == 1 else 2


def number_of(value) -> float | None:
    """The value of a variable as a number (booleans 0/1); None when it is not a single number."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    return None


class OpcUaConnector:
    """Subscribes to the points of one OPC UA server."""

    def __init__(self, device: DeviceSpec) -> None:
        self.device = device
        self.keys = [p.key for p in device.points]
        self.handles: dict[int, PointSpec] = {}
        self.client = None

    def sample(self, point: PointSpec, value, data_value) -> Sample:
        """The sample of one notification: scaled value, source time, quality from the status code."""
        time = data_value.SourceTimestamp or data_value.ServerTimestamp or dt.datetime.now(dt.UTC)
        if time.tzinfo is None:
            time = time.replace(tzinfo=dt.UTC)
        status = data_value.StatusCode_.value if hasattr(data_value, "StatusCode_") else data_value.StatusCode.value
        quality = quality_of(status)
        number = number_of(value)
        if number is None:
            if value is not None:
                log.warning(
                    "opcua %s: point %s: node %s holds a %s, not a number; marked bad",
                    self.device.name,
                    point.key,
                    point.node,
                    type(value).__name__,
                )
            return Sample(point.key, time, None, BAD)
        return Sample(point.key, time, number * point.scale + point.offset, quality)

    async def _client(self):
        from asyncua import Client, ua
        from asyncua.crypto import security_policies

        d = self.device
        client = Client(d.url, timeout=max(d.timeout_s, 4.0), watchdog_intervall=max(d.timeout_s, 5.0))
        client.name = client.description = "hazmap acquisition agent"
        if d.security != "None":
            certificate = Path(d.certificate)
            uri = _application_uri(certificate)
            if uri:
                client.application_uri = uri
            await client.set_security(
                getattr(security_policies, f"SecurityPolicy{d.security}"),
                str(certificate),
                d.private_key,
                server_certificate=d.server_certificate or None,
                mode=getattr(ua.MessageSecurityMode, d.mode or "SignAndEncrypt"),
            )
        if d.username:
            client.set_user(d.username)
            client.set_password(d.password() or "")
        if d.user_certificate:
            await client.load_client_certificate(d.user_certificate)
            await client.load_private_key(Path(d.user_private_key))
        return client

    async def _subscribe(self, client, sink) -> None:
        from asyncua import ua

        params = ua.CreateSubscriptionParameters()
        params.RequestedPublishingInterval = self.device.publishing_interval_s * 1000
        params.RequestedLifetimeCount = 10000
        params.RequestedMaxKeepAliveCount = client.get_keepalive_count(params.RequestedPublishingInterval)
        params.MaxNotificationsPerPublish = 0
        params.PublishingEnabled = True
        params.Priority = 0
        from asyncua.common.subscription import OverflowPolicy

        # iterator mode, unbounded: no notification is dropped, and none costs a task of its own
        subscription = await client.create_subscription(params, None, queue_maxsize=0, overflow=OverflowPolicy.WARN)
        requests, self.handles = [], {}
        for handle, point in enumerate(self.device.points, start=1):
            item = ua.ReadValueId()
            item.NodeId = ua.NodeId.from_string(point.node)
            item.AttributeId = ua.AttributeIds.Value
            parameters = ua.MonitoringParameters()
            parameters.ClientHandle = handle
            parameters.SamplingInterval = point.sampling_interval_s * 1000
            parameters.QueueSize = 10
            parameters.DiscardOldest = True
            if point.deadband > 0:
                change = ua.DataChangeFilter()
                change.Trigger = ua.DataChangeTrigger.StatusValue
                change.DeadbandType = ua.DeadbandType.Absolute
                change.DeadbandValue = point.deadband / point.scale
                parameters.Filter = change
            request = ua.MonitoredItemCreateRequest()
            request.ItemToMonitor = item
            request.MonitoringMode = ua.MonitoringMode.Reporting
            request.RequestedParameters = parameters
            requests.append(request)
            self.handles[handle] = point
        results = await subscription.create_monitored_items(requests)
        now = dt.datetime.now(dt.UTC)
        refused = []
        for point, result in zip(self.device.points, results, strict=True):
            if isinstance(result, ua.StatusCode):
                log.warning("opcua %s: point %s: node %s refused: %s", self.device.name, point.key, point.node, result)
                refused.append(Sample(point.key, now, None, BAD))
        if refused:
            sink.samples(refused)
        return subscription

    async def _consume(self, subscription, sink) -> None:
        """Hand every notification of the subscription to ``sink``, as it comes."""
        from asyncua.common.subscription import DataChangeEvent, StatusChangeEvent

        async for event in subscription:
            if isinstance(event, DataChangeEvent):
                point = self.handles.get(event.data.subscription_data.client_handle)
                if point is not None:
                    sink.samples([self.sample(point, event.value, event.data.monitored_item.Value)])
            elif isinstance(event, StatusChangeEvent):
                log.warning("opcua %s: subscription status %s", self.device.name, event.notification.Status)

    async def run(self, sink) -> None:
        """Subscribe until cancelled, reporting samples and outages to ``sink``."""
        backoff = 1.0
        while True:
            client = None
            try:
                client = await self._client()

                async def lost(error: Exception) -> None:
                    log.warning("opcua %s: connection lost (%r); reconnecting", self.device.name, error)
                    sink.offline(self.keys, f"connection lost: {error!r}")

                client.connection_lost_callback = lost
                await client.connect(auto_reconnect=True, reconnect_max_delay=BACKOFF_MAX_S)
                log.info("opcua %s: connected to %s", self.device.name, self.device.url)
                self.client = client
                subscription = await self._subscribe(client, sink)
                backoff = 1.0
                await self._consume(subscription, sink)  # asyncua reconnects and re-subscribes by itself
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("opcua %s: offline (%r); trying again in %.0f s", self.device.name, error, backoff)
                sink.offline(self.keys, repr(error))
                await asyncio.sleep(backoff)
                backoff = min(2 * backoff, BACKOFF_MAX_S)
            finally:
                self.client = None
                if client is not None:
                    client.connection_lost_callback = None  # a deliberate stop is not an outage
                    try:
                        await asyncio.wait_for(client.disconnect(), 5)
                    except Exception:  # the server may be gone already
                        log.debug("opcua %s: disconnect failed", self.device.name, exc_info=True)


def _application_uri(certificate: Path) -> str | None:
    """The URI in a certificate's subject alternative name (the client's application URI must match it)."""
    from cryptography import x509

    try:
        data = certificate.read_bytes()
        cert = x509.load_pem_x509_certificate(data) if b"BEGIN" in data else x509.load_der_x509_certificate(data)
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        uris = names.get_values_for_type(x509.UniformResourceIdentifier)
    except (OSError, ValueError, x509.ExtensionNotFound):
        return None
    return uris[0] if uris else None


async def ensure_certificate(key_file: Path, cert_file: Path, app_uri: str, server: bool = False) -> None:
    """Make a self-signed OPC UA application certificate (DER) and RSA key (PEM) where none are (OPC 10000-6 §6.2.2)."""
    import socket

    from asyncua.crypto.cert_gen import setup_self_signed_certificate
    from cryptography.x509.oid import ExtendedKeyUsageOID

    key_file.parent.mkdir(parents=True, exist_ok=True)
    use = [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
    await setup_self_signed_certificate(
        key_file, cert_file, app_uri, socket.gethostname(), use, {"organizationName": "hazmap", "commonName": app_uri}
    )
