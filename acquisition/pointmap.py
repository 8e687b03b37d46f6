"""The point map: which device address, OPC UA node or Modbus register feeds which sensor of ``geo``.

A point map is a YAML file (or the same rows in the database: ``acquisition.models.Device`` and
``Point``; ``hazmap pointmap export`` writes the file from them). It is checked as a whole before
anything runs, and every fault is reported with its line::

    owner: 91310116MA1FL0XY2K          # whose sensors: an enterprise's credit code (or a region code)
    devices:
      - name: tank-farm-plc
        protocol: modbus-tcp           # modbus-tcp | modbus-rtu | opcua
        host: 10.0.0.5
        port: 502
        unit: 1                        # Modbus unit (slave) id
        poll_s: 1.0                    # polling interval
        timeout_s: 1.0                 # per request, then `retries` more attempts
        retries: 2
        byte_order: big                # big = AB, little = BA within each register
        word_order: big                # big = high word first (ABCD), little = CDAB
        points:
          - sensor: T101-LT1           # the sensor's tag (or owner/tag)
            table: holding             # holding | input | coil | discrete
            address: 0                 # 0-based register or bit address
            type: float32              # int16 uint16 int32 uint32 float32 float64 (bool for coils/inputs)
            scale: 1.0                 # value = raw × scale + offset, in the sensor's unit
            offset: 0.0
            hi: 90                     # alarm limits; missing ones come from the centre's sensor
            alarm_deadband: 1.0
            on_delay_s: 0
            rate_limit: 5              # unit per second
            stale_after_s: 10
      - name: gas-detection
        protocol: opcua
        url: opc.tcp://10.0.0.6:4840
        security: Basic256Sha256       # None | Basic256Sha256
        mode: SignAndEncrypt           # Sign | SignAndEncrypt
        certificate: keys/agent.der    # the agent's application certificate and key (paths relative to the file)
        private_key: keys/agent.pem
        username: hazmap               # password read from the environment variable named by password_env
        password_env: GDS_PASSWORD
        points:
          - sensor: GD-001
            node: ns=2;s=GD-001
            sampling_interval_s: 0.5
            deadband: 0.5              # OPC UA absolute deadband of the subscription, in the sensor's unit

Settings are described once, in ``DEVICE_FIELDS`` and ``POINT_FIELDS``; the file loader and the
models' validation both use them.
"""

from __future__ import annotations

import difflib
import itertools
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from acquisition.alarms import Limits

PROTOCOLS = ("modbus-tcp", "modbus-rtu", "opcua")
MODBUS = ("modbus-tcp", "modbus-rtu")
ALL = PROTOCOLS
TABLES = ("holding", "input", "coil", "discrete")
REGISTER_TYPES = {"int16": 1, "uint16": 1, "int32": 2, "uint32": 2, "float32": 2, "float64": 4}
TYPES = (*REGISTER_TYPES, "bool")
ORDERS = ("big", "little")


class PointMapError(ValueError):
    """The point map has faults; ``errors`` lists each as ``(line, where, message)``."""

    def __init__(self, errors: list[tuple[int | None, str, str]], source: str = "point map") -> None:
        self.errors = errors
        self.source = source
        lines = [
            f"{source}:{line or '?'}: {where}: {message}" if where else f"{source}:{line or '?'}: {message}"
            for line, where, message in errors
        ]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Setting:
    """One setting of a device or point: its type, default, limits and the protocols it applies to."""

    kind: str  # str, int, float, choice, nodeid, url
    default: Any = None
    required: bool = False
    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    protocols: tuple[str, ...] = ALL
    positive: bool = False
    help: str = ""


