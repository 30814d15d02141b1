#!/usr/bin/env python3
"""Latency CDFs of simulated DHT lookups as SVG, with no plotting library.

    python3 tools/dht-plot.py Benchmarks/results/dht

Reads lookup-<nodes>-<latency>.txt (one latency in ms per line, written by DHTSim --cdf)
and writes lookup-cdf-<latency>.svg beside them: one curve per network size.
"""
import pathlib
import re
import sys

WIDTH, HEIGHT, MARGIN = 640, 400, 56
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]


def load(folder):
    series = {}
    for path in sorted(folder.glob("lookup-*-*.txt")):
        match = re.fullmatch(r"lookup-(\d+)-(\w+)\.txt", path.name)
        if not match:
            continue
        values = sorted(float(line) for line in path.read_text().split() if line)
        if values:
            series.setdefault(match.group(2), []).append((int(match.group(1)), values))
    return series


def svg(latency, curves):
    top = max(values[-1] for _, values in curves)
    x_max = max(50.0, (int(top / 50) + 1) * 50)

    def x(ms):
        return MARGIN + (WIDTH - 2 * MARGIN) * ms / x_max

    def y(fraction):
        return HEIGHT - MARGIN - (HEIGHT - 2 * MARGIN) * fraction

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" font-size="14">DHT lookup latency CDF ({latency})</text>',
        f'<line x1="{MARGIN}" y1="{y(0)}" x2="{WIDTH - MARGIN}" y2="{y(0)}" stroke="black"/>',
        f'<line x1="{MARGIN}" y1="{y(0)}" x2="{MARGIN}" y2="{y(1)}" stroke="black"/>',
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 16}" text-anchor="middle">lookup latency (ms, virtual time)</text>',
        f'<text x="16" y="{HEIGHT / 2}" text-anchor="middle" transform="rotate(-90 16 {HEIGHT / 2})">fraction of lookups</text>',
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
        for rank, ms in enumerate(values, start=1):
            points.append((x(ms), y((rank - 1) / len(values))))
            points.append((x(ms), y(rank / len(values))))
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        parts.append(f'<text x="{WIDTH - MARGIN - 110}" y="{y(0.3) + 16 * index}" fill="{colour}">{nodes:,} nodes</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main():
    folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "Benchmarks/results/dht")
    series = load(folder)
    if not series:
        sys.exit(f"no lookup-*.txt files in {folder}")
    for latency, curves in series.items():
        target = folder / f"lookup-cdf-{latency}.svg"
        target.write_text(svg(latency, curves))
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
