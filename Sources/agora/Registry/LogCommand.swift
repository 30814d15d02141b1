import AgoraRegistry
import ArgumentParser
import Foundation

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log", abstract: "Page through the local log in local order: the changes feed for mirrors and auditors.")

    @OptionGroup var options: HomeOptions

    @Option(help: "Start after this local sequence number.")
    var since: UInt64 = 0

    @Option(help: "At most this many entries.")
    var limit = 100

    func run() throws {
        try reportingFailures {
            let page = try options.openRegistry().log(since: since, limit: limit)
            if options.json {
                try JSONOutput.print(page)
                return
            }
            var table = Table("SEQ", "AUTHOR", "FEED", "KIND", "SUMMARY")
            for entry in page.entries {
                table.add("\(entry.localSeq)", String(entry.author.prefix(16)), "\(entry.seq)", entry.kind, entry.summary)
            }
            say(table.render())
            if let next = page.next { say("more: agora log --since \(next)") }
        }
    }
}