DEVICE_FIELDS: dict[str, Setting] = {
    "name": Setting("str", required=True, help="a name unique in the point map"),
    "protocol": Setting("choice", required=True, choices=PROTOCOLS),
    "owner": Setting("str", help="credit code of the enterprise (or code of the region) owning the sensors"),
    "host": Setting("str", protocols=("modbus-tcp",), help="host name or address of the Modbus TCP server"),
    "port": Setting("int", 502, low=1, high=65535, protocols=("modbus-tcp",)),
    "framer": Setting(
        "choice",
        "socket",
        choices=("socket", "rtu"),
        protocols=("modbus-tcp",),
        help="socket: Modbus TCP; rtu: RTU frames over TCP (serial servers)",
    ),
    "serial": Setting("str", protocols=("modbus-rtu",), help="serial port, e.g. /dev/ttyUSB0"),
    "baudrate": Setting("int", 9600, low=300, high=921600, protocols=("modbus-rtu",)),
    "parity": Setting("choice", "N", choices=("N", "E", "O"), protocols=("modbus-rtu",)),
    "stopbits": Setting("int", 1, low=1, high=2, protocols=("modbus-rtu",)),
    "bytesize": Setting("int", 8, low=7, high=8, protocols=("modbus-rtu",)),
    "unit": Setting("int", 1, low=0, high=255, protocols=MODBUS, help="Modbus unit (slave) id"),
    "poll_s": Setting("float", 1.0, low=0.01, high=3600, protocols=MODBUS, help="polling interval, s"),
    "timeout_s": Setting("float", 1.0, low=0.05, high=60, help="timeout of one request, s"),
    "retries": Setting("int", 2, low=0, high=10, protocols=MODBUS, help="further attempts after a timeout"),
    "byte_order": Setting("choice", "big", choices=ORDERS, protocols=MODBUS),
    "word_order": Setting("choice", "big", choices=ORDERS, protocols=MODBUS),
    "max_gap": Setting(
        "int", 8, low=0, high=100, protocols=MODBUS, help="unused registers read rather than splitting a request"
    ),
    "url": Setting("url", protocols=("opcua",), help="endpoint, opc.tcp://host:port/path"),
    "security": Setting("choice", "None", choices=("None", "Basic256Sha256"), protocols=("opcua",)),
    "mode": Setting("choice", None, choices=("Sign", "SignAndEncrypt"), protocols=("opcua",)),
    "certificate": Setting("str", protocols=("opcua",), help="the agent's certificate (DER or PEM) for security"),
    "private_key": Setting("str", protocols=("opcua",), help="the agent's private key (PEM)"),
    "server_certificate": Setting("str", protocols=("opcua",), help="the server's certificate, when pinned"),
    "user_certificate": Setting("str", protocols=("opcua",), help="X.509 user identity certificate"),
    "user_private_key": Setting("str", protocols=("opcua",), help="the user identity's private key"),
    "username": Setting("str", protocols=("opcua",)),
    "password_env": Setting("str", protocols=("opcua",), help="environment variable holding the password"),
    "publishing_interval_s": Setting("float", 0.5, low=0.01, high=3600, protocols=("opcua",)),
}

POINT_FIELDS: dict[str, Setting] = {
    "sensor": Setting("str", required=True, help="the sensor's tag, or owner/tag"),
    "table": Setting("choice", "holding", choices=TABLES, protocols=MODBUS),
    "address": Setting("int", low=0, high=65535, protocols=MODBUS),
    "type": Setting("choice", None, choices=TYPES, protocols=MODBUS),
    "byte_order": Setting("choice", None, choices=ORDERS, protocols=MODBUS),
    "word_order": Setting("choice", None, choices=ORDERS, protocols=MODBUS),
    "node": Setting("nodeid", protocols=("opcua",), help="OPC UA node id, e.g. ns=2;s=GD-001"),
    "sampling_interval_s": Setting("float", 0.5, low=0.0, high=3600, protocols=("opcua",)),
    "deadband": Setting("float", 0.0, low=0.0, protocols=("opcua",), help="absolute deadband of the subscription"),
    "scale": Setting("float", 1.0),
    "offset": Setting("float", 0.0),
    "range_min": Setting("float"),
    "range_max": Setting("float"),
    "lolo": Setting("float"),
    "lo": Setting("float"),
    "hi": Setting("float"),
    "hihi": Setting("float"),
    "alarm_deadband": Setting("float", low=0.0, help="hysteresis of the limit alarms, in the sensor's unit"),
    "on_delay_s": Setting("float", 0.0, low=0.0, high=3600),
    "off_delay_s": Setting("float", 0.0, low=0.0, high=3600),
    "rate_limit": Setting("float", low=0.0, positive=True, help="largest rate of change, unit per second"),
    "stale_after_s": Setting("float", low=0.0, positive=True, help="raise a stale-data alarm after this silence"),
}


