/// Opens once; a waiter returns when it is open or after its own limit, so a test that orders
/// two peers' answers cannot hang when the other side never comes.
public actor Gate {
    private var isOpen = false

    public init() {}

    public func open() { isOpen = true }

    public func wait(upTo limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while !isOpen, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
