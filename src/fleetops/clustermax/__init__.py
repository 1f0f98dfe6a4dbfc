"""ClusterMAX readiness per cluster: what fleetops can prove from its own records, item by item."""
