import AgoraCore
import AgoraRegistry
import ArgumentParser
import Foundation

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Show this node's identity, or rotate it with a signed rotation event.")

    @OptionGroup var options: HomeOptions

    @Flag(help: "Replace the key: the old key signs the new one, the new key countersigns. The PeerID (node.key) stays.")
    var rotate = false

    @Flag(help: """
        Record the store's head of this key's feed as the node's own (feed.head). Only when the store holds \
        every event this key ever signed: otherwise the next event reuses a sequence number (equivocation).
        """)
    var adoptStoreHead = false

    func run() throws {
        try reportingFailures {
            let registry = try options.openRegistry()
            if adoptStoreHead {
                let seq = try registry.adoptStoreHead()
                say("Recorded feed head seq \(seq) for \(registry.identity.publicKey.hex)")
                return
            }
            if rotate {
                if let finished = registry.completedRotation {
                    // A killed `keys --rotate` had committed; opening the home finished it.
                    if options.json {
                        try JSONOutput.print(["newKey": finished.hex, "completedInterruptedRotation": "true"])
                    } else {
                        say("Finished the interrupted rotation to \(finished.hex); not rotating again")
                    }
                    return
                }
                let (_, result) = try registry.rotateKey()
                if options.json {
                    try JSONOutput.print(result)
                } else {
                    say("Rotated \(result.oldKey) → \(result.newKey)")
                    say("  event \(result.event); old key kept at \(result.retiredKeyFile)")
                }
                return
            }
            let head = try registry.store.head(of: registry.identity.publicKey)
            if options.json {
                try JSONOutput.print(["publicKey": registry.identity.publicKey.hex, "feedSeq": "\(head?.seq ?? 0)", "home": registry.home.url.path])
            } else {
                say("identity  \(registry.identity.publicKey.hex)")
                say("feed      \(head?.seq ?? 0) events")
                say("home      \(registry.home.url.path)")
            }
        }
    }
}

struct TrustCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Pin the key trusted to publish a scope on this node (like SSH's known_hosts); no arguments lists pins.")

    @OptionGroup var options: HomeOptions

    @Argument(help: "The scope.")
    var scope: String?

    @Argument(help: "The publisher's public key (hex).")
    var key: String?

    @Flag(help: "Remove the scope's pin instead.")
    var remove = false

    func run() throws {
        try reportingFailures {
            let registry = try options.openRegistry()
            guard let scope else {
                let pins = try registry.pins()
                if options.json {
                    try JSONOutput.print(Dictionary(uniqueKeysWithValues: pins.map { ($0.scope, $0.key.hex) }))
                } else {
                    var table = Table("SCOPE", "PINNED KEY")
                    for pin in pins { table.add(pin.scope, pin.key.hex) }
                    say(table.render())
                }
                return
            }
            if remove {
                say(try registry.untrust(scope: scope) ? "Unpinned \(scope)" : "\(scope) was not pinned")
                return
            }
            guard let text = key, let publicKey = PublicKey(hex: text) else {
                throw RegistryError("give the publisher's key as 64 hex digits (see `agora info SCOPE/NAME`)")
            }
            let warnings = try registry.trust(scope: scope, key: publicKey)
            for warning in warnings { FileHandle.standardError.write(Data("warning: \(TerminalText.escapeKeepingLines(warning))\n".utf8)) }
            say("Pinned \(scope) to \(publicKey.hex)")
        }
    }
}
