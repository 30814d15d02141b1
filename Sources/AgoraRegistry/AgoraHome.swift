import AgoraCore
import Foundation

/// Where a node keeps its store and identity: `$AGORA_HOME`, else `~/.agora`.
public struct AgoraHome: Sendable, Equatable {
    public let url: URL

    public init(url: URL) {
        self.url = url
    }

    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> AgoraHome {
        if let path = environment["AGORA_HOME"], !path.isEmpty {
            return AgoraHome(url: URL(fileURLWithPath: path, isDirectory: true))
        }
        let home = environment["HOME"].map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        return AgoraHome(url: home.appendingPathComponent(".agora", isDirectory: true))
    }

    public var storeURL: URL { url.appendingPathComponent("store", isDirectory: true) }
    /// The publisher key: signs this node's feed; replaced by `agora keys --rotate`.
    public var identityURL: URL { url.appendingPathComponent("identity.key") }
    /// The next publisher key while a rotation is under way (see `RegistryKeys.swift`).
    public var pendingIdentityURL: URL { url.appendingPathComponent("identity.next") }
    /// The libp2p key behind the PeerID; never rotated with the publisher key.
    public var nodeKeyURL: URL { url.appendingPathComponent("node.key") }
    /// The head of the publisher key's feed as last committed (see `FeedHeadRecord`).
    public var feedHeadURL: URL { url.appendingPathComponent("feed.head") }
    /// The head of the node key's feed (its reputation events) as last committed.
    public var nodeHeadURL: URL { url.appendingPathComponent("node.head") }

    public func retiredIdentityURL(of key: PublicKey) -> URL {
        url.appendingPathComponent("identity.\(key.short).retired")
    }

    /// Fails with the path and the OS reason when the home exists but cannot be entered or read
    /// (another user's home, a 000 directory), so that is never reported as "no home".
    func checkReadable() throws {
        var status = stat()
        guard stat(url.path, &status) == 0 else {
            if errno == ENOENT { return }
            throw RegistryError("cannot open the Agora home \(url.path): \(String(cString: strerror(errno)))", code: .storage)
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw RegistryError("cannot open the Agora home \(url.path): \(String(cString: strerror(ENOTDIR)))", code: .storage)
        }
        guard access(url.path, R_OK | W_OK | X_OK) == 0 else {
            throw RegistryError(
                "cannot open the Agora home \(url.path): \(String(cString: strerror(errno)))"
                    + (status.st_uid != geteuid() ? " (it belongs to uid \(status.st_uid))" : ""),
                code: .storage)
        }
    }
}
