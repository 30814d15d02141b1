import AgoraRegistry

/// A line of human output. Literal text is ours and printed as written; every interpolated
/// value is someone else's until proven otherwise and goes through `TerminalText.escape`.
struct HumanText: ExpressibleByStringInterpolation {
    fileprivate(set) var text: String

    init(stringLiteral value: String) {
        text = value
    }

    init(stringInterpolation: StringInterpolation) {
        text = stringInterpolation.text
    }

    /// Text whose every part was escaped on the way in (a rendered `Table`).
    init(escaped: String) {
        text = escaped
    }

    struct StringInterpolation: StringInterpolationProtocol {
        fileprivate var text = ""

        init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + 16 * interpolationCount)
        }

        mutating func appendLiteral(_ literal: String) {
            text += literal
        }

        mutating func appendInterpolation(_ value: some CustomStringConvertible) {
            text += TerminalText.escape(value.description)
        }

        mutating func appendInterpolation(_ value: HumanText) {
            text += value.text
        }
    }
}

/// Prints a line of human output. JSON goes through `JSONOutput`.
func say(_ line: HumanText) {
    Swift.print(line.text)
}

/// `print` is unavailable in this module, so a value cannot reach the terminal without
/// passing through `HumanText` by accident: use `say`.
@available(*, unavailable, message: "human output goes through say(_:), which escapes interpolated values")
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {}
