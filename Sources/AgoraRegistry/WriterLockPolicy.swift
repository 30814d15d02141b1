import Foundation

/// How a writer waits for `$AGORA_HOME/write.lock`: it says so once the wait passes `noticeAfter`
/// (another process is publishing, or a daemon is syncing) and gives up with an error naming
/// the lock after `timeout`, instead of hanging silently behind a stuck process.
public struct WriterLockPolicy: Sendable {
    public var noticeAfter: Duration
    public var timeout: Duration
    public var pollInterval: Duration
    /// Receives the "waiting" notice; the CLI prints it on stderr.
    public var notice: @Sendable (String) -> Void

    public init(
        noticeAfter: Duration = .seconds(1), timeout: Duration = .seconds(30), pollInterval: Duration = .milliseconds(20),
        notice: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.noticeAfter = noticeAfter
        self.timeout = timeout
        self.pollInterval = pollInterval
        self.notice = notice
    }

    /// Runs `body` holding an exclusive `flock` on `path`.
    func holding<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw RegistryError("cannot open the write lock \(path): \(String(cString: strerror(errno)))", code: .storage)
        }
        defer { close(descriptor) }
        try acquire(descriptor, path: path)
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    private func acquire(_ descriptor: Int32, path: String) throws {
        let clock = ContinuousClock()
        let start = clock.now
        var announced = false
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw RegistryError("cannot lock \(path): \(String(cString: strerror(errno)))", code: .storage)
            }
            let waited = clock.now - start
            if waited >= timeout {
                throw RegistryError(
                    "gave up after \(Self.seconds(waited)) waiting for \(path): another agora process holds it; "
                        + "retry when it has finished (a stuck process can be found with `fuser \(path)`)",
                    code: .storage)
            }
            if !announced, waited >= noticeAfter {
                announced = true
                notice("waiting for \(path): another agora process is writing (giving up after \(Self.seconds(timeout)))")
            }
            Thread.sleep(forTimeInterval: Self.seconds(pollInterval))
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