@dataclass(frozen=True)
class PointSpec:
    """One point: the sensor it feeds (``key`` = owner/tag), where its value is read and its alarm settings."""

    key: str
    line: int | None = None
    table: str = "holding"
    address: int | None = None
    type: str = "float32"
    byte_order: str = "big"
    word_order: str = "big"
    node: str | None = None
    sampling_interval_s: float = 0.5
    deadband: float = 0.0
    scale: float = 1.0
    offset: float = 0.0
    range_min: float | None = None
    range_max: float | None = None
    lolo: float | None = None
    lo: float | None = None
    hi: float | None = None
    hihi: float | None = None
    alarm_deadband: float | None = None
    on_delay_s: float = 0.0
    off_delay_s: float = 0.0
    rate_limit: float | None = None
    stale_after_s: float | None = None

    @property
    def tag(self) -> str:
        return self.key.split("/", 1)[1]

    @property
    def registers(self) -> int:
        """How many 16-bit registers (or bits) the point occupies."""
        return REGISTER_TYPES.get(self.type, 1)

    def limits(self) -> Limits:
        """The alarm settings of the point (deadband 0 when neither the map nor the centre gave one)."""
        return Limits(
            lolo=self.lolo,
            lo=self.lo,
            hi=self.hi,
            hihi=self.hihi,
            deadband=self.alarm_deadband or 0.0,
            on_delay_s=self.on_delay_s,
            off_delay_s=self.off_delay_s,
            rate_limit=self.rate_limit,
            stale_after_s=self.stale_after_s,
        )


@dataclass(frozen=True)
class DeviceSpec:
    """One device (a Modbus server or an OPC UA server) and its points."""

    name: str
    protocol: str
    points: tuple[PointSpec, ...] = ()
    line: int | None = None
    owner: str | None = None
    host: str | None = None
    port: int = 502
    framer: str = "socket"
    serial: str | None = None
    baudrate: int = 9600
    parity: str = "N"
    stopbits: int = 1
    bytesize: int = 8
    unit: int = 1
    poll_s: float = 1.0
    timeout_s: float = 1.0
    retries: int = 2
    byte_order: str = "big"
    word_order: str = "big"
    max_gap: int = 8
    url: str | None = None
    security: str = "None"
    mode: str | None = None
    certificate: str | None = None
    private_key: str | None = None
    server_certificate: str | None = None
    user_certificate: str | None = None
    user_private_key: str | None = None
    username: str | None = None
    password_env: str | None = None
    publishing_interval_s: float = 0.5

    def password(self) -> str | None:
        """The OPC UA password, from the environment variable ``password_env``."""
        return os.environ.get(self.password_env) if self.password_env else None


@dataclass(frozen=True)
class PointMap:
    """Every device and point of one agent (and, read from an agent's file, its other settings)."""

    devices: tuple[DeviceSpec, ...] = ()
    source: str = "point map"
    settings: dict = field(default_factory=dict)

    def points(self) -> list[PointSpec]:
        return [p for d in self.devices for p in d.points]

    def keys(self) -> list[str]:
        return [p.key for p in self.points()]

    def limits(self) -> dict[str, Limits]:
        return {p.key: p.limits() for p in self.points()}

    def with_points(self, change: Callable[[PointSpec], PointSpec]) -> PointMap:
        """A copy with ``change`` applied to every point (e.g. filling thresholds from the centre)."""
        devices = tuple(replace(d, points=tuple(change(p) for p in d.points)) for d in self.devices)
        return replace(self, devices=devices)


# --- checking ------------------------------------------------------------------------------------


