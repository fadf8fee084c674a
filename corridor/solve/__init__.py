"""Solvers: shortest paths and their kernels, the master LP, equilibrium."""
