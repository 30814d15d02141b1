import AgoraCore

public enum MultistreamError: Error, Equatable, Sendable, CustomStringConvertible {
    case messageTooLong(length: UInt64, limit: Int)
    case malformedMessage(String)
    case unsupportedVersion(String)
    case unexpectedMessage(String)
    case noProtocolAgreed([String])
    case tooManyAttempts(limit: Int)
    case alreadyFinished

    public var description: String {
        switch self {
        case .messageTooLong(let length, let limit): return "multistream: message of \(length) bytes exceeds the limit of \(limit)"
        case .malformedMessage(let why): return "multistream: malformed message: \(why)"
        case .unsupportedVersion(let header): return "multistream: remote speaks \(String(reflecting: header)), not \(ProtocolIDs.multistream)"
        case .unexpectedMessage(let message): return "multistream: unexpected message \(String(reflecting: message))"
        case .noProtocolAgreed(let proposed): return "multistream: remote supports none of \(proposed)"
        case .tooManyAttempts(let limit): return "multistream: remote made more than \(limit) proposals"
        case .alreadyFinished: return "multistream: negotiation already finished"
        }
    }
}

/// `/multistream/1.0.0` protocol selection as a pure machine: feed it received bytes,
/// send what it returns. It never does I/O, so the same machine negotiates the
/// security protocol on a raw connection and application protocols on each stream.
///
/// Messages are `varint(length) ‖ text ‖ "\n"`. The initiator pipelines its header with
/// its first proposal (as go and rust do) to save a round trip.
public struct MultistreamMachine: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Largest single message, including the `ls` reply.
        public var maxMessageLength: Int
        /// Proposals plus `ls` requests a responder answers before giving up on the remote.
        public var maxAttempts: Int

        public init(maxMessageLength: Int = 4096, maxAttempts: Int = 16) {
            self.maxMessageLength = maxMessageLength
            self.maxAttempts = maxAttempts
        }
    }

    public enum Result: Equatable, Sendable {
        /// Both sides agreed on this protocol; the bytes that follow belong to it.
        case selected(String)
        /// The responder's supported protocols, answering our `ls`.
        case listed([String])
    }

    public struct Output: Equatable, Sendable {
        public var send: [UInt8] = []
        /// Set once negotiation is over.
        public var result: Result?
        /// Bytes received after the final negotiation message, for the next protocol.
        public var remaining: [UInt8] = []
    }

    private enum Mode: Sendable {
        case initiator([String])
        case lister
        case responder([String])
    }

    private enum State: Sendable {
        case awaitingHeader
        case awaitingReply(proposal: Int)
        case awaitingList
        case awaitingProposal
        case finished
    }

    private static let na = "na"
    private static let ls = "ls"

    private let mode: Mode
    private let limits: Limits
    private var state: State = .awaitingHeader
    private var buffer: [UInt8] = []
    private var attempts = 0

    /// Proposes `protocols` in order of preference, falling back on each `na`.
    public static func initiator(proposing protocols: [String], limits: Limits = Limits()) -> MultistreamMachine {
        precondition(!protocols.isEmpty, "an initiator needs at least one protocol to propose")
        return MultistreamMachine(mode: .initiator(protocols), limits: limits)
    }

    /// Asks the responder which protocols it supports.
    public static func lister(limits: Limits = Limits()) -> MultistreamMachine {
        MultistreamMachine(mode: .lister, limits: limits)
    }

    /// Accepts the first proposal found in `protocols` and lists them on `ls`.
    public static func responder(supporting protocols: [String], limits: Limits = Limits()) -> MultistreamMachine {
        MultistreamMachine(mode: .responder(protocols), limits: limits)
    }

    private init(mode: Mode, limits: Limits) {
        self.mode = mode
        self.limits = limits
    }

    public var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    /// The bytes to send as soon as the channel is usable.
    public func start() -> [UInt8] {
        var out = Self.encode(ProtocolIDs.multistream)
        switch mode {
        case .initiator(let protocols): out += Self.encode(protocols[0])
        case .lister: out += Self.encode(Self.ls)
        case .responder: break
        }
        return out
    }

    public mutating func receive<Bytes: Collection>(_ bytes: Bytes) throws(MultistreamError) -> Output where Bytes.Element == UInt8 {
        guard !isFinished else { throw .alreadyFinished }
        buffer.append(contentsOf: bytes)
        var output = Output()
        while !isFinished, let content = try nextMessage() {
            try handle(content, into: &output)
        }
        if isFinished {
            output.remaining = buffer
            buffer = []
        }
        return output
    }

    private mutating func handle(_ content: [UInt8], into output: inout Output) throws(MultistreamError) {
        if case .awaitingList = state {
            output.result = .listed(try Self.parseList(content))
            state = .finished
            return
        }
        let message = try Self.text(content)
        switch (state, mode) {
        case (.awaitingHeader, _):
            guard message == ProtocolIDs.multistream else { throw .unsupportedVersion(message) }
            switch mode {
            case .initiator: state = .awaitingReply(proposal: 0)
            case .lister: state = .awaitingList
            case .responder: state = .awaitingProposal
            }
        case (.awaitingReply(let index), .initiator(let protocols)):
            if message == protocols[index] {
                output.result = .selected(message)
                state = .finished
            } else if message == Self.na {
                guard index + 1 < protocols.count else { throw .noProtocolAgreed(protocols) }
                output.send += Self.encode(protocols[index + 1])
                state = .awaitingReply(proposal: index + 1)
            } else {
                throw .unexpectedMessage(message)
            }
        case (.awaitingProposal, .responder(let protocols)):
            attempts += 1
            guard attempts <= limits.maxAttempts else { throw .tooManyAttempts(limit: limits.maxAttempts) }
            if message == Self.ls {
                output.send += Self.encodeList(protocols)
            } else if protocols.contains(message) {
                output.send += Self.encode(message)
                output.result = .selected(message)
                state = .finished
            } else {
                output.send += Self.encode(Self.na)
            }
        default:
            throw .unexpectedMessage(message)
        }
    }

    /// Removes one whole message from the buffer, returning its content with the final newline.
    private mutating func nextMessage() throws(MultistreamError) -> [UInt8]? {
        let header: (value: UInt64, length: Int)
        do {
            header = try Varint.decode(buffer, at: 0)
        } catch {
            if error == .truncated {
                guard buffer.count < 10 else { throw .malformedMessage("length prefix") }
                return nil
            }
            throw .malformedMessage("length prefix")
        }
        guard header.value <= UInt64(limits.maxMessageLength) else {
            throw .messageTooLong(length: header.value, limit: limits.maxMessageLength)
        }
        let total = header.length + Int(header.value)
        guard buffer.count >= total else { return nil }
        let content = Array(buffer[header.length..<total])
        buffer.removeFirst(total)
        guard content.last == UInt8(ascii: "\n") else { throw .malformedMessage("missing trailing newline") }
        return content
    }

    private static func text(_ content: [UInt8]) throws(MultistreamError) -> String {
        let body = content.dropLast()
        let text = String(decoding: body, as: UTF8.self)
        guard text.utf8.elementsEqual(body) else { throw .malformedMessage("not UTF-8") }
        return text
    }

    static func encode(_ message: String) -> [UInt8] {
        var out = Varint.encode(UInt64(message.utf8.count + 1))
        out.append(contentsOf: message.utf8)
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// The `ls` reply: one message holding each protocol as its own delimited message,
    /// closed by a bare newline.
    static func encodeList(_ protocols: [String]) -> [UInt8] {
        var inner: [UInt8] = []
        for name in protocols { inner += encode(name) }
        inner.append(UInt8(ascii: "\n"))
        var out = Varint.encode(UInt64(inner.count))
        out += inner
        return out
    }

    /// Accepts the list with or without the closing bare newline, since implementations differ.
    private static func parseList(_ content: [UInt8]) throws(MultistreamError) -> [String] {
        var protocols: [String] = []
        var position = 0
        while position < content.count {
            if position == content.count - 1 && content[position] == UInt8(ascii: "\n") { break }
            let header: (value: UInt64, length: Int)
            do {
                header = try Varint.decode(content, at: position)
            } catch {
                throw .malformedMessage("ls entry length")
            }
            let start = position + header.length
            guard header.value >= 1, header.value <= UInt64(content.count - start) else { throw .malformedMessage("ls entry length") }
            let end = start + Int(header.value)
            let entry = Array(content[start..<end])
            guard entry.last == UInt8(ascii: "\n") else { throw .malformedMessage("ls entry without newline") }
            protocols.append(try text(entry))
            position = end
        }
        return protocols
    }
}
