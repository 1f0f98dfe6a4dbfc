"""Emergency updates: drain → update → qualify → resume across a cluster, a few nodes at a time."""
