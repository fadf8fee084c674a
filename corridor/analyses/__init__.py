"""The analyses: assignment, bottlenecks, throughput, criticality, plan, calibration, uncertainty."""
