#!/usr/bin/env bash
# cpu-per-line.sh PROGRAM [ARGS…]: runs PROGRAM and prints each line it writes with the CPU
# seconds (user + sys, from /proc/PID/stat, polled every 20 ms) the process used since the
# previous line. For benchmarks that print one line per run (MirrorBench): a run's CPU is the
# delta on its line, whatever else the machine is doing.
set -u
out=$(mktemp)
trap 'rm -f "$out"' EXIT
stdbuf -oL "$@" > "$out" 2>&1 &
pid=$!
tick=$(getconf CLK_TCK)
seen=0
last=0
while kill -0 "$pid" 2>/dev/null; do
    lines=$(wc -l < "$out")
    if [ "$lines" -gt "$seen" ]; then
        cpu=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo "$last")
        delta=$(awk -v a="$cpu" -v b="$last" -v t="$tick" 'BEGIN { printf "%.2f", (a - b) / t }')
        sed -n "$((seen + 1)),${lines}p" "$out" | sed "s/\$/ | cpu +${delta} s/"
        last=$cpu
        seen=$lines
    fi
    sleep 0.02
done
sed -n "$((seen + 1)),\$p" "$out"
wait "$pid"
