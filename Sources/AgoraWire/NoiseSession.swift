/// The Noise transport phase for one connection: each frame is a 2-byte big-endian
/// length and a ChaChaPoly ciphertext with its own nonce, so replayed, reordered or
/// tampered frames fail authentication.
public struct NoiseSession: Sendable {
    /// The spec's largest Noise message (ciphertext plus tag).
    public static let maxFrameLength = 65535
    public static let maxPlaintextPerFrame = maxFrameLength - NoiseCipherState.tagLength

    public let remotePeer: PeerID
    /// The remote's X25519 static key, as authenticated by its identity signature.
    public let remoteStaticKey: [UInt8]
    var sender: NoiseCipherState
    var receiver: NoiseCipherState
    private var inbound: [UInt8] = []
    /// A receiver may demand smaller frames than the spec allows, to bound its buffering.
    public var maxInboundFrameLength = maxFrameLength

    init(remotePeer: PeerID, remoteStaticKey: [UInt8], sender: NoiseCipherState, receiver: NoiseCipherState) {
        self.remotePeer = remotePeer
        self.remoteStaticKey = remoteStaticKey
        self.sender = sender
        self.receiver = receiver
    }

    /// Bytes held back waiting for the rest of a frame; never more than one frame.
    public var bufferedInboundBytes: Int { inbound.count }

    /// Encrypts `plaintext` into as many maximum-size frames as it needs.
    public mutating func seal<Plain: Collection>(_ plaintext: Plain) throws(NoiseError) -> [UInt8] where Plain.Element == UInt8 {
        let bytes = Array(plaintext)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + (bytes.count / Self.maxPlaintextPerFrame + 1) * (2 + NoiseCipherState.tagLength))
        var start = 0
        repeat {
            let end = min(start + Self.maxPlaintextPerFrame, bytes.count)
            let ciphertext = try sender.encrypt(associatedData: [], bytes[start..<end])
            out.append(UInt8(ciphertext.count >> 8))
            out.append(UInt8(ciphertext.count & 0xff))
            out.append(contentsOf: ciphertext)
            start = end
        } while start < bytes.count
        return out
    }

    /// Decrypts every whole frame received so far and returns their plaintext in order.
    public mutating func open<Bytes: Collection>(_ bytes: Bytes) throws(NoiseError) -> [UInt8] where Bytes.Element == UInt8 {
        inbound.append(contentsOf: bytes)
        var plaintext: [UInt8] = []
        var position = 0
        while inbound.count - position >= 2 {
            let length = Int(inbound[position]) << 8 | Int(inbound[position + 1])
            guard length <= maxInboundFrameLength else { throw .frameTooLarge(length: length, limit: maxInboundFrameLength) }
            guard length >= NoiseCipherState.tagLength else { throw .frameTooShort(length: length) }
            guard inbound.count - position - 2 >= length else { break }
            let start = position + 2
            plaintext += try receiver.decrypt(associatedData: [], inbound[start..<(start + length)])
            position = start + length
        }
        inbound.removeFirst(position)
        return plaintext
    }
}
