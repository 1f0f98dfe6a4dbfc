"""Prometheus Alertmanager API v2: post alerts and read them back (tests, the benchmark, forwarding)."""
