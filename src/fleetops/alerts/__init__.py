"""Alerts and incidents: ingest → dedupe → correlate → classify → route → notify (outbox)."""
