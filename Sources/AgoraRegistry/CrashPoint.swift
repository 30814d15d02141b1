import Foundation

/// A test hook for the kill-at-every-step tests: when `AGORA_TEST_CRASH_AT` names a point,
/// the process ends there with `_exit(CrashPoint.exitCode)` — no cleanup, no buffered output,
/// as close to `kill -9` as a process can do to itself at a chosen instant.
///
/// Points: `init.feed-head-written`, `rotate.key-written`, `append.committed`,
/// `rotate.committed`, `rotate.retired`, `rotate.head-switched`, `install.verified`,
/// `install.locked-entries`, `install.staged`, `install.moved-aside`, `install.swapped`.
/// Nothing else reads the variable; it is read once per process.
enum CrashPoint {
    static let variable = "AGORA_TEST_CRASH_AT"
    static let exitCode: Int32 = 86
    private static let target = ProcessInfo.processInfo.environment[variable]

    static func reach(_ name: String) {
        if target == name { _exit(exitCode) }
    }
}
