import NIOCore

/// One upgraded connection to a peer (TCP + Noise + yamux), as the host tracks it.
public final class Connection: Sendable, CustomStringConvertible {
    public let id: ConnectionID
    public let remotePeer: PeerID
    public let direction: ConnectionDirection
    public let remoteAddress: Multiaddr?
    public let session: YamuxSession
    let channel: any Channel

    init(id: ConnectionID, remotePeer: PeerID, direction: ConnectionDirection, session: YamuxSession, channel: any Channel) {
        self.id = id
        self.remotePeer = remotePeer
        self.direction = direction
        self.remoteAddress = channel.remoteAddress.flatMap { Multiaddr(socketAddress: $0) }
        self.session = session
        self.channel = channel
    }

    public var description: String { "\(id) \(direction) \(remotePeer) \(remoteAddress.map { "\($0)" } ?? "?")" }

    /// Sends a go-away and closes; streams still open fail.
    public func close() async {
        await session.close()
    }
}
