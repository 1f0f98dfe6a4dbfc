"""Background work: periodic tasks that each domain registers, run by `fleetops worker` or `serve`."""
