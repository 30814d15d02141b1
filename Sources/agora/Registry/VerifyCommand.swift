import AgoraRegistry
import ArgumentParser

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Audit the store: hash chains and signatures, then rebuild every view from the log and compare.",
        discussion: "By default one signature per feed head authenticates its whole chain; --deep checks every event's signature and re-hashes every stored archive. Exits 4 naming the first bad event or archive chunk, 7 when the store cannot be opened or read.")

    @OptionGroup var options: HomeOptions

    @Flag(help: "Check every event's own signature and re-hash every stored archive too.")
    var deep = false

    func run() throws {
        try reportingFailures {
            let report = try options.openRegistry().audit(deep: deep)
            if options.json {
                try JSONOutput.print(report)
            } else {
                let rate = report.chainSeconds > 0 ? Int(Double(report.events) / report.chainSeconds) : 0
                say("log    \(report.events) events in \(report.feeds) feeds, \(report.signaturesChecked) signatures checked\(deep ? " (deep)" : ""), \(String(format: "%.3f", report.chainSeconds)) s (\(rate) events/s)")
                if report.viewsChecked {
                    say("views  rebuilt from the log in \(String(format: "%.3f", report.viewsSeconds)) s: \(report.viewsEqual ? "identical to the live views" : "DIFFERENT")")
                } else {
                    say("views  not rebuilt: the log failed its checks")
                }
                say(report.problem.map { "FAILED: \($0)" } ?? "OK")
            }
            if !report.ok { throw ExitCode(Exit.integrity) }
        }
    }
}
