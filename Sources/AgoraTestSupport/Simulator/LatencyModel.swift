import Foundation

/// One-way message delays for the simulator, in microseconds.
public enum LatencyModel: Sendable, Equatable {
    /// Every message takes exactly this long (the "20 ms links").
    case fixed(oneWayMilliseconds: Int)
    /// Nodes spread over six regions with inter-region round-trip times of the order public
    /// ping tables show between cloud regions (e.g. US-East–Europe ≈ 85 ms, Europe–Asia ≈
    /// 200 ms), plus a per-node access delay (exponential, mean 5 ms one way) and ±10% jitter
    /// per message. An approximation of the Internet's shape, not a measurement of it.
    case regions

    /// Share of nodes per region: North America east, west, Europe, Asia, South America, Oceania.
    static let regionWeights: [Double] = [0.2, 0.15, 0.3, 0.2, 0.05, 0.1]
    /// Round-trip times between regions, in milliseconds (symmetric).
    static let regionRTT: [[Double]] = [
        [20, 70, 85, 200, 120, 200],
        [70, 20, 150, 120, 180, 160],
        [85, 150, 25, 200, 200, 280],
        [200, 120, 200, 60, 300, 110],
        [120, 180, 200, 300, 40, 300],
        [200, 160, 280, 110, 300, 30],
    ]

    /// Places a node: its region and its access delay (µs), drawn from `generator`.
    static func place(using generator: inout some RandomNumberGenerator) -> (region: UInt8, accessMicroseconds: Int32) {
        var draw = Double.random(in: 0..<1, using: &generator)
        var region = 0
        for (index, weight) in regionWeights.enumerated() {
            region = index
            if draw < weight { break }
            draw -= weight
        }
        let uniform = Double.random(in: Double.ulpOfOne..<1, using: &generator)
        let access = min(-5000 * log(uniform), 100_000)
        return (UInt8(region), Int32(access))
    }

    func oneWay(from a: (region: UInt8, access: Int32), to b: (region: UInt8, access: Int32), using generator: inout some RandomNumberGenerator) -> Int64 {
        switch self {
        case .fixed(let milliseconds):
            return Int64(milliseconds) * 1000
        case .regions:
            let base = Self.regionRTT[Int(a.region)][Int(b.region)] * 500 + Double(a.access) + Double(b.access)
            return Int64(base * Double.random(in: 0.9...1.1, using: &generator))
        }
    }
}