def check_value(name: str, setting: Setting, value: Any) -> tuple[Any, str | None]:
    """Convert one setting's value; the error message when it is not acceptable."""
    if value is None:
        return None, None
    kind = setting.kind
    if kind in ("str", "url", "nodeid", "choice") and not isinstance(value, str):
        value = str(value) if isinstance(value, int | float) and kind in ("str", "choice") else value
        if not isinstance(value, str):
            return None, f"must be text, not {type(value).__name__}"
    if kind == "choice" and value not in setting.choices:
        return None, f"“{value}” is not one of {', '.join(map(str, setting.choices))}"
    if kind == "url" and not value.startswith("opc.tcp://"):
        return None, f"“{value}” is not an OPC UA endpoint (opc.tcp://host:port/…)"
    if kind == "nodeid":
        from asyncua import ua

        try:
            ua.NodeId.from_string(value)
        except Exception:
            return None, f"“{value}” is not an OPC UA node id (e.g. ns=2;s=GD-001 or ns=2;i=1001)"
    if kind == "str" and not value.strip():
        return None, "must not be empty"
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return None, f"“{value}” is not a whole number"
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, f"“{value}” is not a number"
        value = float(value)
        if not math.isfinite(value):
            return None, f"“{value}” is not a finite number"
    if kind in ("int", "float"):
        if setting.low is not None and value < setting.low:
            return None, f"{value} is below the minimum {setting.low:g}"
        if setting.high is not None and value > setting.high:
            return None, f"{value} is above the maximum {setting.high:g}"
        if setting.positive and value <= 0:
            return None, f"{value} must be greater than 0"
    return value, None


def check_settings(
    raw: dict[str, Any], fields: dict[str, Setting], protocol: str | None, lines: dict[str, int] | None = None
) -> tuple[dict[str, Any], list[tuple[str, str, int | None]]]:
    """Check a device's or point's settings: ``(values, [(field, message, line)])``."""
    lines = lines or {}
    values, errors = {}, []
    for name, value in raw.items():
        setting = fields.get(name)
        if setting is None:
            close = difflib.get_close_matches(str(name), list(fields), n=1)
            hint = f" (did you mean “{close[0]}”?)" if close else ""
            errors.append((str(name), f"unknown setting{hint}", lines.get(name)))
            continue
        if protocol is not None and protocol not in setting.protocols and value is not None:
            errors.append((name, f"does not apply to {protocol} devices", lines.get(name)))
            continue
        converted, message = check_value(name, setting, value)
        if message:
            errors.append((name, message, lines.get(name)))
        elif converted is not None:
            values[name] = converted
    for name, setting in fields.items():
        if setting.required and name not in values and name not in {e[0] for e in errors}:
            errors.append((name, "is required", None))
    return values, errors


def _device_rules(values: dict[str, Any]) -> list[tuple[str, str]]:
    protocol = values.get("protocol")
    errors = []
    if protocol == "modbus-tcp" and not values.get("host"):
        errors.append(("host", "is required for a modbus-tcp device"))
    if protocol == "modbus-rtu" and not values.get("serial"):
        errors.append(("serial", "is required for a modbus-rtu device"))
    if protocol == "opcua":
        if not values.get("url"):
            errors.append(("url", "is required for an opcua device"))
        secure = values.get("security", "None") != "None"
        if secure and not values.get("mode"):
            errors.append(("mode", "give Sign or SignAndEncrypt with a security policy"))
        if secure and not (values.get("certificate") and values.get("private_key")):
            errors.append(("certificate", "a security policy needs the agent's certificate and private_key"))
        if bool(values.get("username")) != bool(values.get("password_env")):
            errors.append(("username", "give both username and password_env, or neither"))
        if bool(values.get("user_certificate")) != bool(values.get("user_private_key")):
            errors.append(("user_certificate", "give both user_certificate and user_private_key, or neither"))
    return errors


def _point_rules(values: dict[str, Any], protocol: str | None) -> list[tuple[str, str]]:
    errors = []
    if protocol in MODBUS:
        if values.get("address") is None:
            errors.append(("address", "is required for a Modbus point"))
        table = values.get("table", "holding")
        kind = values.get("type")
        if table in ("coil", "discrete") and kind not in (None, "bool"):
            errors.append(("type", f"a {table} holds one bit: use type bool (not {kind})"))
        if table in ("holding", "input") and kind == "bool":
            errors.append(("type", f"a {table} register holds a number: use int16 … float64"))
        address = values.get("address")
        if address is not None and table in ("holding", "input"):
            size = REGISTER_TYPES.get(kind or "float32", 1)
            if address + size > 65536:
                errors.append(("address", f"{kind or 'float32'} at {address} runs past register 65535"))
    if protocol == "opcua" and not values.get("node"):
        errors.append(("node", "is required for an OPC UA point"))
    if values.get("scale") == 0:
        errors.append(("scale", "must not be 0"))
    limits = [(n, values.get(n)) for n in ("lolo", "lo", "hi", "hihi") if values.get(n) is not None]
    for (low_name, low), (high_name, high) in itertools.pairwise(limits):
        if low >= high:
            errors.append((high_name, f"{high_name} ({high:g}) must be above {low_name} ({low:g})"))
    low, high = values.get("range_min"), values.get("range_max")
    if low is not None and high is not None and low >= high:
        errors.append(("range_max", f"range_max ({high:g}) must be above range_min ({low:g})"))
    return errors


