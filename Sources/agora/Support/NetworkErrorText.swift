import NIOCore
import NIOPosix

/// SwiftNIO's connection errors in words: which address could not be reached and the OS's
/// reason, instead of NIO's nested error dump.
enum NetworkErrorText {
    static func describe(_ error: Error) -> String? {
        switch error {
        case let error as NIOConnectionError:
            if let dns = error.dnsAError ?? error.dnsAAAAError {
                return "cannot resolve \(error.host): \(describe(dns) ?? "\(dns)")"
            }
            let reasons = Set(error.connectionErrors.map { describe($0.error) ?? "\($0.error)" }).sorted()
            return "cannot connect to \(error.host) port \(error.port): "
                + (reasons.isEmpty ? "no address to try" : reasons.joined(separator: "; "))
        case let error as IOError:
            return String(cString: strerror(error.errnoCode))
        case ChannelError.connectTimeout(let timeout):
            return "no answer within \(timeout.nanoseconds / 1_000_000) ms"
        default:
            return nil
        }
    }
}
