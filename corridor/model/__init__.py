"""The model: the scenario's network as a graph and as arrays."""
