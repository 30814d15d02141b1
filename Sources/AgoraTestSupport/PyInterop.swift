import Foundation

/// What the py-libp2p harnesses under tools/interop share: the venv's python (the test command
/// sets `AGORA_INTEROP_PYTHON`), the scripts' location, and a bounded way to end a child.
public enum PyInterop {
    public static var python: String? {
        guard let path = ProcessInfo.processInfo.environment["AGORA_INTEROP_PYTHON"], !path.isEmpty else { return nil }
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// tools/interop/`name` in this checkout.
    public static func script(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tools/interop").appendingPathComponent(name)
    }

    /// Reads `handle` on a thread of its own until end of file, calling `line` with each
    /// newline-terminated line (without the newline), then `ended`.
    public static func readLines(
        _ handle: FileHandle, line: @escaping @Sendable (Data) -> Void, ended: @escaping @Sendable () -> Void
    ) {
        Thread.detachNewThread {
            var buffer = Data()
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                buffer.append(data)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    line(Data(buffer[buffer.startIndex..<newline]))
                    buffer.removeSubrange(buffer.startIndex...newline)
                }
            }
            ended()
        }
    }

    /// Closes the child's stdin, asks it to end, and kills it after 5 s.
    public static func stop(_ process: Process, input: Pipe) {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        for _ in 0..<50 where process.isRunning { usleep(100_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