def build_point(values: dict[str, Any], device: dict[str, Any], owner: str | None, line: int | None) -> PointSpec:
    """A ``PointSpec`` from checked values, inheriting the device's byte and word order."""
    sensor = values["sensor"]
    key = sensor if "/" in sensor else f"{owner}/{sensor}"
    table = values.get("table", "holding")
    default_type = "bool" if table in ("coil", "discrete") else "float32"
    fields = {k: v for k, v in values.items() if k != "sensor"}
    fields.setdefault("type", default_type)
    fields.setdefault("byte_order", device.get("byte_order", "big"))
    fields.setdefault("word_order", device.get("word_order", "big"))
    return PointSpec(key=key, line=line, **fields)


def build_device(values: dict[str, Any], points: Iterable[PointSpec], line: int | None) -> DeviceSpec:
    return DeviceSpec(points=tuple(points), line=line, **values)


def check_overlaps(device: DeviceSpec) -> list[tuple[PointSpec, str]]:
    """Modbus points of one device whose registers overlap."""
    taken: dict[tuple[str, int], PointSpec] = {}
    errors = []
    for point in device.points:
        if point.address is None:
            continue
        for offset in range(point.registers):
            slot = (point.table, point.address + offset)
            other = taken.get(slot)
            if other is not None:
                errors.append((point, f"{point.table} {point.address + offset} is already read for {other.tag}"))
                break
            taken[slot] = point
    return errors


# --- the YAML file -------------------------------------------------------------------------------


class _Lined(dict):
    """A mapping read from YAML that remembers the line of itself and of each value."""

    line: int = 0
    lines: dict


