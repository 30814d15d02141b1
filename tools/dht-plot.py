#!/usr/bin/env python3
"""Latency CDFs of the simulator's DHT lookups and gossip deliveries as SVG, with no
plotting library.

    python3 tools/dht-plot.py Benchmarks/results/dht

Reads <kind>-<nodes>-<latency>.txt (one latency in ms per line, written by DHTSim --cdf;
kind is `lookup` or `gossip`) and writes <kind>-cdf-<latency>.svg beside them: one curve per
network size.
"""
import pathlib
import re
import sys

WIDTH, HEIGHT, MARGIN = 640, 400, 56
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
KINDS = {
    "lookup": ("DHT lookup latency CDF", "lookup latency (ms, virtual time)", "fraction of lookups"),
    "gossip": ("Gossip delivery CDF", "time from publish to delivery (ms, virtual time)", "fraction of node deliveries"),
}
MAX_POINTS = 500


def load(folder, kind):
    series = {}
    for path in sorted(folder.glob(f"{kind}-*-*.txt")):
        match = re.fullmatch(kind + r"-(\d+)-(\w+)\.txt", path.name)
        if not match:
            continue
        values = sorted(float(line) for line in path.read_text().split() if line)
        if values:
            series.setdefault(match.group(2), []).append((int(match.group(1)), values))
    return series


def svg(kind, latency, curves):
    title, x_label, y_label = KINDS[kind]
    top = max(values[-1] for _, values in curves)
    x_max = max(50.0, (int(top / 50) + 1) * 50)

    def x(ms):
        return MARGIN + (WIDTH - 2 * MARGIN) * ms / x_max

    def y(fraction):
        return HEIGHT - MARGIN - (HEIGHT - 2 * MARGIN) * fraction

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" font-size="14">{title} ({latency})</text>',
        f'<line x1="{MARGIN}" y1="{y(0)}" x2="{WIDTH - MARGIN}" y2="{y(0)}" stroke="black"/>',
        f'<line x1="{MARGIN}" y1="{y(0)}" x2="{MARGIN}" y2="{y(1)}" stroke="black"/>',
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 16}" text-anchor="middle">{x_label}</text>',
        f'<text x="16" y="{HEIGHT / 2}" text-anchor="middle" transform="rotate(-90 16 {HEIGHT / 2})">{y_label}</text>',
    ]
    steps = 5
    for i in range(steps + 1):
        ms = x_max * i / steps
        parts.append(f'<text x="{x(ms)}" y="{y(0) + 16}" text-anchor="middle">{ms:.0f}</text>')
        parts.append(f'<line x1="{x(ms)}" y1="{y(0)}" x2="{x(ms)}" y2="{y(1)}" stroke="#ddd"/>')
        fraction = i / steps
        parts.append(f'<text x="{MARGIN - 6}" y="{y(fraction) + 4}" text-anchor="end">{fraction:.1f}</text>')
    for index, (nodes, values) in enumerate(sorted(curves)):
        colour = COLOURS[index % len(COLOURS)]
        points = [(x(0), y(0))]
        stride = max(1, len(values) // MAX_POINTS)
        ranks = list(range(stride, len(values) + 1, stride))
        if ranks[-1] != len(values):
            ranks.append(len(values))
        previous = 0
        for rank in ranks:
            ms = values[rank - 1]
            points.append((x(ms), y(previous / len(values))))
            points.append((x(ms), y(rank / len(values))))
            previous = rank
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        parts.append(f'<text x="{WIDTH - MARGIN - 110}" y="{y(0.3) + 16 * index}" fill="{colour}">{nodes:,} nodes</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main():
    folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "Benchmarks/results/dht")
    written = 0
    for kind in KINDS:
        for latency, curves in load(folder, kind).items():
            target = folder / f"{kind}-cdf-{latency}.svg"
            target.write_text(svg(kind, latency, curves))
            print(f"wrote {target}")
            written += 1
    if not written:
        sys.exit(f"no lookup-*.txt or gossip-*.txt files in {folder}")


if __name__ == "__main__":
    main()
