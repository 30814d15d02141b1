import AgoraRegistry
import AgoraStore
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
    } catch let error as ExitCode {
        throw error
    } catch {
        let failure = Failure(error)
        printError(failure.message)
        throw ExitCode(failure.code)
    }
}

/// `reportingFailures` for the asynchronous (network) commands.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        let failure = Failure(error)
        printError(failure.message)
        throw ExitCode(failure.code)
    }
}

/// An error as the CLI reports it: one line a person can act on and the README's exit code.
/// Every error type that can reach a command is classified here, so nothing prints as a raw
/// NSError or LMDB dump and a storage fault is never mistaken for an integrity failure.
struct Failure {
    let message: String
    let code: Int32

    init(_ error: Error) {
        switch error {
        case let error as RegistryError:
            message = error.description
            code = switch error.code {
            case .invalidInput: Exit.failure
            case .notFound: Exit.notFound
            case .integrity: Exit.integrity
            case .untrusted: Exit.untrusted
            case .conflict: Exit.conflict
            case .storage: Exit.storage
            }
        case let error as StoreError:
            message = error.description
            code = switch error {
            case .blobDigestMismatch, .corrupt: Exit.integrity
            case .blobTooLarge: Exit.failure
            case .busy: Exit.conflict
            case .lmdb, .unopenable, .truncated, .storeFull, .diskFull, .layoutTooNew, .migrationsIncomplete,
                 .migrationOutOfOrder, .noViewMaintainer: Exit.storage
            }
        default:
            if let text = NetworkErrorText.describe(error) {
                message = text
                code = Exit.failure
                return
            }
            let nsError = error as NSError
            if nsError.domain == NSCocoaErrorDomain || nsError.domain == NSPOSIXErrorDomain {
                let path = nsError.userInfo[NSFilePathErrorKey] as? String
                message = (path.map { "\($0): " } ?? "") + FileErrorReason.of(error)
                code = Exit.storage
            } else {
                message = "\(error)"
                code = Exit.failure
            }
        }
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

    /// Writers print a notice on stderr while they wait for another process's write lock.
    /// `AGORA_LOCK_TIMEOUT` (seconds) bounds the wait; scripts and tests shorten it.
    var writerLock: WriterLockPolicy {
        var policy = WriterLockPolicy(notice: { FileHandle.standardError.write(Data("note: \($0)\n".utf8)) })
        if let text = ProcessInfo.processInfo.environment["AGORA_LOCK_TIMEOUT"], let seconds = Double(text), seconds.isFinite, seconds >= 0 {
            policy.timeout = .milliseconds(Int64(min(seconds, 86_400) * 1000))
        }
        return policy
    }

    func openRegistry() throws -> Registry {
        try Registry(home: home, writerLock: writerLock, notice: Self.storeNotice)
    }

    /// A views rebuild on open, on stderr like the lock wait: stdout stays the command's output.
    static func storeNotice(_ notice: StoreNotice) {
        FileHandle.standardError.write(Data("note: \(notice)\n".utf8))
    }
}
