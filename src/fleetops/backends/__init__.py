"""The real systems fleetops drives (BMCs, provisioner, schedulers, notifiers), built from settings."""
