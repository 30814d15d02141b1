import AgoraCore

/// Registry dependencies (`.package(id: "scope.name", …)`) read from a `Package.swift`'s text,
/// as `scope/name` → version range, so `agora info` shows what a release needs.
///
/// The manifest is never run (that would execute code from the archive). A requirement in a
/// form this reader does not know (a variable, a branch, a URL dependency) is left out, never
/// guessed: the list is what the text says plainly, and nothing more.
enum SwiftManifestDependencies {
    static func read(_ source: String) -> [String: String] {
        guard let call = try? Regex(#"\.package\(\s*id\s*:\s*"([A-Za-z0-9_.-]+)"\s*,\s*([^)]*\)?)\s*\)"#) else { return [:] }
        var dependencies: [String: String] = [:]
        for match in source.matches(of: call) {
            guard match.output.count > 2, let id = match.output[1].substring, let requirement = match.output[2].substring,
                  let package = try? PackageIdentity(parsing: String(id)),
                  let range = Self.range(String(requirement)),
                  (try? VersionRange(parsing: range)) != nil
            else { continue }
            dependencies[package.description] = range
        }
        return dependencies
    }

    /// The requirement forms SwiftPM documents, in Agora's range syntax.
    static func range(_ requirement: String) -> String? {
        let strings = requirement.split(separator: "\"", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 2 == 1 }.map { String($0.element) }
        let shape = requirement.split(separator: "\"", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 2 == 0 }.map { $0.element.filter { !$0.isWhitespace } }.joined(separator: "S")
        switch (shape, strings.count) {
        case ("from:S", 1), (".upToNextMajor(from:S)", 1): return "^" + strings[0]
        case (".upToNextMinor(from:S)", 1): return "~" + strings[0]
        case ("exact:S", 1), (".exact(S)", 1): return "=" + strings[0]
        case ("S..<S", 2): return ">=\(strings[0]) <\(strings[1])"
        case ("S...S", 2): return ">=\(strings[0]) <=\(strings[1])"
        default: return nil
        }
    }
}
