/// What opening a store does that takes long enough for a person at a terminal to wonder why
/// the command hangs: a newer `agora` (another view version) or an interrupted rebuild makes the
/// next open fold the whole log again, seconds at 100k events.
public enum StoreNotice: Sendable, Equatable, CustomStringConvertible {
    /// `builtBy`: the view version the stored views carry; nil when they are stale.
    case rebuildingViews(events: UInt64, builtBy: UInt32?, current: UInt32)
    case viewsRebuilt(events: UInt64, duration: Duration)

    public var description: String {
        switch self {
        case .rebuildingViews(let events, let builtBy?, let current):
            "rebuilding the views from the log (\(Self.events(events))): they were built by view version \(builtBy), this agora folds version \(current)"
        case .rebuildingViews(let events, nil, _):
            "rebuilding the views from the log (\(Self.events(events))): they are stale (a rebuild was interrupted, or events were appended without them)"
        case .viewsRebuilt(let events, let duration):
            "views rebuilt from \(Self.events(events)) in \(Self.tenths(duration)) s"
        }
    }

    private static func events(_ count: UInt64) -> String {
        count == 1 ? "1 event" : "\(count) events"
    }

    /// Seconds with one decimal, without Foundation's formatters.
    private static func tenths(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let tenths = min(max(0, seconds), Int64.max / 20) * 10 + max(0, attoseconds) / 100_000_000_000_000_000
        return "\(tenths / 10).\(tenths % 10)"
    }
}
