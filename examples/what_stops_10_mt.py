"""What stops the Middle Corridor reaching 10 Mt, and what has to be built to get there?

Run from the repository root:  python examples/what_stops_10_mt.py
"""

from __future__ import annotations

import corridor
from corridor.results import bottleneck_table

geodata = corridor.load_geodata()

# 1. The 2030 target on the network planned for 2030: what is served, and what binds?
run = corridor.analyze("target-2030", geodata=geodata)
print(run.result.totals().round(2), "\n")
table = bottleneck_table(run.nodes, run.edges)
print(table[["name", "flow", "capacity", "capacity_unit", "shadow_price", "severity"]].head(8).to_string(), "\n")

# 2. How much freight can go from the Chinese border to the Black Sea and Türkiye, and what sets the limit?
scenario = corridor.load_scenario("target-2030", geodata)
gateways = ["poti-port", "batumi-port", "anaklia-port", "istanbul-gateway"]
t = corridor.max_throughput(geodata, scenario, sources=["alashankou", "khorgos-cn"], sinks=gateways)
print(f"maximum throughput {t.value:.2f} Mt/yr, set by:")
print(t.cut[["name", "capacity", "source_url"]].to_string(), "\n")

# 3. The cheapest expansions that carry 10 Mt/yr, and a check that they do.
plan = corridor.plan_expansion(geodata, scenario, target=10.0)
print(plan.expansions[["name", "added", "capacity_after", "cost_musd", "cost_basis"]].to_string())
after = corridor.assign(geodata, plan.expanded_scenario)
print(f"\nwith the plan: {after.totals().loc['freight', 'served']:.2f} of {plan.target:g} Mt/yr served")
