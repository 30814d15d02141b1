import AgoraCore
import AgoraTestSupport
import AgoraWire
import Crypto
import NIOCore

/// Valid inputs of every decoder, the starting points of structure-aware mutation.
enum FuzzSeeds {
    static let versions: [[UInt8]] = [
        "1.2.3", "0.0.0", "10.20.30-alpha.1+build.5", "1.0.0-rc.1", "2.0.0+meta", "1.2.3-0a.b-c",
        "999999999.999999999.999999999",
    ].map { Array($0.utf8) }

    static let ranges: [[UInt8]] = [
        "^1.2.3", "~1.2", ">=1.0.0 <2.0.0", "1.x", "*", "1.2.3 - 2.3.4", "^0.0.1 || ~2.1.0", "=1.0.0-beta",
        "<=3", ">1.2.3-alpha.3", "1.2.*",
    ].map { Array($0.utf8) }

    static let probeVersions = ["0.0.1", "1.2.3", "1.2.4-beta", "2.0.0", "18446744073709551615.0.0"]
        .compactMap { try? SemanticVersion(parsing: $0) }

    static let manifests: [[UInt8]] = [
        #"{"scope":"acme","name":"json-kit","version":"1.0.0","description":"A JSON kit.","keywords":["json","c"],"license":"MIT","authors":["Acme <a@acme.example>"]}"#,
        #"{"scope":"acme","name":"http-client","version":"2.1.0-rc.1","dependencies":{"acme/json-kit":"^1.0.0","acme/other":">=1.2 <2"}}"#,
        #"{"scope":"a","name":"b","version":"0.0.1","tags":["library"],"exclude":["tests/**"]}"#,
    ].map { Array($0.utf8) }

    static let events: [[UInt8]] = {
        let author = try! Identity(seed: Array(repeating: 5, count: 32))
        let other = try! Identity(seed: Array(repeating: 6, count: 32))
        let bodies: [EventBody] = [
            .releasePublished(.init(
                scope: "acme", name: "json-kit", version: "1.0.0", manifest: manifests[0],
                archiveDigest: Array(repeating: 1, count: 32), archiveSize: 4096
            )),
            .releaseYanked(.init(scope: "acme", name: "json-kit", version: "1.0.0", reason: "broken")),
            .keyRotated(.init(newKey: other.publicKey, newKeySignature: Array(repeating: 2, count: 64))),
            .scopeTransferred(.init(scope: "acme", newOwner: other.publicKey)),
            .retrievalObserved(.init(peer: [1, 2, 3], digest: Array(repeating: 3, count: 32), outcome: .success, bytes: 10, latencyMicros: 5)),
            .peerPenalised(.init(peer: [4, 5], reason: "lied", evidence: [9])),
            .unknown(kind: 99, bytes: [8, 1]),
        ]
        var prev: EventID?
        var events: [[UInt8]] = []
        for (index, body) in bodies.enumerated() {
            guard let event = try? Event.sign(by: author, seq: UInt64(index + 1), prev: prev, timestamp: 1_700_000_000_000, body: body) else {
                continue
            }
            prev = event.id
            events.append(event.bytes)
        }
        return events
    }()

    static let varints: [[UInt8]] = [0, 1, 127, 128, 300, 1 << 32, UInt64.max].map { Varint.encode($0) }

    static let protobufs: [[UInt8]] = {
        let identify = IdentifyMessage(
            protocolVersion: "ipfs/0.1.0", agentVersion: "agora/0.1.0",
            publicKey: Libp2pPublicKey.encode(Curve25519.Signing.PrivateKey().publicKey),
            listenAddrs: [(try! Multiaddr(parsing: "/ip4/127.0.0.1/tcp/4001")).bytes],
            observedAddr: nil, protocols: [ProtocolIDs.ping, ProtocolIDs.identify]
        )
        var writer = RawProtobufWriter()
        writer.writeVarint(field: 1, UInt64.max)
        writer.writeFixed32(field: 2, 7)
        writer.writeFixed64(field: 3, 9)
        writer.writeMessage(field: 4) { $0.writeString(field: 1, "nested") }
        return [identify.encoded(), writer.bytes]
    }()

    static let multistream: [[UInt8]] = {
        func message(_ text: String) -> [UInt8] { Varint.encode(UInt64(text.utf8.count + 1)) + Array(text.utf8) + [0x0A] }
        let header = message(ProtocolIDs.multistream)
        return [
            [0] + header + message(ProtocolIDs.noise),
            [1] + header + message("na") + message(ProtocolIDs.yamux),
            [2] + header + Varint.encode(20) + message("/a") + message("/b") + [0x0A],
            [4] + header + message("ls") + message(ProtocolIDs.yamux),
        ]
    }()

    static let yamuxSequences: [[UInt8]] = {
        var buffer = ByteBuffer()
        let frames: [YamuxFrame] = [
            .windowUpdate(streamID: 1, flags: .syn, delta: 0),
            .data(streamID: 1, payload: ByteBuffer(bytes: Array("hello".utf8))),
            .windowUpdate(streamID: 1, delta: 65536),
            .ping(flags: .syn, opaque: 7),
            .ping(flags: .ack, opaque: 1),
            .data(streamID: 1, flags: .fin, payload: ByteBuffer()),
            .windowUpdate(streamID: 3, flags: .syn, delta: 1 << 20),
            .windowUpdate(streamID: 3, flags: .rst, delta: 0),
            .windowUpdate(streamID: 2, flags: .ack, delta: 0),
            YamuxFrame(type: .goAway, flags: [], streamID: 0, length: 0),
        ]
        for frame in frames { frame.encode(into: &buffer) }
        let bytes = Array(buffer.readableBytesView)
        return [[0x21, 0x00] + bytes, [0x02, 0x05] + bytes, [0xFF, 0x11] + bytes, [0x40, 0x63] + bytes.prefix(48)]
    }()

    static let noiseIdentity = Curve25519.Signing.PrivateKey()
    static let noiseStatic = Curve25519.KeyAgreement.PrivateKey()

    /// A real first message (for the responder) and a real second one (for an initiator,
    /// which cannot decrypt it since its ephemeral key differs, but parses it first).
    static let noiseMessages: [[UInt8]] = {
        let configuration = NoiseHandshake.Configuration(identity: noiseIdentity, staticKey: noiseStatic)
        var initiator = NoiseHandshake(role: .initiator, configuration: configuration)
        var responder = NoiseHandshake(role: .responder, configuration: configuration)
        let first = (try? initiator.start()) ?? []
        let second = (try? responder.receive(first))?.send ?? []
        let third = (try? initiator.receive(second))?.send ?? []
        return [[0] + first, [1] + second, [0] + first + third]
    }()

    static let multiaddrs: [[UInt8]] = {
        let texts = [
            "/ip4/127.0.0.1/tcp/4001", "/ip6/::1/tcp/0", "/dns4/example.com/tcp/443",
            "/ip4/10.0.0.1/tcp/1/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA",
        ]
        return texts.map { Array($0.utf8) } + texts.compactMap { try? Multiaddr(parsing: $0).bytes }
    }()

    static let zips: [[UInt8]] = [
        [ZipEntry(path: "pkg/a.txt", data: Array("hello".utf8)), ZipEntry(path: "pkg/bin/run", data: [1, 2, 3], isExecutable: true)],
        [ZipEntry(path: "x/", data: [])],
    ].compactMap { try? ZipWriter.write($0) }
}
