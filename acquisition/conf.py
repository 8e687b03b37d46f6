"""Acquisition's settings, read from the environment with clear errors.

==========================  ===================================  ==============================================
variable                    default                              meaning
==========================  ===================================  ==============================================
HAZMAP_BROKER               empty (in-process only)              the MQTT broker the centre listens on,
                                                                 ``mqtt://host:port`` (``mqtts://`` for TLS)
HAZMAP_MQTT_PREFIX          ``hazmap``                           first level of every topic
                                                                 (``{prefix}/up/{gateway}``, ``{prefix}/ack/…``)
HAZMAP_ACQUISITION_DIR      ``$HAZMAP_VAR_DIR/acquisition``      keys of the centre and the embedded agent,
                                                                 the embedded agent's outbox
HAZMAP_CENTRE_KEY           ``$HAZMAP_ACQUISITION_DIR/centre``   the centre's SM2 private key (PEM); made on
                            ``-sm2.pem``                         first use when missing
HAZMAP_MESSAGE_MAX_AGE_S    ``600``                              messages older than this (or as far ahead)
                                                                 are refused; the agent sends them again
HAZMAP_MAX_CLOCK_SKEW_S     ``300``                              samples later than this ahead of the centre's
                                                                 clock are refused
HAZMAP_SIMULATE             ``false`` (``hazmap demo``: true)    ``hazmap serve`` also runs the demo park's
                                                                 simulators and the embedded agent
==========================  ===================================  ==============================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _float(name: str, default: float, minimum: float) -> float:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value:g} is below the minimum {minimum:g}")
    return value


def acquisition_dir() -> Path:
    """Where the centre's key and the embedded agent's files live (created when missing)."""
    path = Path(os.environ.get("HAZMAP_ACQUISITION_DIR") or Path(settings.VAR_DIR) / "acquisition")
    path.mkdir(parents=True, exist_ok=True)
    return path


def centre_key_path() -> Path:
    raw = os.environ.get("HAZMAP_CENTRE_KEY")
    return Path(raw) if raw else acquisition_dir() / "centre-sm2.pem"


def message_max_age_s() -> float:
    return _float("HAZMAP_MESSAGE_MAX_AGE_S", 600.0, 10.0)


def max_clock_skew_s() -> float:
    return _float("HAZMAP_MAX_CLOCK_SKEW_S", 300.0, 0.0)


def mqtt_prefix() -> str:
    prefix = os.environ.get("HAZMAP_MQTT_PREFIX", "hazmap").strip("/")
    if not prefix or any(c in prefix for c in "+#"):
        raise ImproperlyConfigured(f"HAZMAP_MQTT_PREFIX={prefix!r} must be a topic without + or #")
    return prefix


@dataclass(frozen=True)
class Broker:
    """An MQTT broker address."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None


def parse_broker(url: str, name: str = "broker") -> Broker:
    """``mqtt://[user:password@]host[:port]`` (or ``mqtts://``) → Broker; ImproperlyConfigured otherwise."""
    parsed = urlparse(url)
    if parsed.scheme not in ("mqtt", "mqtts") or not parsed.hostname:
        raise ImproperlyConfigured(f"{name}={url!r} is not mqtt://host:port or mqtts://host:port")
    try:
        port = parsed.port or (8883 if parsed.scheme == "mqtts" else 1883)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={url!r} has a port that is not a number") from None
    return Broker(parsed.hostname, port, parsed.scheme == "mqtts", parsed.username, parsed.password)


def broker() -> Broker | None:
    """The centre's broker (HAZMAP_BROKER), or None to receive in-process only."""
    raw = os.environ.get("HAZMAP_BROKER", "")
    return parse_broker(raw, "HAZMAP_BROKER") if raw else None


def simulate(default: bool = False) -> bool:
    raw = os.environ.get("HAZMAP_SIMULATE", "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"HAZMAP_SIMULATE={raw!r} is not a boolean (1/0, true/false, yes/no, on/off)")
