import AgoraCore

/// The first check on gossip that carries Agora events: the data must decode as one
/// canonical event with a valid author signature. Chain checks (does it follow the feed
/// head we hold?) need the store and belong to the node's validator, which starts here.
public enum EventValidation {
    public static func check(_ message: GossipMessage) -> GossipValidation {
        event(in: message) == nil ? .reject : .accept
    }

    /// The message's event when it decodes and its author signature holds.
    public static func event(in message: GossipMessage) -> Event? {
        guard let event = try? Event(decoding: message.data), event.verifySignature() else { return nil }
        return event
    }
}
