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

        mutating func manifest() -> ManifestSearchFields? {
            var fields = ManifestSearchFields()
            var seen = Set<String>()
            guard take(UInt8(ascii: "{")) else { return nil }
            if take(UInt8(ascii: "}")) { return nil }
            repeat {
                guard let key = string(), seen.insert(key).inserted, take(UInt8(ascii: ":")) else { return nil }
                switch key {
                case "scope", "name", "version":
                    guard string() != nil else { return nil }
                case "description":
                    guard let value = string() else { return nil }
                    fields.description = value
                case "keywords":
                    guard let value = strings() else { return nil }
                    fields.keywords = value
                case "tags":
                    guard let value = strings() else { return nil }
                    fields.tags = value
                case "authors":
                    guard let value = strings() else { return nil }
                    fields.authors = value
                case "license":
                    guard string() != nil else { return nil }
                case "dependencies":
                    guard dependencies() else { return nil }
                default:
                    return nil
                }
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "}")), index == bytes.count, seen.isSuperset(of: ["scope", "name", "version"]) else { return nil }
            return fields
        }

        private mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// A string without escapes or control characters; nil otherwise.
        private mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    return String(validating: bytes[start..<(index - 1)], as: UTF8.self)
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                index += 1
            }
            return nil
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
                guard let key = string(), keys.insert(key).inserted, take(UInt8(ascii: ":")), string() != nil else { return false }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "}"))
        }
    }
}
