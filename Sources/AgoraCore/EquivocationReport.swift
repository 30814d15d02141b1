/// Proof that an author signed two different events for one feed position, carried in full
/// so a node that holds neither event can check it: both decode, share author and seq,
/// differ, and carry valid signatures. The two are stored in event-ID order, so every
/// reporter of one fork signs the same body.
public struct EquivocationReport: Sendable, Hashable {
    public var first: [UInt8]
    public var second: [UInt8]

    /// What a valid report proves.
    public struct Proof: Sendable, Hashable {
        public let author: PublicKey
        public let seq: UInt64
        public let ids: [EventID]
    }

    /// Nil when the two are not a fork of one feed (wrong order, same event, different
    /// positions, or a bad signature): such a report proves nothing and is ignored.
    public init?(_ a: Event, _ b: Event) {
        guard a.author == b.author, a.seq == b.seq, a.id != b.id else { return nil }
        let (first, second) = a.id.bytes.lexicographicallyPrecedes(b.id.bytes) ? (a, b) : (b, a)
        self.first = first.bytes
        self.second = second.bytes
    }

    /// The fork the report proves, or nil when it proves none.
    public var proof: Proof? {
        guard let a = try? Event(decoding: first), let b = try? Event(decoding: second),
              a.author == b.author, a.seq == b.seq, a.id.bytes.lexicographicallyPrecedes(b.id.bytes),
              a.verifySignature(), b.verifySignature()
        else { return nil }
        return Proof(author: a.author, seq: a.seq, ids: [a.id, b.id])
    }

    init(_ reader: CanonicalReader) throws(CanonicalDecodeError) {
        first = try reader.bytes(1)
        second = try reader.bytes(2)
        guard !first.isEmpty, !second.isEmpty else { throw CanonicalDecodeError("equivocation report lacks an event") }
    }
}
