/// Text from other people (package metadata, yank reasons, file names, peers' identify
/// answers) made safe to print on a terminal.
///
/// Escaped as `\u{…}`: every control character (C0 including newline, CR and tab, DEL, C1 —
/// which covers ANSI/OSC escape sequences, since they start with ESC or CSI), line and
/// paragraph separators, and the bidirectional controls that can make text display in
/// another order than it is stored (Trojan Source, CVE-2021-42574). Everything else is
/// kept, so ordinary non-ASCII text prints as written. `--json` output never goes through
/// here: it stays exact, and JSON escapes controls itself.
public enum TerminalText {
    public static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count + 8)
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) {
                out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Like `escape`, but keeps line feeds: for messages our own code broke into lines.
    public static func escapeKeepingLines(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { escape(String($0)) }.joined(separator: "\n")
    }

    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x2028, 0x2029: true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
