"""The audit log: who did what to which record, when, with what result and what changed."""
