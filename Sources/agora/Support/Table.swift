import AgoraRegistry
import Foundation

/// Aligned columns for human output: people scan tables, scripts use `--json`. Cells are
/// escaped as they are added (`TerminalText`), so a cell is always one line of plain text.
struct Table {
    var headers: [String]
    var rows: [[String]] = []

    init(_ headers: String...) {
        self.headers = headers
    }

    mutating func add(_ cells: String...) {
        rows.append(cells.map(TerminalText.escape))
    }

    func render() -> HumanText {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            var out = ""
            for (index, cell) in cells.enumerated() {
                let isLast = index == cells.count - 1
                out += isLast ? cell : cell.padding(toLength: widths[index] + 2, withPad: " ", startingAt: 0)
            }
            return out
        }
        return HumanText(escaped: ([line(headers)] + rows.map(line)).joined(separator: "\n"))
    }
}
