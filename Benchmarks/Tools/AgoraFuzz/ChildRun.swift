import Foundation

/// The child side of a campaign: runs one target on generated inputs until the deadline.
/// Before each input it copies the input into a shared mapping of `crashFile`, so when the
/// target traps and the kernel kills this process, the parent still finds the input there.
enum ChildRun {
    static func run(target: FuzzTarget, seed: UInt64, seconds: Double, crashFile: String) -> Never {
        let capacity = 8 + target.maxLength
        let fd = open(crashFile, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0, ftruncate(fd, off_t(capacity)) == 0,
            let mapping = mmap(nil, capacity, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), mapping != MAP_FAILED
        else {
            FileHandle.standardError.write(Data("agora-fuzz: cannot map \(crashFile)\n".utf8))
            exit(2)
        }
        let shared = mapping.bindMemory(to: UInt8.self, capacity: capacity)
        var mutator = Mutator(seed: seed, seeds: target.seeds(), maxLength: target.maxLength)
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int64(seconds * 1000))
        var count: UInt64 = 0
        while true {
            // Checking the clock every input would dominate the cheap targets.
            if count % 256 == 0, clock.now >= deadline { break }
            let input = mutator.next()
            var length = UInt64(input.count).littleEndian
            withUnsafeBytes(of: &length) { UnsafeMutableRawPointer(shared).copyMemory(from: $0.baseAddress!, byteCount: 8) }
            input.withUnsafeBufferPointer { (shared + 8).update(from: $0.baseAddress!, count: input.count) }
            target.run(input)
            count += 1
        }
        print("inputs \(count)")
        fflush(nil)
        exit(0)
    }
}
