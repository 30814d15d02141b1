#!/usr/bin/env bash
# The DHT simulator's numbers for Benchmarks/README.md: lookups at 100, 1,000 and 10,000
# nodes with 20 ms links and with the regional RTT model, provider lookups after 10% and
# 30% churn, and gossip (time until 50/99/100% of nodes deliver, duplicates) at the same sizes;
# JSON lines to Benchmarks/results/dht/results.jsonl, latency samples for the CDF plots beside
# it, then tools/dht-plot.py draws the SVGs.
set -euo pipefail
cd "$(dirname "$0")/.."
out=Benchmarks/results/dht
mkdir -p "$out"
swift build -c release --package-path Benchmarks --product DHTSim >/dev/null
sim=Benchmarks/.build/release/DHTSim
: >"$out/results.jsonl"
for latency in fixed regions; do
    "$sim" --nodes 100 --latency "$latency" --lookups 1000 --keys 200 --cdf "$out" | tee -a "$out/results.jsonl"
    "$sim" --nodes 1000 --latency "$latency" --lookups 1000 --keys 200 --cdf "$out" | tee -a "$out/results.jsonl"
    "$sim" --nodes 10000 --latency "$latency" --join direct --lookups 500 --keys 200 --cdf "$out" | tee -a "$out/results.jsonl"
    "$sim" --scenario gossip --nodes 100 --latency "$latency" --messages 50 --cdf "$out" | tee -a "$out/results.jsonl"
    "$sim" --scenario gossip --nodes 1000 --latency "$latency" --messages 50 --cdf "$out" | tee -a "$out/results.jsonl"
    "$sim" --scenario gossip --nodes 10000 --latency "$latency" --messages 20 --churn 0.1 --cdf "$out" | tee -a "$out/results.jsonl"
done
python3 tools/dht-plot.py "$out"
