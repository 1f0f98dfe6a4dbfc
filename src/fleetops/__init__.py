"""fleetops: the operations platform for GPU clouds."""

__version__ = "0.1.0"
