import Foundation

/// A second OS process writing to the same LMDB environment: Python calling liblmdb through
/// ctypes (no Swift helper executable needed). It opens the environment, begins a write
/// transaction, puts `key`, prints `locked`, then either waits for a line on stdin and
/// commits (`hold`) or waits to be killed (`die`).
final class ForeignWriter {
    static let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var available: Bool {
        python != nil && ["/usr/lib/x86_64-linux-gnu/liblmdb.so.0", "/usr/lib/aarch64-linux-gnu/liblmdb.so.0", "/usr/lib/liblmdb.so.0"]
            .contains { FileManager.default.fileExists(atPath: $0) }
    }

    static let script = #"""
    import ctypes, sys
    path, db, key, mode, mapsize = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode(), sys.argv[4], int(sys.argv[5])
    lib = ctypes.CDLL("liblmdb.so.0")
    P = ctypes.c_void_p
    class Val(ctypes.Structure):
        _fields_ = [("mv_size", ctypes.c_size_t), ("mv_data", ctypes.c_void_p)]
    lib.mdb_env_create.argtypes = [ctypes.POINTER(P)]
    lib.mdb_env_set_maxdbs.argtypes = [P, ctypes.c_uint]
    lib.mdb_env_set_mapsize.argtypes = [P, ctypes.c_size_t]
    lib.mdb_env_open.argtypes = [P, ctypes.c_char_p, ctypes.c_uint, ctypes.c_int]
    lib.mdb_txn_begin.argtypes = [P, P, ctypes.c_uint, ctypes.POINTER(P)]
    lib.mdb_dbi_open.argtypes = [P, ctypes.c_char_p, ctypes.c_uint, ctypes.POINTER(ctypes.c_uint)]
    lib.mdb_put.argtypes = [P, ctypes.c_uint, ctypes.POINTER(Val), ctypes.POINTER(Val), ctypes.c_uint]
    lib.mdb_txn_commit.argtypes = [P]
    def check(rc, what):
        if rc != 0:
            print("error", what, rc, flush=True)
            sys.exit(1)
    env = P()
    check(lib.mdb_env_create(ctypes.byref(env)), "create")
    check(lib.mdb_env_set_maxdbs(env, 32), "maxdbs")
    check(lib.mdb_env_set_mapsize(env, mapsize), "mapsize")
    check(lib.mdb_env_open(env, path.encode(), 0x200000, 0o600), "open")
    txn = P()
    check(lib.mdb_txn_begin(env, None, 0, ctypes.byref(txn)), "begin")
    dbi = ctypes.c_uint()
    check(lib.mdb_dbi_open(txn, db, 0x40000, ctypes.byref(dbi)), "dbi")
    value = b"foreign"
    k = ctypes.create_string_buffer(key, len(key))
    v = ctypes.create_string_buffer(value, len(value))
    check(lib.mdb_put(txn, dbi, ctypes.byref(Val(len(key), ctypes.cast(k, P))), ctypes.byref(Val(len(value), ctypes.cast(v, P))), 0), "put")
    print("locked", flush=True)
    sys.stdin.readline()
    if mode == "die":
        import time
        time.sleep(3600)
    check(lib.mdb_txn_commit(txn), "commit")
    print("committed", flush=True)
    """#

    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffered = Data()

    init(path: String, database: String, key: String, mode: String, mapSize: Int) throws {
        process.executableURL = URL(fileURLWithPath: Self.python!)
        process.arguments = ["-c", Self.script, path, database, key, mode, String(mapSize)]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// The next line the helper prints; "" at end of output.
    func line() -> String {
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffered[..<newline], as: UTF8.self)
                buffered.removeSubrange(...newline)
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return "" }
            buffered.append(chunk)
        }
    }

    func proceed() {
        input.fileHandleForWriting.write(Data("go\n".utf8))
    }

    func killHard() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    var isRunning: Bool { process.isRunning }
}
