import AgoraCore
import AgoraMigrations
import AgoraNode
import AgoraStore
import AgoraViews
import AgoraWire
import BenchmarkSupport
import Foundation
import Logging

/// Mirror catch-up over real loopback connections: `MirrorBench [events] [runs] [all|views|log] [1|3|both] [page]` loads
/// `events` signed releases (10 feeds) into three source nodes' stores, then, `runs` times
/// each, starts a fresh mirror node bootstrapped from one source or from all three and times
/// it from start until its log holds every event (and, with views, until they are current: the
/// node folds peers' batches behind the log): with the registry views maintained (what
/// `agora serve` does) and with the log alone (the sync path without the views' cost).
/// Prints events/s per run and the median, min and max, and the process's CPU time until the
/// log is complete and then until the views are current (the sources run in this process too,
/// so the first includes their share). The third argument picks the
/// configurations (`log` alone is what a profile of the sync path wants), the fourth the
/// number of sources, the fifth the mirror's changes page size (local seqs per request).
@main
enum MirrorBench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        let count = arguments.count > 1 ? Int(arguments[1]) ?? 100_000 : 100_000
        let runs = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5
        let mode = arguments.count > 3 ? arguments[3] : "all"
        let sourceCounts = arguments.count > 4 && arguments[4] != "both" ? [Int(arguments[4]) ?? 1] : [1, 3]
        let pageSize = arguments.count > 5 ? UInt64(arguments[5]) : nil
        let configurations = [(1, true), (3, true), (1, false), (3, false)].filter { sources, views in
            (mode == "all" || (mode == "views") == views) && sourceCounts.contains(sources)
        }
        var logger = Logger(label: "mirror-bench")
        logger.logLevel = .error
        let clock = ContinuousClock()

        let start = clock.now
        let events = ReleaseEvents.sign(PackageCorpus.generated(count: count, seed: 7), feeds: 10, keySeed: 1, scope: nil)
        print("signed \(count) events in \(clock.now - start)")

        var folders: [URL] = []
        defer { folders.forEach(ScratchFolder.remove) }
        var sources: [(node: AgoraNode, task: Task<Void, any Error>, address: Multiaddr)] = []
        for index in 0..<3 {
            let folder = try ScratchFolder.create("agora-mirror-source")
            folders.append(folder)
            let store = try Store(directory: folder, migrations: AgoraMigrations.all, views: RegistryViews())
            try ReleaseEvents.append(events, to: store, batchSize: 5000, verification: .chain)
            let (node, task, addresses) = try await launch(store: store, host: "127.0.0.\(60 + index)", bootstrap: [], logger: logger)
            sources.append((node, task, addresses[0]))
        }
        print("loaded 3 source stores")

        for (sourceCount, views) in configurations {
            let label = "\(sourceCount) source(s), \(views ? "with views" : "log only")"
            var rates: [Double] = []
            for run in 1...runs {
                let folder = try ScratchFolder.create("agora-mirror")
                defer { ScratchFolder.remove(folder) }
                let store = try Store(directory: folder, migrations: AgoraMigrations.all, views: views ? RegistryViews() : nil)
                let began = clock.now
                let cpuBegan = CPUTime.process()
                let (mirror, task, _) = try await launch(
                    store: store, host: "127.0.0.70", bootstrap: sources.prefix(sourceCount).map(\.address), logger: logger,
                    pageSize: pageSize)
                while try store.lastLocalSeq() < UInt64(count) {
                    try await Task.sleep(for: .milliseconds(5))
                }
                let elapsed = clock.now - began
                let logCPU = CPUTime.process() - cpuBegan
                // The node folds peers' batches behind the log: the views are current a little later.
                while views, try store.viewProgress().lag > 0 {
                    try await Task.sleep(for: .milliseconds(5))
                }
                let current = clock.now - began
                let viewsCPU = CPUTime.process() - cpuBegan - logCPU
                // Sources follow the mirror too: what they were sent back during the catch-up.
                var sentBack: [UInt64] = []
                for source in sources.prefix(sourceCount) {
                    let status = await source.node.status().peers.first { $0.peerID == mirror.peerID.base58 }
                    sentBack.append(status?.eventsReceived ?? 0)
                }
                task.cancel()
                _ = try? await task.value
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                rates.append(Double(count) / seconds)
                let viewSeconds = Double(current.components.seconds) + Double(current.components.attoseconds) / 1e18
                print("\(label), run \(run): " + String(format: "%d events in %.2f s = %.0f events/s (%.2f CPU-s)", count, seconds, rates.last!, logCPU)
                    + (views ? String(format: ", views current after %.2f s = %.0f events/s (%.2f CPU-s more)", viewSeconds, Double(count) / viewSeconds, viewsCPU) : "")
                    + ", sent back to the sources \(sentBack)")
            }
            let sorted = rates.sorted()
            print("\(label): " + String(format: "median %.0f events/s (min %.0f, max %.0f, %d runs)",
                                         sorted[sorted.count / 2], sorted.first!, sorted.last!, runs))
        }
        for source in sources {
            source.task.cancel()
            _ = try? await source.task.value
        }
    }

    static func launch(
        store: Store, host: String, bootstrap: [Multiaddr], logger: Logger, pageSize: UInt64? = nil
    ) async throws -> (AgoraNode, Task<Void, any Error>, [Multiaddr]) {
        var configuration = NodeConfiguration(
            listen: [try Multiaddr(parsing: "/ip4/\(host)/tcp/0")], bootstrap: bootstrap, mirror: true, redialInterval: .milliseconds(200))
        if let pageSize { configuration.sync.pageSize = pageSize }
        let (bound, continuation) = AsyncStream.makeStream(of: [Multiaddr].self)
        let node = try AgoraNode(identity: Identity.generate(), store: store, configuration: configuration, logger: logger) {
            continuation.yield($0)
            continuation.finish()
        }
        let task = Task { try await node.run() }
        return (node, task, await bound.first { _ in true } ?? [])
    }
}
