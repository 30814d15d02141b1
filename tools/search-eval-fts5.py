#!/usr/bin/env python3
"""The search evaluation set (Benchmarks/Eval/search-eval.tsv) run against SQLite FTS5 over
the same PyPI sample, as the baseline Agora's figures are compared with.

FTS5 indexes each package's name (separators as spaces, plus the name joined) and summary
with the unicode61 tokenizer and ranks by bm25 with the name weighted 10x the summary. A
query's words are OR-ed as quoted terms, the way a simple FTS front end would pass them.

    tools/search-eval-fts5.py [--tsv ../shared/data/pypi-100k.tsv] [--eval Benchmarks/Eval/search-eval.tsv]
"""
import argparse
import os
import re
import sqlite3
import statistics
import sys
import time


def normalise(name):
    return re.sub(r"[-_.]+", "-", name.lower())


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser()
    parser.add_argument("--tsv", default=os.environ.get("AGORA_PYPI_TSV", os.path.join(root, "..", "shared", "data", "pypi-100k.tsv")))
    parser.add_argument("--eval", default=os.path.join(root, "Benchmarks", "Eval", "search-eval.tsv"))
    args = parser.parse_args()

    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE pkg USING fts5(name, words, summary, tokenize='unicode61')")
    rows = []
    with open(args.tsv, encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 4:
                continue
            name = normalise(fields[0])
            rows.append((name, name.replace("-", " ") + " " + name.replace("-", ""), fields[3]))
    db.executemany("INSERT INTO pkg(name, words, summary) VALUES (?, ?, ?)", rows)

    results = {}
    latencies = []
    with open(args.eval, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#") or not line.strip():
                continue
            kind, query, accepted = line.rstrip("\n").split("\t")
            accepted = [normalise(a) for a in accepted.split(",")]
            terms = [t for t in re.split(r"[^\w]+", query.lower()) if t]
            match = " OR ".join('"%s"' % t for t in terms)
            start = time.perf_counter()
            hits = [r[0] for r in db.execute(
                "SELECT name FROM pkg WHERE pkg MATCH ? ORDER BY bm25(pkg, 10.0, 10.0, 1.0) LIMIT 5", (match,))] if terms else []
            latencies.append(time.perf_counter() - start)
            wanted = accepted[:1] if kind == "misspelling" else accepted
            results.setdefault(kind, []).append((hits[:1] and hits[0] in wanted, any(h in wanted for h in hits[:5])))

    for kind, outcomes in results.items():
        first = sum(1 for f, _ in outcomes if f)
        top5 = sum(1 for _, t in outcomes if t)
        print("%-12s %3d queries  first %5.1f %%  top-5 %5.1f %%" % (
            kind, len(outcomes), 100.0 * first / len(outcomes), 100.0 * top5 / len(outcomes)))
    latencies.sort()
    print("latency p50 %.0f us, p99 %.0f us (%d packages, SQLite %s)" % (
        statistics.median(latencies) * 1e6, latencies[int(len(latencies) * 0.99)] * 1e6, len(rows), sqlite3.sqlite_version))


if __name__ == "__main__":
    sys.exit(main())
