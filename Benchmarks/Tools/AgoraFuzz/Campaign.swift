import Foundation

/// The parent side: runs each target in a child process for its share of the time,
/// restarts a child that crashed (with the next seed) and saves the input that killed it.
struct Campaign {
    struct Result {
        var target: String
        var inputs: UInt64 = 0
        var seconds: Double = 0
        var crashes: [String] = []
    }

    let executable: String
    let seconds: Double
    let seed: UInt64
    let crashDirectory: URL

    func run(_ target: FuzzTarget) throws -> Result {
        var result = Result(target: target.name)
        var childSeed = seed
        let started = Date()
        try FileManager.default.createDirectory(at: crashDirectory, withIntermediateDirectories: true)
        while true {
            let left = seconds - Date().timeIntervalSince(started)
            guard left > 0.05 else { break }
            let scratch = crashDirectory.appendingPathComponent(".current-\(target.name)-\(getpid())")
            let child = Process()
            child.executableURL = URL(fileURLWithPath: executable)
            child.arguments = ["--child", target.name, "--seed", String(childSeed), "--seconds", String(left), "--crash-file", scratch.path]
            // The runtime's backtracer would spend seconds on every crash; the saved input is
            // what matters, and `--replay` reproduces it under a debugger.
            child.environment = ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { $1 }
            let output = Pipe()
            child.standardOutput = output
            try child.run()
            let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            child.waitUntilExit()
            if child.terminationReason == .exit, child.terminationStatus == 0,
                let line = printed.split(separator: "\n").last, line.hasPrefix("inputs "), let count = UInt64(line.dropFirst(7))
            {
                result.inputs += count
            } else {
                result.crashes.append(try saveCrash(target: target.name, seed: childSeed, scratch: scratch, status: child.terminationStatus))
            }
            try? FileManager.default.removeItem(at: scratch)
            childSeed &+= 1
        }
        result.seconds = Date().timeIntervalSince(started)
        return result
    }

    /// Copies the input the child was running when it died out of the shared file.
    private func saveCrash(target: String, seed: UInt64, scratch: URL, status: Int32) throws -> String {
        let bytes = (try? Data(contentsOf: scratch)) ?? Data()
        let length = bytes.count >= 8 ? Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian }) : 0
        let input = bytes.dropFirst(8).prefix(length)
        let file = crashDirectory.appendingPathComponent("\(target)-seed\(seed).bin")
        try Data(input).write(to: file)
        FileHandle.standardError.write(Data("crash: target \(target) seed \(seed) signal/status \(status), input (\(input.count) bytes) saved to \(file.path)\n".utf8))
        return file.path
    }
}
