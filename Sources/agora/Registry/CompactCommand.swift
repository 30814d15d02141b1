import AgoraRegistry
import ArgumentParser

struct CompactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Rewrite the store without its free pages (LMDB never shrinks its file by itself).",
        discussion: "Copies the store compacted, then swaps the copy in atomically. Exits 6 while another agora process has the store open.")

    @OptionGroup var options: HomeOptions

    struct Report: Encodable {
        let bytesBefore: UInt64
        let bytesAfter: UInt64
    }

    func run() throws {
        try reportingFailures {
            let report = try Registry.compact(home: options.home, writerLock: options.writerLock)
            if options.json {
                try JSONOutput.print(Report(bytesBefore: report.bytesBefore, bytesAfter: report.bytesAfter))
            } else {
                say("store  \(report.bytesBefore / 1_000_000) MB → \(report.bytesAfter / 1_000_000) MB")
            }
        }
    }
}
