import Foundation

extension AgoraHome {
    /// Runs `body` holding an exclusive lock on `$AGORA_HOME/write.lock`, after removing the
    /// temporaries a killed writer left. Every process that signs, rotates or writes key
    /// files holds it, so those steps never interleave across processes.
    func withWriterLock<T>(_ body: () throws -> T) throws -> T {
        let path = url.appendingPathComponent("write.lock").path
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw RegistryError("cannot open \(path): \(String(cString: strerror(errno)))", code: .storage)
        }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else {
            throw RegistryError("cannot lock \(path): \(String(cString: strerror(errno)))", code: .storage)
        }
        defer { flock(descriptor, LOCK_UN) }
        HomeFiles.removeStaleTemporaries(in: url)
        HomeFiles.closeToOthers(url)
        return try body()
    }
}
