import AgoraRegistry
import ArgumentParser
import Foundation

/// Exit codes scripts can rely on; usage errors are ArgumentParser's 64.
enum Exit {
    static let failure: Int32 = 1
    static let notFound: Int32 = 3
    static let integrity: Int32 = 4
    static let untrusted: Int32 = 5
    static let conflict: Int32 = 6
    static let storage: Int32 = 7

    static let help = """
        Exit codes: 0 success, 1 error, 3 not found, 4 integrity or audit failure, \
        5 untrusted (contested scope without a pin), 6 conflict (immutable version), 7 storage, 64 usage.
        """
}

/// Runs a command body, turning failures into one `error:` line on stderr and a specific exit code.
func reportingFailures(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as RegistryError {
        printError(error.description)
        let code: Int32 = switch error.code {
        case .invalidInput: Exit.failure
        case .notFound: Exit.notFound
        case .integrity: Exit.integrity
        case .untrusted: Exit.untrusted
        case .conflict: Exit.conflict
        case .storage: Exit.storage
        }
        throw ExitCode(code)
    } catch let error as ExitCode {
        throw error
    } catch {
        printError("\(error)")
        throw ExitCode(Exit.failure)
    }
}

/// Error messages are ours but carry names, paths and reasons from elsewhere: every line is
/// escaped (`TerminalText`), the line breaks our messages use are kept.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("error: \(TerminalText.escapeKeepingLines(message))\n".utf8))
}

struct HomeOptions: ParsableArguments {
    @Option(name: .customLong("home"), help: "The Agora home (default: $AGORA_HOME, else ~/.agora).")
    var path: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    var home: AgoraHome {
        path.map { AgoraHome(url: URL(fileURLWithPath: $0, isDirectory: true)) } ?? AgoraHome.fromEnvironment()
    }

    func openRegistry() throws -> Registry {
        try Registry(home: home)
    }
}
