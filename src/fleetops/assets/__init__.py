"""Assets: purchase order to retirement, spares, feeds, SLA timers, repairs and the NetBox sync."""
