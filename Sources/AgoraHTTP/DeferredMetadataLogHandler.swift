import Logging

/// Holds metadata set on a logger aside and gives it to the wrapped handler only with a
/// message. Hummingbird tags every request's logger with a request ID, and swift-log's
/// `StreamLogHandler` renders its whole metadata on every change: about 3 % of a cached
/// registry answer, for lines that are almost never written.
struct DeferredMetadataLogHandler: LogHandler {
    var base: any LogHandler
    /// Metadata set through this handler; it overrides the base handler's own.
    var deferred: Logger.Metadata = [:]

    var metadata: Logger.Metadata {
        get { base.metadata.merging(deferred) { _, deferred in deferred } }
        set {
            deferred = newValue
            if !base.metadata.isEmpty { base.metadata = [:] }
        }
    }

    var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { base.metadataProvider }
        set { base.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { deferred[key] ?? base[metadataKey: key] }
        set {
            deferred[key] = newValue
            if newValue == nil, base[metadataKey: key] != nil { base[metadataKey: key] = nil }
        }
    }

    func log(event: LogEvent) {
        var event = event
        if !deferred.isEmpty {
            event.metadata = deferred.merging(event.metadata ?? [:]) { _, explicit in explicit }
        }
        base.log(event: event)
    }
}
