"""Live data in: OPC UA and Modbus connectors, point map, alarm rules, outbox, uplink, ingest into geo."""
