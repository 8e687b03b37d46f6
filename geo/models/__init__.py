"""Every spatial feature hazmap knows, one module per part of the domain."""

from geo.models.audit import AuditEntry
from geo.models.emergency import ConsequenceZone, EmergencyResource, Scenario, SensitiveTarget
from geo.models.events import Event
from geo.models.handling import AlarmHandling, Task
from geo.models.hierarchy import Forward, Replica, Summary
from geo.models.layout import ConstructionGridDefinition, LayoutFeature, PlanImport
from geo.models.monitoring import Alarm, Quality, Reading, Sensor
from geo.models.notifications import Notification
from geo.models.personnel import Fence, PersonnelTag, Position
from geo.models.plans import SitePlan
from geo.models.regions import Region, User
from geo.models.registry import Enterprise, Equipment, HazardSource, Substance
from geo.models.registry_history import RegistryEvent
from geo.models.safety import Accident, HiddenDanger, Inspection

__all__ = [
    "Accident",
    "Alarm",
    "AlarmHandling",
    "AuditEntry",
    "ConsequenceZone",
    "ConstructionGridDefinition",
    "EmergencyResource",
    "Enterprise",
    "Equipment",
    "Event",
    "Fence",
    "Forward",
    "HazardSource",
    "HiddenDanger",
    "Inspection",
    "LayoutFeature",
    "Notification",
    "PersonnelTag",
    "PlanImport",
    "Position",
    "Quality",
    "Reading",
    "Region",
    "RegistryEvent",
    "Replica",
    "Scenario",
    "SensitiveTarget",
    "Sensor",
    "SitePlan",
    "Substance",
    "Summary",
    "Task",
    "User",
]
