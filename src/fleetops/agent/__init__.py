"""The node agent: reads GPU health on a node and pushes reports to the control plane (no database here)."""

AGENT_VERSION = "0.1.0"
