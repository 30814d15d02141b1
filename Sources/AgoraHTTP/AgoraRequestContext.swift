import Hummingbird
import NIOCore

/// The request context: Hummingbird's core plus the client's address, which decides whether
/// a tokenless write from loopback may pass.
public struct AgoraRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    var isLoopback: Bool {
        switch remoteAddress {
        case .v4(let address)?: address.address.sin_addr.s_addr.bigEndian >> 24 == 127
        case .v6?: remoteAddress?.ipAddress == "::1"
        default: false
        }
    }
}
