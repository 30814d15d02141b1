import Testing
import AgoraStore
import AgoraTestSupport
@testable import AgoraViews

@Suite struct EditDistanceTests {
    @Test func distances() {
        #expect(EditDistance.distance("requests", "requests", max: 2) == 0)
        #expect(EditDistance.distance("requests", "reqeusts", max: 2) == 1)
        #expect(EditDistance.distance("requests", "request", max: 2) == 1)
        #expect(EditDistance.distance("requests", "requestss", max: 2) == 1)
        #expect(EditDistance.distance("requests", "requezts", max: 2) == 1)
        #expect(EditDistance.distance("kitten", "sitting", max: 3) == 3)
        #expect(EditDistance.distance("ca", "abc", max: 5) == 3)
        #expect(EditDistance.distance("", "abc", max: 3) == 3)
        #expect(EditDistance.distance("naïve", "naive", max: 1) == 1)
        #expect(EditDistance.distance("abc", "xyz", max: Int.max) == 3)
    }

    @Test func exitsEarlyBeyondTheBound() {
        #expect(EditDistance.distance("kitten", "sitting", max: 2) == nil)
        #expect(EditDistance.distance("a", "abcdef", max: 2) == nil)
        #expect(EditDistance.distance(String(repeating: "a", count: 5000), String(repeating: "b", count: 5000), max: 1) == nil)
    }

    @Test func agreesWithAFullTable() {
        var rng = SeededGenerator(seed: 11)
        let alphabet = Array("abc")
        for _ in 0..<500 {
            let a = String((0..<Int.random(in: 0...6, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let b = String((0..<Int.random(in: 0...6, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let full = fullOSA(Array(a), Array(b))
            #expect(EditDistance.distance(a, b, max: 10) == full)
            #expect(EditDistance.distance(a, b, max: 1) == (full <= 1 ? full : nil))
            #expect((EditDistance.singleEdit(from: a, to: b) != nil) == (full == 1))
        }
    }

    @Test func classifiesSingleEdits() {
        #expect(EditDistance.singleEdit(from: "reqeusts", to: "requests") == .transposition)
        #expect(EditDistance.singleEdit(from: "requezts", to: "requests") == .substitution)
        #expect(EditDistance.singleEdit(from: "reqests", to: "requests") == .insertion)
        #expect(EditDistance.singleEdit(from: "requestss", to: "requests") == .deletion)
        #expect(EditDistance.singleEdit(from: "requests", to: "requests") == nil)
        #expect(EditDistance.singleEdit(from: "abc", to: "cba") == nil)
    }

    /// The textbook O(n·m) table, as an oracle.
    private func fullOSA(_ a: [Character], _ b: [Character]) -> Int {
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        if a.isEmpty || b.isEmpty { return d[a.count][b.count] }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
