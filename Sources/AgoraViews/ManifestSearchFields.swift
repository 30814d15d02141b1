import AgoraCore

/// The manifest fields a search document needs, read from a release's canonical JSON.
///
/// Foundation's JSONDecoder dominated building search documents, so canonical manifests (what
/// the tools write: sorted keys, no whitespace, no escapes) are read by a small byte scanner.
/// Anything it does not expect — whitespace, escapes, numbers, unknown keys, repeated keys, a
/// value of another type — goes to `Manifest.decode`, so the result is always what the decoder
/// gives: the scanner only answers when the decoder would accept the bytes the same way.
struct ManifestSearchFields: Equatable {
    var description = ""
    var keywords: [String] = []
    var tags: [String] = []
    var authors: [String] = []

    /// Nil when the manifest does not decode (the document then holds the name only).
    static func read(_ json: [UInt8]) -> ManifestSearchFields? {
        var scanner = Scanner(json)
        if let fast = scanner.manifest() { return fast }
        guard let manifest = try? Manifest.decode(json: json) else { return nil }
        return ManifestSearchFields(
            description: manifest.description, keywords: manifest.keywords, tags: manifest.tags, authors: manifest.authors)
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
        }

        /// The keys a manifest may hold, in the order of the `seen` bits.
        private static let keys: [[UInt8]] = [
            "scope", "name", "version", "description", "keywords", "tags", "authors", "license", "dependencies",
        ].map { Array($0.utf8) }

        mutating func manifest() -> ManifestSearchFields? {
            var fields = ManifestSearchFields()
            var seen: UInt16 = 0
            guard take(UInt8(ascii: "{")) else { return nil }
            if take(UInt8(ascii: "}")) { return nil }
            repeat {
                guard let keyRange = rawString(), take(UInt8(ascii: ":")),
                      let known = key(keyRange),
                      seen & (1 << known) == 0
                else { return nil }
                seen |= 1 << known
                switch known {
                case 3:
                    guard let value = string() else { return nil }
                    fields.description = value
                case 4:
                    guard let value = strings() else { return nil }
                    fields.keywords = value
                case 5:
                    guard let value = strings() else { return nil }
                    fields.tags = value
                case 6:
                    guard let value = strings() else { return nil }
                    fields.authors = value
                case 8:
                    guard dependencies() else { return nil }
                default:
                    guard skipString() else { return nil }
                }
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "}")), index == bytes.count, seen & 0b111 == 0b111 else { return nil }
            return fields
        }

        private mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// A string without escapes or control characters; nil otherwise.
        private mutating func string() -> String? {
            guard let range = rawString() else { return nil }
            return UTF8Text.string(bytes[range])
        }

        /// `string() != nil`, without making the string when it is ASCII.
        private mutating func skipString() -> Bool {
            guard let range = rawString() else { return false }
            return bytes[range].withUnsafeBufferPointer { UTF8Text.isASCII($0) || String(validating: $0, as: UTF8.self) != nil }
        }

        /// Where the content of a string without escapes or control characters lies; nil for
        /// any other string. Scanned over a buffer pointer, without a bounds check per byte:
        /// the description is most of a manifest's bytes.
        private mutating func rawString() -> Range<Int>? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            let end: Int? = bytes.withUnsafeBufferPointer { buffer in
                for position in start..<buffer.count {
                    let byte = buffer[position]
                    if byte == UInt8(ascii: "\"") { return position }
                    if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                }
                return nil
            }
            guard let end else { return nil }
            index = end + 1
            return start..<end
        }

        /// The position in `keys` of the key at `range`, lengths compared first.
        private func key(_ range: Range<Int>) -> Int? {
            bytes.withUnsafeBufferPointer { buffer in
                let key = UnsafeBufferPointer(rebasing: buffer[range])
                return Self.keys.firstIndex { $0.count == key.count && $0.elementsEqual(key) }
            }
        }

        private mutating func strings() -> [String]? {
            guard take(UInt8(ascii: "[")) else { return nil }
            var out: [String] = []
            if take(UInt8(ascii: "]")) { return out }
            repeat {
                guard let value = string() else { return nil }
                out.append(value)
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "]")) ? out : nil
        }

        /// An object of string values with distinct keys, as `[String: String]` decodes.
        private mutating func dependencies() -> Bool {
            guard take(UInt8(ascii: "{")) else { return false }
            if take(UInt8(ascii: "}")) { return true }
            var keys = Set<String>()
            repeat {
                guard let key = string(), keys.insert(key).inserted, take(UInt8(ascii: ":")), skipString() else { return false }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "}"))
        }
    }
}