class _LinedList(list):
    line: int = 0
    lines: list


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Lined:
    loader.flatten_mapping(node)
    result = _Lined()
    result.line, result.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(None, None, f"“{key}” is given twice", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> _LinedList:
    result = _LinedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line, result.lines = node.start_mark.line + 1, [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def loads(
    text: str, source: str = "point map", base: Path | None = None, extra: dict[str, Setting] | None = None
) -> PointMap:
    """Read and check a point map; ``PointMapError`` lists every fault with its line.

    Relative file paths in it (certificates, keys) are taken from ``base``. ``extra`` describes
    further top-level settings allowed (an agent's file); their values end in ``PointMap.settings``.
    """
    extra = extra or {}
    try:
        document = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise PointMapError([(mark.line + 1 if mark else None, "", f"not valid YAML: {problem}")], source) from None
    errors: list[tuple[int | None, str, str]] = []
    if not isinstance(document, dict):
        raise PointMapError([(1, "", "the point map must be a mapping with “devices:”")], source)
    top = {k: v for k, v in document.items() if k in extra}
    top_values, problems = check_settings(top, extra, None, document.lines)
    errors += [(ln or document.line, f, m) for f, m, ln in problems]
    for name in document:
        if name not in ("owner", "devices", "version", *extra):
            known = ", ".join(("owner", "devices", *extra))
            errors.append((document.lines.get(name), str(name), f"unknown top-level setting ({known})"))
    owner = document.get("owner")
    if owner is not None and not isinstance(owner, str):
        owner = str(owner)
    devices_raw = document.get("devices")
    if not isinstance(devices_raw, list) or not devices_raw:
        raise PointMapError(
            [(document.lines.get("devices", document.line), "devices", "give a list of devices")], source
        )
    devices, names, keys = [], {}, {}
    for d_index, raw in enumerate(devices_raw):
        where = f"devices[{d_index}]"
        line = devices_raw.lines[d_index]
        if not isinstance(raw, dict):
            errors.append((line, where, "a device is a mapping of settings"))
            continue
        raw_points = raw.get("points")
        settings = {k: v for k, v in raw.items() if k != "points"}
        protocol = settings.get("protocol") if settings.get("protocol") in PROTOCOLS else None
        values, problems = check_settings(settings, DEVICE_FIELDS, protocol, raw.lines)
        problems += [(f, m, raw.lines.get(f)) for f, m in _device_rules(values) if f not in {p[0] for p in problems}]
        errors += [(ln or line, f"{where}.{f}", m) for f, m, ln in problems]
        name = values.get("name")
        if name in names:
            errors.append(
                (raw.lines.get("name", line), f"{where}.name", f"“{name}” is also the name of line {names[name]}")
            )
        names.setdefault(name, line)
        device_owner = values.get("owner") or owner
        if not isinstance(raw_points, list) or not raw_points:
            errors.append((raw.lines.get("points", line), f"{where}.points", "give a list of points"))
            continue
        points = []
        for p_index, p_raw in enumerate(raw_points):
            p_where = f"{where}.points[{p_index}]"
            p_line = raw_points.lines[p_index]
            if not isinstance(p_raw, dict):
                errors.append((p_line, p_where, "a point is a mapping of settings"))
                continue
            p_values, p_problems = check_settings(p_raw, POINT_FIELDS, protocol, p_raw.lines)
            faulty = {p[0] for p in p_problems}
            p_problems += [(f, m, p_raw.lines.get(f)) for f, m in _point_rules(p_values, protocol) if f not in faulty]
            errors += [(ln or p_line, f"{p_where}.{f}", m) for f, m, ln in p_problems]
            sensor = p_values.get("sensor")
            if sensor and "/" not in sensor and not device_owner:
                errors.append(
                    (
                        p_raw.lines.get("sensor", p_line),
                        f"{p_where}.sensor",
                        "give owner/tag, or the owner of the device or of the map",
                    )
                )
                continue
            if p_problems or not sensor:
                continue
            point = build_point(p_values, values, device_owner, p_line)
            if point.key in keys:
                errors.append((p_line, f"{p_where}.sensor", f"{point.key} is also read on line {keys[point.key]}"))
                continue
            keys[point.key] = p_line
            points.append(point)
        if not problems:
            values = _resolve_paths(values, base)
            device = build_device(values, points, line)
            for point, message in check_overlaps(device):
                errors.append((point.line, f"{where}.points", message))
            devices.append(device)
    if errors:
        raise PointMapError(sorted(errors, key=lambda e: (e[0] or 0, e[1])), source)
    return PointMap(tuple(devices), source, top_values)


def _resolve_paths(values: dict[str, Any], base: Path | None) -> dict[str, Any]:
    if base is None:
        return values
    resolved = dict(values)
    for name in ("certificate", "private_key", "server_certificate", "user_certificate", "user_private_key"):
        if resolved.get(name) and not Path(resolved[name]).is_absolute():
            resolved[name] = str(base / resolved[name])
    return resolved


def load(path: str | Path, extra: dict[str, Setting] | None = None) -> PointMap:
    """Read and check the point map file at ``path`` (``extra``: further top-level settings allowed)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PointMapError([(None, "", f"cannot be read: {error.strerror}")], str(path)) from None
    return loads(text, str(path), path.parent, extra)


def dumps(point_map: PointMap, owner: str | None = None) -> str:
    """The point map as YAML (settings at their defaults left out)."""
    devices = []
    for device in point_map.devices:
        entry = {"name": device.name, "protocol": device.protocol}
        for name, setting in DEVICE_FIELDS.items():
            value = getattr(device, name, None)
            if name in entry or value is None or value == setting.default:
                continue
            if device.protocol not in setting.protocols:
                continue
            entry[name] = value
        points = []
        for point in device.points:
            p = {"sensor": point.key if owner is None or not point.key.startswith(owner + "/") else point.tag}
            for name, setting in POINT_FIELDS.items():
                if name == "sensor" or device.protocol not in setting.protocols:
                    continue
                value = getattr(point, name)
                inherited = device.byte_order if name == "byte_order" else device.word_order
                if (
                    value is None
                    or value == setting.default
                    or (name in ("byte_order", "word_order") and value == inherited)
                ):
                    continue
                if name == "type" and value == ("bool" if point.table in ("coil", "discrete") else "float32"):
                    continue
                p[name] = value
            points.append(p)
        entry["points"] = points
        devices.append(entry)
    document: dict[str, Any] = {}
    if owner:
        document["owner"] = owner
    document["devices"] = devices
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, default_flow_style=False)
