import Foundation

/// One progress line on stderr for downloads, only when stderr is a terminal and only once
/// a download has taken over a second (quick installs print nothing extra). Redrawn at most
/// ten times a second.
final class DownloadProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let enabled = isatty(STDERR_FILENO) == 1
    private let start = ContinuousClock.now
    private var lastDraw: ContinuousClock.Instant?
    private var chunks: [String: (done: Int, total: Int)] = [:]
    private var drawn = false

    func update(_ label: String, done: Int, total: Int) {
        guard enabled else { return }
        lock.withLock {
            chunks[label] = (done, total)
            let now = ContinuousClock.now
            guard now - start > .seconds(1), lastDraw.map({ now - $0 > .milliseconds(100) }) ?? true else { return }
            lastDraw = now
            let done = chunks.values.reduce(0) { $0 + $1.done }
            let total = max(1, chunks.values.reduce(0) { $0 + $1.total })
            let line = "downloading \(chunks.count) archive\(chunks.count == 1 ? "" : "s"): \(done * 100 / total)% (\(done)/\(total) chunks)"
            FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
            drawn = true
        }
    }

    /// Clears the line, if one was drawn.
    func finish() {
        lock.withLock {
            if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            drawn = false
        }
    }
}
