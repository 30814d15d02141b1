import AgoraCore
import AgoraRegistry
import Foundation

/// The node's key at `$AGORA_HOME/identity.key`, kept across restarts.
enum NodeIdentity {
    /// Reads the identity, creating it when the file does not exist yet.
    static func loadOrCreate(home: AgoraHome = .fromEnvironment()) throws -> Identity {
        let url = home.identityURL
        if FileManager.default.fileExists(atPath: url.path) {
            return try Identity.read(from: url)
        }
        let identity = Identity.generate()
        try identity.write(to: url)
        return identity
    }

    /// The node's identity if it has one; otherwise a throwaway key, so a one-off dial
    /// does not create a node directory.
    static func existingOrEphemeral(home: AgoraHome = .fromEnvironment()) throws -> Identity {
        let url = home.identityURL
        guard FileManager.default.fileExists(atPath: url.path) else { return Identity.generate() }
        return try Identity.read(from: url)
    }
}
