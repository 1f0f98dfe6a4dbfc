"""Supplier quality: scorecards computed from the records, rated against a thresholds file, and the
Supplier Technical Requirements each supplier acknowledges."""
