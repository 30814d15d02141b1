/// libp2p protocol identifiers spoken on the wire, in one place so handlers and
/// negotiation agree on the exact strings.
public enum ProtocolIDs {
    public static let multistream = "/multistream/1.0.0"
    public static let noise = "/noise"
    public static let yamux = "/yamux/1.0.0"
    public static let identify = "/ipfs/id/1.0.0"
    public static let identifyPush = "/ipfs/id/push/1.0.0"
    public static let ping = "/ipfs/ping/1.0.0"
}
