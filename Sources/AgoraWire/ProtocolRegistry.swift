/// Serves one negotiated inbound stream. The handler owns the stream: when it returns,
/// the host closes the write side if the handler did not; when it throws, the stream is reset.
public typealias StreamHandler = @Sendable (P2PStream) async throws -> Void

/// The protocols a host answers on inbound streams, in the order `ls` and identify list
/// them. Later subsystems (kad, gossipsub, agora sync, blobs) register here.
public struct ProtocolRegistry: Sendable {
    /// Keeps identify messages and `ls` replies inside their size limits.
    public static let maxProtocols = 128
    private var handlers: [String: StreamHandler] = [:]
    public private(set) var protocols: [String] = []

    public init() {}

    public mutating func register(_ protocolID: String, handler: @escaping StreamHandler) throws(HostError) {
        guard !protocolID.isEmpty, protocolID.utf8.count <= 1024, protocolID.first == "/" else {
            throw .invalidProtocolID(protocolID)
        }
        if handlers[protocolID] == nil {
            guard protocols.count < Self.maxProtocols else { throw .tooManyProtocols(limit: Self.maxProtocols) }
            protocols.append(protocolID)
        }
        handlers[protocolID] = handler
    }

    public mutating func remove(_ protocolID: String) {
        handlers[protocolID] = nil
        protocols.removeAll { $0 == protocolID }
    }

    public func handler(for protocolID: String) -> StreamHandler? { handlers[protocolID] }

    mutating func removeAll() {
        handlers.removeAll()
        protocols.removeAll()
    }
}
