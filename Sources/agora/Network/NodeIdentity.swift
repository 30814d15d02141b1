import AgoraCore
import AgoraRegistry
import Foundation

/// The node's libp2p key at `$AGORA_HOME/node.key`, kept across restarts and key rotations.
enum NodeIdentity {
    /// Reads the key, creating it (and a 0700 home) when it does not exist yet.
    static func loadOrCreate(home: AgoraHome = .fromEnvironment()) throws -> Identity {
        guard let identity = try KeyFiles.nodeKey(home: home, create: true) else {
            throw RegistryError("cannot create the node key in \(home.url.path)", code: .storage)
        }
        return identity
    }

    /// The node's key if it has one; otherwise a throwaway key, so a one-off dial does not
    /// create a node directory.
    static func existingOrEphemeral(home: AgoraHome = .fromEnvironment()) throws -> Identity {
        try KeyFiles.nodeKey(home: home, create: false) ?? Identity.generate()
    }
}
