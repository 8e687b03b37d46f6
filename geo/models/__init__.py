"""Every spatial feature hazmap knows, one module per part of the domain."""

from geo.models.emergency import ConsequenceZone, EmergencyResource, Scenario, SensitiveTarget
from geo.models.events import Event
from geo.models.monitoring import Alarm, Quality, Reading, Sensor
from geo.models.personnel import Fence, PersonnelTag, Position
from geo.models.regions import Region, User
from geo.models.registry import Enterprise, Equipment, HazardSource, Substance

__all__ = [
    "Alarm",
    "ConsequenceZone",
    "EmergencyResource",
    "Enterprise",
    "Equipment",
    "Event",
    "Fence",
    "HazardSource",
    "PersonnelTag",
    "Position",
    "Quality",
    "Reading",
    "Region",
    "Scenario",
    "SensitiveTarget",
    "Sensor",
    "Substance",
    "User",
]
