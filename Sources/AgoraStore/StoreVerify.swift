import AgoraCore

/// The first thing wrong with the log, located so a person can find it.
public struct VerifyProblem: Sendable, Hashable, CustomStringConvertible {
    public let localSeq: UInt64
    /// Nil when the stored bytes do not even decode to an event.
    public let author: PublicKey?
    public let seq: UInt64?
    public let reason: String

    public var description: String {
        // Local seq 0 is no log entry: the problem is with the store as a whole.
        guard localSeq > 0 || author != nil else { return reason }
        let position = author.map { "author \($0.short) seq \(seq ?? 0)" } ?? "undecodable event"
        return "local seq \(localSeq) (\(position)): \(reason)"
    }
}

public struct VerifyReport: Sendable {
    public let deep: Bool
    public let events: Int
    public let feeds: Int
    public let signaturesChecked: Int
    public let duration: Duration
    public let firstProblem: VerifyProblem?

    public var ok: Bool { firstProblem == nil }
}

extension Store {
    /// Walks the log in local order, checking that every event decodes, is indexed under its
    /// own ID, and extends its feed's hash chain from seq 1; then that the feeds database
    /// agrees with the chains and that each head carries a valid signature (`deep`: every
    /// event's signature). Stops at the first problem. `deep` also re-hashes every stored blob
    /// against its digest, naming the release that signed it. Runs in one read snapshot, so
    /// writers carry on meanwhile.
    public func verify(deep: Bool) throws -> VerifyReport {
        let clock = ContinuousClock()
        let start = clock.now
        return try read { txn in
            var chains: [PublicKey: (head: FeedHead, localSeq: UInt64)] = [:]
            var events = 0
            var signatures = 0
            var problem: VerifyProblem?
            var releases: [BlobDigest: (localSeq: UInt64, event: Event, release: ReleasePublished)] = [:]
            try txn.forEach(databases.log) { entry in
                guard let localSeq = BigEndian.uint64(entry.key), entry.key.count == 8 else {
                    throw StoreError.corrupt("log key of \(entry.key.count) bytes")
                }
                guard let event = try? Event(decoding: Array(entry.value)) else {
                    problem = VerifyProblem(localSeq: localSeq, author: nil, seq: nil, reason: "stored bytes do not decode as an event")
                    return false
                }
                events += 1
                func fail(_ reason: String) -> Bool {
                    problem = VerifyProblem(localSeq: localSeq, author: event.author, seq: event.seq, reason: reason)
                    return false
                }
                if try databases.localSeq(of: event.id, in: txn) != localSeq {
                    return fail("the event ID index does not point at this entry; its bytes may have been altered")
                }
                let previous = chains[event.author]?.head
                guard event.seq == (previous?.seq ?? 0) + 1 else {
                    return fail("expected feed seq \((previous?.seq ?? 0) + 1)")
                }
                guard event.prev == previous?.id else { return fail("prev does not match the ID of seq \(event.seq - 1)") }
                if deep {
                    signatures += 1
                    guard event.verifySignature() else { return fail("bad signature") }
                    if case .releasePublished(let release)? = try? event.decodedBody(),
                       let digest = BlobDigest(bytes: release.archiveDigest), releases[digest] == nil {
                        releases[digest] = (localSeq, event, release)
                    }
                }
                chains[event.author] = (FeedHead(seq: event.seq, id: event.id), localSeq)
                return true
            }
            if problem == nil {
                problem = try checkHeads(chains, deep: deep, signatures: &signatures, txn)
            }
            if problem == nil, deep {
                problem = try checkBlobs(releases, txn)
            }
            return VerifyReport(
                deep: deep, events: events, feeds: chains.count, signaturesChecked: signatures,
                duration: clock.now - start, firstProblem: problem)
        }
    }

    /// Every stored blob, in digest order; the first damaged one is reported against the
    /// release event that signed its digest (or as an unreferenced blob).
    private func checkBlobs(
        _ releases: [BlobDigest: (localSeq: UInt64, event: Event, release: ReleasePublished)], _ txn: ReadTransaction
    ) throws -> VerifyProblem? {
        var digests: [BlobDigest] = []
        try txn.forEach(databases.blobs) { entry in
            guard let digest = BlobDigest(bytes: Array(entry.key)) else {
                throw StoreError.corrupt("blob key of \(entry.key.count) bytes")
            }
            digests.append(digest)
            return true
        }
        for digest in digests {
            guard let damage = try blobDamage(digest, in: txn) else { continue }
            guard let owner = releases[digest] else {
                return VerifyProblem(localSeq: 0, author: nil, seq: nil, reason: "blob sha256 \(digest.hex) (no release names it): \(damage)")
            }
            let release = owner.release
            return VerifyProblem(
                localSeq: owner.localSeq, author: owner.event.author, seq: owner.event.seq,
                reason: "archive of \(release.scope)/\(release.name) \(release.version) (sha256 \(digest.hex)): \(damage)")
        }
        return nil
    }

    private func checkHeads(
        _ chains: [PublicKey: (head: FeedHead, localSeq: UInt64)], deep: Bool, signatures: inout Int, _ txn: ReadTransaction
    ) throws -> VerifyProblem? {
        var problems: [VerifyProblem] = []
        for (author, chain) in chains {
            func problem(_ reason: String) {
                problems.append(VerifyProblem(localSeq: chain.localSeq, author: author, seq: chain.head.seq, reason: reason))
            }
            guard try databases.head(of: author, in: txn) == chain.head else {
                problem("the feeds database does not record this event as the feed head")
                continue
            }
            if !deep {
                signatures += 1
                guard let event = try databases.event(localSeq: chain.localSeq, in: txn), event.verifySignature() else {
                    problem("bad signature on the feed head")
                    continue
                }
            }
        }
        if problems.isEmpty, try txn.count(databases.feeds) != chains.count {
            return VerifyProblem(localSeq: 0, author: nil, seq: nil, reason: "the feeds database lists feeds the log does not have")
        }
        return problems.min { $0.localSeq < $1.localSeq }
    }
}
