/// multistream-select on a yamux stream, driving `MultistreamMachine` with the stream's
/// async reads and writes.
enum StreamNegotiation {
    /// Proposes `protocols` in order; returns the agreed one and bytes that followed it.
    static func initiate(
        on stream: YamuxStream, proposing protocols: [String], limits: MultistreamMachine.Limits
    ) async throws -> (protocolID: String, leftover: [UInt8]) {
        try await run(.initiator(proposing: protocols, limits: limits), on: stream)
    }

    /// Answers the remote's proposals from `supported`.
    static func respond(
        on stream: YamuxStream, supporting supported: [String], limits: MultistreamMachine.Limits
    ) async throws -> (protocolID: String, leftover: [UInt8]) {
        try await run(.responder(supporting: supported, limits: limits), on: stream)
    }

    private static func run(
        _ initial: MultistreamMachine, on stream: YamuxStream
    ) async throws -> (protocolID: String, leftover: [UInt8]) {
        var machine = initial
        let first = machine.start()
        if !first.isEmpty { try await stream.write(.init(bytes: first)) }
        while true {
            guard let chunk = try await stream.read() else {
                throw MultistreamError.malformedMessage("stream closed during negotiation")
            }
            let output = try machine.receive(chunk.readableBytesView)
            if !output.send.isEmpty { try await stream.write(.init(bytes: output.send)) }
            switch output.result {
            case .selected(let name): return (name, output.remaining)
            case .listed(let names): throw MultistreamError.noProtocolAgreed(names)
            case nil: continue
            }
        }
    }
}
