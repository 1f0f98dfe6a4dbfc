"""Automated remediation: policies (fault → action ladder), durable runs, verification, safety, MTTR."""
