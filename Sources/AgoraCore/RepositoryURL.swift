import Foundation

/// A source repository location reduced to the form SwiftPM compares package locations in
/// (`PackageIdentity`'s canonical location), so `https://github.com/Mona/LinkedList.git`,
/// `git@github.com:mona/linkedlist` and `ssh://git@github.com:22/mona/LinkedList/` are one
/// repository: `github.com/mona/linkedlist`.
///
/// The steps: Unicode canonical composition and lowercase; drop a scheme (`xyz://`), user
/// information before the host (a `~` path is expanded to that user), a numeric port, the
/// query and fragment; an `scp`-style `host:path` becomes `host/path`; empty path
/// components, percent-encoding and one trailing `.git` are removed. A `file://` URL or an
/// absolute path keeps a leading `/`.
public enum RepositoryURL {
    public static let maxLength = 512

    /// Nil for text that names no repository (empty once reduced, or over `maxLength`).
    public static func canonical(_ text: String) -> String? {
        guard !text.isEmpty, text.utf8.count <= maxLength else { return nil }
        var rest = Substring(text.precomposedStringWithCanonicalMapping.lowercased())
        let startsWithSlash = rest.first == "/"
        var scheme: Substring?
        if let delimiter = rest.range(of: "://"), rest.first?.isLetter == true,
           rest[..<delimiter.lowerBound].allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) })
        {
            scheme = rest[..<delimiter.lowerBound]
            rest = rest[delimiter.upperBound...]
        }
        if let at = rest.firstIndex(of: "@"), at < (rest.firstIndex(of: "/") ?? rest.endIndex) {
            let user = rest[..<at].split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            rest = rest[rest.index(after: at)...]
            if let tilde = rest.range(of: "/~/") {
                rest = rest[..<tilde.lowerBound] + "/~" + user + "/" + rest[tilde.upperBound...]
            }
        }
        if let cut = rest.firstIndex(where: { $0 == "#" || $0 == "?" }) { rest = rest[..<cut] }
        let firstSlash = rest.firstIndex(of: "/") ?? rest.endIndex
        if let colon = rest[..<firstSlash].firstIndex(of: ":") {
            let after = rest[rest.index(after: colon)..<firstSlash]
            if !after.isEmpty, after.allSatisfy(\.isASCII), after.allSatisfy(\.isNumber) {
                rest = rest[..<colon] + rest[firstSlash...]
            } else if scheme == nil || scheme == "ssh" {
                rest = rest[..<colon] + "/" + rest[rest.index(after: colon)...]
            }
        }
        var components = rest.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }
        if let last = components.last, last.hasSuffix(".git") {
            components[components.count - 1] = String(last.dropLast(4))
            if components[components.count - 1].isEmpty { components.removeLast() }
        }
        let joined = components.joined(separator: "/")
        guard !joined.isEmpty else { return nil }
        return scheme == "file" || startsWithSlash ? "/" + joined : joined
    }
}
