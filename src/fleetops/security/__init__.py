"""Security posture: scanner findings on an SLA clock, hardening scores, software and firmware versions."""
