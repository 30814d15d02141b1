import Logging
import Synchronization

/// Every line a logger wrote, for tests that bound how much a host logs.
final class CapturedLogs: Sendable {
    private let lines = Mutex<[(level: Logger.Level, message: String)]>([])

    var all: [(level: Logger.Level, message: String)] { lines.withLock { $0 } }

    func count(atLeast level: Logger.Level) -> Int { all.filter { $0.level >= level }.count }

    func append(_ level: Logger.Level, _ message: String) {
        lines.withLock { $0.append((level, message)) }
    }

    /// A logger at trace level writing here.
    func logger(label: String = "test") -> Logger {
        Logger(label: label) { _ in Handler(sink: self) }
    }

    private struct Handler: LogHandler {
        let sink: CapturedLogs
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            sink.append(event.level, "\(event.message)")
        }
    }
}
