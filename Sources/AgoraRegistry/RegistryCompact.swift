import AgoraStore
import Foundation

extension Registry {
    /// Compacts the home's store (see `Store.compact`) under the write lock, so no registry
    /// writer of another process starts meanwhile. Call it without a `Registry` of this home
    /// open in the process: the store must not be open anywhere.
    public static func compact(home: AgoraHome, writerLock: WriterLockPolicy = WriterLockPolicy()) throws -> CompactionReport {
        try home.checkReadable()
        guard FileManager.default.fileExists(atPath: home.identityURL.path) else {
            throw RegistryError("no Agora home at \(home.url.path); run `agora init` first", code: .notFound)
        }
        return try writerLock.holding(home.url.appendingPathComponent("write.lock").path) {
            try Store.compact(directory: home.url.appendingPathComponent("store"))
        }
    }
}
