/// The newest local sequence of the log as this process knows it, and waiters for it to
/// grow: sync servers hold a caught-up client's request here instead of polling the store.
/// The node advances it after its own commits and when it notices another process's.
public actor LogWatcher {
    public private(set) var latest: UInt64
    private var waiters: [UInt64: (after: UInt64, continuation: CheckedContinuation<Void, Never>)] = [:]
    /// Waits released before they suspended (a timeout or cancellation that won the race).
    private var released: Set<UInt64> = []
    private var nextID: UInt64 = 0
    /// Set when the node stops: a waiting sync request is answered at once instead of holding
    /// the host's shutdown for its grace period.
    private var closed = false

    /// Requests held right now (what `agora status` and tests can see of long polls).
    public var waiting: Int { waiters.count }

    public init(latest: UInt64) {
        self.latest = latest
    }

    public func advance(to seq: UInt64) {
        guard seq > latest else { return }
        latest = seq
        for (id, waiter) in waiters where waiter.after < seq {
            waiters[id] = nil
            waiter.continuation.resume()
        }
    }

    /// Releases every waiter, now and later.
    public func close() {
        closed = true
        for waiter in waiters.values { waiter.continuation.resume() }
        waiters.removeAll()
    }

    /// Returns once the log is beyond `after`, `timeout` has passed, the task is cancelled or
    /// the watcher is closed.
    public func wait(beyond after: UInt64, timeout: Duration) async {
        guard latest <= after, !closed else { return }
        nextID += 1
        let id = nextID
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.suspend(id, after: after) }
            // Ends at the timeout, or at once when the wait is over or cancelled, and always
            // releases the waiter, so the group never outlives the wait.
            group.addTask {
                try? await Task.sleep(for: timeout)
                await self.release(id)
            }
            await group.next()
            group.cancelAll()
        }
        released.remove(id)
    }

    private func suspend(_ id: UInt64, after: UInt64) async {
        if released.contains(id) || latest > after || closed { return }
        await withCheckedContinuation { waiters[id] = (after, $0) }
    }

    private func release(_ id: UInt64) {
        if let waiter = waiters.removeValue(forKey: id) {
            waiter.continuation.resume()
        } else {
            released.insert(id)
        }
    }
}
