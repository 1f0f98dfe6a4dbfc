"""Deployment: rollouts, the durable node bring-up state machine, and decommissioning."""
