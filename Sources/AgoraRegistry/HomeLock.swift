import Foundation

extension AgoraHome {
    /// Runs `body` holding `$AGORA_HOME/write.lock` (waiting as `policy` says), after removing
    /// the temporaries a killed writer left and closing a home others can read. Every process
    /// that signs, rotates or writes key files holds it, so those steps never interleave.
    func withWriterLock<T>(_ policy: WriterLockPolicy, _ body: () throws -> T) throws -> T {
        try policy.holding(url.appendingPathComponent("write.lock").path) {
            HomeFiles.removeStaleTemporaries(in: url)
            HomeFiles.closeToOthers(url)
            return try body()
        }
    }
}
