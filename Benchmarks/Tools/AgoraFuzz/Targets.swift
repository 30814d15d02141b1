import AgoraCore
import AgoraWire
import Crypto
import NIOCore

/// One decoder under test: its valid seeds and how to feed it an input. A target must
/// never trap; errors are the expected outcome for most inputs.
struct FuzzTarget: Sendable {
    let name: String
    let maxLength: Int
    let seeds: @Sendable () -> [[UInt8]]
    let run: @Sendable ([UInt8]) -> Void

    static let all: [FuzzTarget] = [
        semver, ranges, manifest, event, varint, protobuf, multistream, yamux, noise, multiaddr, zip,
    ]

    static let semver = FuzzTarget(name: "semver", maxLength: 256, seeds: { FuzzSeeds.versions }) { input in
        let text = String(decoding: input, as: UTF8.self)
        guard let version = try? SemanticVersion(parsing: text) else { return }
        _ = version < SemanticVersion(1, 2, 3)
        _ = version == SemanticVersion(UInt64.max, UInt64.max, UInt64.max)
    }

    static let ranges = FuzzTarget(name: "ranges", maxLength: 512, seeds: { FuzzSeeds.ranges }) { input in
        guard let range = try? VersionRange(parsing: String(decoding: input, as: UTF8.self)) else { return }
        _ = range.highest(in: FuzzSeeds.probeVersions)
    }

    static let manifest = FuzzTarget(name: "manifest", maxLength: 8192, seeds: { FuzzSeeds.manifests }) { input in
        guard let manifest = try? Manifest.decode(file: "agora.json", json: input) else { return }
        guard let valid = try? manifest.validated() else { return }
        _ = valid
    }

    static let event = FuzzTarget(name: "event", maxLength: 4096, seeds: { FuzzSeeds.events }) { input in
        guard let event = try? Event(decoding: input) else { return }
        _ = try? event.decodedBody()
    }

    static let varint = FuzzTarget(name: "varint", maxLength: 64, seeds: { FuzzSeeds.varints }) { input in
        var offset = 0
        while offset < input.count, let (_, length) = try? Varint.decode(input, at: offset) {
            offset += length
        }
    }

    static let protobuf = FuzzTarget(name: "protobuf", maxLength: 4096, seeds: { FuzzSeeds.protobufs }) { input in
        _ = try? IdentifyMessage(decoding: input)
        _ = try? Libp2pPublicKey.decode(input)
    }

    static let multistream = FuzzTarget(name: "multistream", maxLength: 2048, seeds: { FuzzSeeds.multistream }) { input in
        // The first byte picks the role and the chunking, so replaying an input replays the run.
        let control = input.first ?? 0
        var machine: MultistreamMachine
        switch control % 3 {
        case 0: machine = .responder(supporting: [ProtocolIDs.noise, ProtocolIDs.yamux])
        case 1: machine = .initiator(proposing: ["/a", ProtocolIDs.yamux])
        default: machine = .lister()
        }
        _ = machine.start()
        let chunk = Int(control >> 2) % 16 + 1
        var rest = input.dropFirst()
        while !rest.isEmpty {
            guard let output = try? machine.receive(rest.prefix(chunk)), output.result == nil else { return }
            rest = rest.dropFirst(chunk)
        }
    }

    static let yamux = FuzzTarget(name: "yamux", maxLength: 8192, seeds: { FuzzSeeds.yamuxSequences }) { input in
        // Byte 0: role and chunk size; byte 1: which application calls run between chunks.
        guard input.count >= 2 else { return }
        let now = ContinuousClock.now
        var machine = YamuxStateMachine(
            role: input[0] & 1 == 0 ? .responder : .initiator,
            configuration: YamuxConfiguration(maxInboundStreams: 8, maxOutboundStreams: 8, maxOutstandingPings: 4)
        )
        let chunk = Int(input[0] >> 1) + 1
        var calls = input[1]
        var opened: [UInt32] = []
        var rest = input.dropFirst(2)
        while !rest.isEmpty {
            _ = machine.receive(ByteBuffer(bytes: rest.prefix(chunk)), now: now)
            rest = rest.dropFirst(chunk)
            let stream = opened.isEmpty ? UInt32(calls) : opened[Int(calls) % opened.count]
            switch calls % 8 {
            case 0: if let (id, _) = try? machine.openStream() { opened.append(id) }
            case 1: _ = try? machine.write(ByteBuffer(repeating: 7, count: Int(calls) * 1024), on: stream)
            case 2: _ = machine.consumed(Int(calls) * 4096, on: stream)
            case 3: _ = machine.reset(stream)
            case 4: _ = try? machine.closeWrite(stream)
            case 5: _ = try? machine.ping(now: now)
            case 6: _ = machine.goAway()
            default: break
            }
            calls = calls &* 31 &+ 7
        }
        _ = machine.close()
    }

    static let noise = FuzzTarget(name: "noise", maxLength: 1024, seeds: { FuzzSeeds.noiseMessages }) { input in
        // Byte 0 picks the side: a responder awaiting the first message, or an initiator
        // that has sent it and awaits the second.
        let configuration = NoiseHandshake.Configuration(identity: FuzzSeeds.noiseIdentity, staticKey: FuzzSeeds.noiseStatic)
        if input.first.map({ $0 & 1 == 0 }) ?? true {
            var responder = NoiseHandshake(role: .responder, configuration: configuration)
            _ = try? responder.receive(input.dropFirst())
        } else {
            var initiator = NoiseHandshake(role: .initiator, configuration: configuration)
            _ = try? initiator.start()
            _ = try? initiator.receive(input.dropFirst())
        }
    }

    static let multiaddr = FuzzTarget(name: "multiaddr", maxLength: 1024, seeds: { FuzzSeeds.multiaddrs }) { input in
        if let address = try? Multiaddr(bytes: input) {
            _ = address.description
            _ = address.tcpHostAndPort
        }
        if let parsed = try? Multiaddr(parsing: String(decoding: input, as: UTF8.self)) {
            _ = parsed.bytes
        }
        _ = try? PeerID(string: String(decoding: input, as: UTF8.self))
    }

    static let zip = FuzzTarget(name: "zip", maxLength: 16384, seeds: { FuzzSeeds.zips }) { input in
        _ = try? ZipReader.read(input, limits: ZipLimits())
    }
}
