/// An iterative Kademlia lookup as a pure value: the caller asks `next(now:)` whom to query,
/// reports each answer (`succeeded`) or failure (`failed`), and stops at `.finished`. Time is
/// an input, so the same iterator runs under real sockets and under the simulator; it does no
/// I/O and draws no randomness (ties in distance cannot occur between distinct keys).
///
/// Up to `alpha` requests are in flight. When an answer brings no peer closer than the closest
/// already known, the lookup is stalled and may have up to `resultCount` requests in flight,
/// as rust-libp2p's closest-peers iterator does. It finishes when the `beta` closest peers not
/// known to have failed have all answered, with no closer request still outstanding, or when
/// nobody is left to ask. A request unanswered for `requestTimeout` no longer counts against
/// the parallelism (a late answer is still used).
public struct Lookup<Peer: Hashable & Sendable>: Sendable {
    public typealias Configuration = LookupConfiguration

    public enum Step: Sendable, Equatable {
        case query(Peer)
        /// Nothing to send now; call again after an answer, a failure or `deadline`.
        case waiting
        case finished
    }

    enum State: Sendable, Equatable {
        case notContacted
        case waiting(since: Duration)
        case unresponsive
        case succeeded
        case failed
    }

    struct Candidate: Sendable {
        let peer: Peer
        let key: DHTKey
        let distance: DHTKey
        var state: State
        /// 1 for peers from our own table; one more than the peer that told us otherwise.
        let hops: Int
    }

    public let target: DHTKey
    public let configuration: Configuration
    /// Sorted by distance to the target, closest first.
    private var candidates: [Candidate] = []
    private var known: Set<Peer> = []
    private var stalled = false
    private var isFinished = false
    private var inFlight = 0
    public private(set) var requestsSent = 0
    public private(set) var answers = 0

    public init(target: DHTKey, seeds: [(peer: Peer, key: DHTKey)], configuration: Configuration = Configuration()) {
        self.target = target
        self.configuration = configuration
        insert(seeds, hops: 1)
    }

    private mutating func insert(_ peers: [(peer: Peer, key: DHTKey)], hops: Int) {
        for (peer, key) in peers where !known.contains(peer) {
            let distance = key.distance(to: target)
            let position = candidates.partitioningIndex { $0.distance > distance }
            guard position < configuration.maxCandidates else { continue }
            known.insert(peer)
            candidates.insert(Candidate(peer: peer, key: key, distance: distance, state: .notContacted, hops: hops), at: position)
            if candidates.count > configuration.maxCandidates {
                let dropped = candidates.removeLast()
                // A dropped candidate that is waiting still counts as in flight until it answers
                // or times out; only never-contacted ones can go.
                if dropped.state == .notContacted { known.remove(dropped.peer) } else { candidates.append(dropped) }
            }
        }
    }

    private func position(of peer: Peer) -> Int? {
        candidates.firstIndex { $0.peer == peer }
    }

    /// `peer` answered with the peers it knows closest to the target.
    public mutating func succeeded(_ peer: Peer, closer: [(peer: Peer, key: DHTKey)], now: Duration) {
        guard !isFinished, let index = position(of: peer) else { return }
        switch candidates[index].state {
        case .waiting: inFlight -= 1
        case .unresponsive: break
        case .notContacted, .succeeded, .failed: return
        }
        candidates[index].state = .succeeded
        answers += 1
        let before = candidates.first?.distance
        insert(closer, hops: candidates[index].hops + 1)
        stalled = candidates.first?.distance == before
    }

    /// `peer` could not be reached or answered with garbage.
    public mutating func failed(_ peer: Peer) {
        guard !isFinished, let index = position(of: peer) else { return }
        switch candidates[index].state {
        case .waiting: inFlight -= 1
        case .unresponsive: break
        case .notContacted, .succeeded, .failed: return
        }
        candidates[index].state = .failed
    }

    /// Marks requests older than the timeout unresponsive and returns their peers.
    public mutating func expire(now: Duration) -> [Peer] {
        var expired: [Peer] = []
        for index in candidates.indices {
            if case .waiting(let since) = candidates[index].state, now - since >= configuration.requestTimeout {
                candidates[index].state = .unresponsive
                inFlight -= 1
                expired.append(candidates[index].peer)
            }
        }
        return expired
    }

    /// The earliest time an outstanding request times out, if any is outstanding.
    public var nextDeadline: Duration? {
        candidates.compactMap { candidate -> Duration? in
            if case .waiting(let since) = candidate.state { return since + configuration.requestTimeout }
            return nil
        }.min()
    }

    public mutating func next(now: Duration) -> Step {
        guard !isFinished else { return .finished }
        _ = expire(now: now)
        let parallelism = stalled ? max(configuration.alpha, configuration.resultCount) : configuration.alpha
        var answeredInOrder: Int? = 0
        for index in candidates.indices {
            switch candidates[index].state {
            case .succeeded:
                if let counted = answeredInOrder {
                    answeredInOrder = counted + 1
                    if counted + 1 >= configuration.beta {
                        isFinished = true
                        return .finished
                    }
                }
            case .waiting:
                // A closer peer may still answer with even closer ones.
                answeredInOrder = nil
            case .notContacted:
                guard inFlight < parallelism else { return .waiting }
                candidates[index].state = .waiting(since: now)
                inFlight += 1
                requestsSent += 1
                return .query(candidates[index].peer)
            case .unresponsive, .failed:
                continue
            }
        }
        if inFlight == 0 {
            isFinished = true
            return .finished
        }
        return .waiting
    }

    /// Ends the lookup early (a GET_PROVIDERS that has found enough providers).
    public mutating func finish() {
        isFinished = true
    }

    public var finished: Bool { isFinished }

    /// The closest peers that answered, closest first, at most `resultCount`.
    public var results: [(peer: Peer, key: DHTKey)] {
        Array(candidates.lazy.filter { $0.state == .succeeded }.prefix(configuration.resultCount).map { ($0.peer, $0.key) })
    }

    /// How many hops away the closest answering peer was found (1 = in our own table).
    public var hops: Int {
        candidates.first { $0.state == .succeeded }?.hops ?? 0
    }

    /// Peers queried and not yet answered or timed out.
    public var outstanding: Int { inFlight }
}

/// How a lookup spreads its requests and when it stops.
public struct LookupConfiguration: Sendable, Equatable {
    public var alpha: Int
    /// How many peers the result holds (k).
    public var resultCount: Int
    /// How many of the closest peers must have answered to finish (β ≤ k).
    public var beta: Int
    public var requestTimeout: Duration
    /// Bounds the candidates kept, whatever peers report.
    public var maxCandidates: Int

    public init(alpha: Int = 3, resultCount: Int = 20, beta: Int = 20, requestTimeout: Duration = .seconds(10), maxCandidates: Int = 400) {
        precondition(alpha > 0 && resultCount > 0 && (1...resultCount).contains(beta) && maxCandidates >= resultCount)
        self.alpha = alpha
        self.resultCount = resultCount
        self.beta = beta
        self.requestTimeout = requestTimeout
        self.maxCandidates = maxCandidates
    }
}

extension Array {
    /// The first index whose element satisfies `belongsInSecondPartition`, for a collection
    /// already partitioned by it (binary search).
    func partitioningIndex(where belongsInSecondPartition: (Element) -> Bool) -> Int {
        var low = startIndex
        var high = endIndex
        while low < high {
            let middle = low + (high - low) / 2
            if belongsInSecondPartition(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
