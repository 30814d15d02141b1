import AgoraCore

/// The tests' and benchmarks' name for the seeded generator the protocol machines use.
public typealias SeededGenerator = SplitMix64
