import AgoraCore

/// Retrieval summaries for a corpus with download ranks, as a handful of mirrors would sign
/// them: each reporter counts every ranked package, about 10⁸ / rank retrievals shared unevenly
/// between reporters (seeded), so popularity follows the real ranking and no single reporter
/// holds all of it. Unranked packages get no retrievals.
public enum RetrievalSummaries {
    /// One period's summaries of `reporters` reporters, at most `RetrievalsCounted.maxPackages`
    /// packages each; each element is (reporter index, body).
    public static func bodies(
        for records: [PyPIRecord], scope: String, reporters: Int, period: UInt64 = 1, seed: UInt64 = 11
    ) throws -> [(reporter: Int, body: EventBody)] {
        var rng = SeededGenerator(seed: seed)
        let ranked = records.compactMap { record in record.downloadRank.map { (name: "\(scope)/\(record.name)".lowercased(), rank: $0) } }
        var perReporter = Array(repeating: [(package: String, count: UInt64)](), count: reporters)
        for entry in ranked {
            let total = 100_000_000.0 / Double(max(entry.rank, 1))
            let shares = (0..<reporters).map { _ in Double.random(in: 0.5...1.5, using: &rng) }
            let sum = shares.reduce(0, +)
            for reporter in 0..<reporters {
                let count = UInt64(max(1, (total * shares[reporter] / sum).rounded()))
                perReporter[reporter].append((entry.name, count))
            }
        }
        var out: [(reporter: Int, body: EventBody)] = []
        for (reporter, counts) in perReporter.enumerated() {
            let sorted = counts.sorted { $0.package.utf8.lexicographicallyPrecedes($1.package.utf8) }
            for start in stride(from: 0, to: sorted.count, by: RetrievalsCounted.maxPackages) {
                let chunk = Array(sorted[start..<min(sorted.count, start + RetrievalsCounted.maxPackages)])
                out.append((reporter, .retrievalsCounted(try RetrievalsCounted(period: period, counts: chunk))))
            }
        }
        return out
    }

    /// `bodies` signed: reporter `i` is the key seeded with `keySeed + i`, its summaries in seq order.
    public static func events(
        for records: [PyPIRecord], scope: String, reporters: Int, keySeed: UInt8, period: UInt64 = 1
    ) throws -> [Event] {
        let bodies = try bodies(for: records, scope: scope, reporters: reporters, period: period)
        var out: [Event] = []
        for reporter in 0..<reporters {
            let identity = try Identity(seed: [UInt8](repeating: keySeed &+ UInt8(reporter), count: 32))
            var prev: EventID?
            var seq: UInt64 = 0
            for entry in bodies where entry.reporter == reporter {
                seq += 1
                let event = try Event.sign(by: identity, seq: seq, prev: prev, timestamp: 1, body: entry.body)
                prev = event.id
                out.append(event)
            }
        }
        return out
    }
}
