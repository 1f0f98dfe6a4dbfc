"""Fleet system health (FSH): agent reports in, per-GPU and per-node health, findings and coverage out."""
