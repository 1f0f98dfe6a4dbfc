"""Security incidents: P0-P3 on a response clock, their people, timeline, customer notices, secrecy."""
