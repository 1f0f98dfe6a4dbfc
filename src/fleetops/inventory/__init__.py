"""The fleet inventory: suppliers, regions, sites, racks, clusters, nodes, GPUs, customers, contracts."""
