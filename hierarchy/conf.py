"""The hierarchy's settings, read from the environment with clear errors.

==========================  ===================================  ==============================================
variable                    default                              meaning
==========================  ===================================  ==============================================
HAZMAP_CENTRE_REGION        empty                                the GB/T 2260 code of the region this centre
                                                                 answers for; its level is that region's
HAZMAP_CENTRE_CODE          ``$HAZMAP_CENTRE_REGION``            this centre's name towards its parent (the
                                                                 code the parent registers it under)
HAZMAP_PARENT_KEY           empty (no parent)                    the parent centre's SM2 public key or
                                                                 certificate (PEM file); set, this centre
                                                                 forwards its changes to the parent
HAZMAP_PARENT_BROKER        ``$HAZMAP_BROKER``                   the broker the parent listens on
HAZMAP_PARENT_PREFIX        ``$HAZMAP_MQTT_PREFIX``              the parent's topic prefix
HAZMAP_CENTRE_KEY           (acquisition's)                      this centre's SM2 private key: it signs the
                                                                 acknowledgements to its gateways and children
                                                                 and the messages to its parent
==========================  ===================================  ==============================================

HAZMAP_HIERARCHY_SUMMARY_INTERVAL_S (default 3600, at least 60), the seconds between two summaries of the
centre's region sent to its parent (``hierarchy.summary``), is read with the other intervals in
``hazmap.settings``.

The centre's level is not a setting of its own: it is the level of its region (a county centre has
a county's code), so the two cannot disagree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from acquisition import conf as acquisition_conf
from acquisition import sm
from acquisition.conf import Broker

# The second level of the hierarchy's MQTT topics (``{prefix}/{word}/{child code}``).
CHILD_UP = "child-up"  # a child's changes, to its parent (QoS 1)
CHILD_ACK = "child-ack"  # the parent's acknowledgements (QoS 1)
LIVE = "live"  # a parent's request for live readings (QoS 0: a request nobody waits for is worth nothing)
LIVE_REPLY = "live-reply"  # the child's answer, ``{prefix}/live-reply/{child}/{request id}`` (QoS 0)


def centre_region() -> str:
    """HAZMAP_CENTRE_REGION: this centre's region code ("" when the centre is in no hierarchy)."""
    return os.environ.get("HAZMAP_CENTRE_REGION", "").strip()


def centre_code() -> str:
    """This centre's code towards its parent and in the requests it sends its children."""
    code = os.environ.get("HAZMAP_CENTRE_CODE", "").strip() or centre_region() or "centre"
    if not 0 < len(code.encode()) < 256 or any(c in code for c in "/+#"):
        raise ImproperlyConfigured(f"HAZMAP_CENTRE_CODE={code!r} must be 1 to 255 bytes without / + #")
    return code


def has_parent() -> bool:
    """True when this centre forwards to a parent (HAZMAP_PARENT_KEY is set)."""
    return bool(os.environ.get("HAZMAP_PARENT_KEY", "").strip())


@dataclass(frozen=True)
class Parent:
    """Where and to whom this centre forwards."""

    key: sm.PublicKey
    broker: Broker
    prefix: str
    code: str  # this centre's code at the parent
    region: str  # this centre's region code


def parent() -> Parent | None:
    """The parent centre, or None when HAZMAP_PARENT_KEY is not set; ImproperlyConfigured when incomplete."""
    raw = os.environ.get("HAZMAP_PARENT_KEY", "").strip()
    if not raw:
        return None
    path = Path(raw)
    try:
        key = sm.load_credential(path.read_bytes()).public_key
    except OSError as error:
        raise ImproperlyConfigured(f"HAZMAP_PARENT_KEY={raw}: {error.strerror}") from None
    except sm.CryptoError as error:
        raise ImproperlyConfigured(f"HAZMAP_PARENT_KEY={raw}: {error}") from None
    region = centre_region()
    if not region:
        raise ImproperlyConfigured("HAZMAP_PARENT_KEY is set: set HAZMAP_CENTRE_REGION (the region it forwards)")
    url = os.environ.get("HAZMAP_PARENT_BROKER", "").strip() or os.environ.get("HAZMAP_BROKER", "").strip()
    if not url:
        raise ImproperlyConfigured("HAZMAP_PARENT_KEY is set: set HAZMAP_PARENT_BROKER (or HAZMAP_BROKER)")
    broker = acquisition_conf.parse_broker(url, "HAZMAP_PARENT_BROKER")
    prefix = os.environ.get("HAZMAP_PARENT_PREFIX", "").strip("/ ") or acquisition_conf.mqtt_prefix()
    if any(c in prefix for c in "+#"):
        raise ImproperlyConfigured(f"HAZMAP_PARENT_PREFIX={prefix!r} must be a topic without + or #")
    return Parent(key, broker, prefix, centre_code(), region)
