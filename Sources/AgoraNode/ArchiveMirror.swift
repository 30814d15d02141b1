import AgoraCore
import AgoraStore
import Foundation

/// A mirror's archive replication: scans the log from the start (after a restart too, so
/// downtime is caught up; archives already held are skipped without a request), queues the
/// archive of every release it lacks and fetches `concurrency` at a time, retrying failures
/// with backoff. New events wake it through the log watcher.
struct ArchiveMirror {
    let blobs: BlobNodeProtocol
    let context: NodeContext
    let concurrency: Int
    static let scanPage = 1024

    func run() async {
        var queue = MirrorQueue()
        var cursor: UInt64 = 0
        await withTaskGroup(of: (BlobDigest, Bool).self) { group in
            var active = 0
            while !Task.isCancelled {
                do {
                    cursor = try scan(after: cursor, into: &queue)
                } catch {
                    context.logger.warning("mirror cannot read the log: \(error)")
                }
                while active < concurrency, let digest = queue.next(now: .now) {
                    active += 1
                    group.addTask {
                        do {
                            _ = try await blobs.fetch(digest)
                            return (digest, true)
                        } catch {
                            context.logger.debug("mirror fetch failed", metadata: ["archive": "\(digest)", "error": "\(error)"])
                            return (digest, false)
                        }
                    }
                }
                if active > 0, let (digest, succeeded) = await group.next() {
                    active -= 1
                    queue.finished(digest, succeeded: succeeded, now: .now)
                    continue
                }
                let wake = queue.nextDue.map { max(.milliseconds(10), $0 - .now) } ?? .seconds(5)
                await context.log.wait(beyond: cursor, timeout: min(wake, .seconds(5)))
            }
            group.cancelAll()
        }
    }

    /// Queues the missing archives of releases after local sequence `cursor`; returns how far
    /// it read (it reads a page only while the queue has room for all of it).
    private func scan(after cursor: UInt64, into queue: inout MirrorQueue) throws -> UInt64 {
        var position = cursor
        while queue.count + Self.scanPage <= queue.capacity {
            let page = try context.store.changes(after: position, upTo: .max, maxEvents: Self.scanPage, maxBytes: 4 << 20)
            for event in page.events {
                guard event.kind == .releasePublished, case .releasePublished(let release)? = try? event.decodedBody(),
                      let digest = BlobDigest(bytes: release.archiveDigest), try !context.store.hasBlob(digest)
                else { continue }
                queue.add(digest, now: .now)
            }
            guard page.through > position else { break }
            position = page.through
        }
        return position
    }
}
