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
    public var identityURL: URL { url.appendingPathComponent("identity.key") }
}
