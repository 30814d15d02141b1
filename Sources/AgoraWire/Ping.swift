/// `/ipfs/ping/1.0.0`, the dialer side, as a pure machine: it hands out 32-byte payloads,
/// takes echoed bytes as they arrive and the current time as a value, and reports one
/// round-trip time per payload. The listener side is a plain echo.
public struct PingMachine: Sendable {
    public static let payloadLength = 32

    public enum Output: Sendable, Equatable {
        /// More bytes of the echo are needed.
        case needMore
        case roundTrip(Duration)
    }

    private var outstanding: (payload: [UInt8], sentAt: ContinuousClock.Instant)?
    private var received: [UInt8] = []

    public init() {}

    /// The next payload to write; `random` supplies its bytes so tests can be deterministic.
    public mutating func send(
        now: ContinuousClock.Instant,
        random: () -> UInt8 = { UInt8.random(in: .min ... .max) }
    ) throws(PingError) -> [UInt8] {
        guard outstanding == nil else { throw .pingInFlight }
        let payload = (0..<Self.payloadLength).map { _ in random() }
        outstanding = (payload, now)
        received.removeAll(keepingCapacity: true)
        return payload
    }

    public mutating func receive<Bytes: Collection>(_ bytes: Bytes, now: ContinuousClock.Instant) throws(PingError) -> Output
    where Bytes.Element == UInt8 {
        guard let (payload, sentAt) = outstanding else { throw .unexpectedBytes }
        guard received.count + bytes.count <= Self.payloadLength else { throw .unexpectedBytes }
        received += bytes
        guard received.count == Self.payloadLength else { return .needMore }
        outstanding = nil
        guard received == payload else { throw .mismatch }
        return .roundTrip(now - sentAt)
    }
}

public enum PingError: Error, Equatable, Sendable, CustomStringConvertible {
    case pingInFlight
    case unexpectedBytes
    case mismatch
    case streamClosed

    public var description: String {
        switch self {
        case .pingInFlight: return "ping: a ping is already in flight"
        case .unexpectedBytes: return "ping: the peer sent more than it was asked to echo"
        case .mismatch: return "ping: the echo differs from the payload"
        case .streamClosed: return "ping: the peer closed the stream before echoing"
        }
    }
}
