/// Misspellings a person makes: one inserted, deleted, substituted or transposed letter.
public enum OneEdit {
    static let letters = Array("abcdefghijklmnopqrstuvwxyz")

    /// A name one random edit away from `name` (never `name` itself).
    public static func apply(to name: String, using rng: inout some RandomNumberGenerator) -> String {
        let original = Array(name)
        while true {
            var edited = original
            switch Int.random(in: 0..<4, using: &rng) {
            case 0:
                edited.insert(letters.randomElement(using: &rng)!, at: Int.random(in: 0...edited.count, using: &rng))
            case 1 where edited.count > 2:
                edited.remove(at: Int.random(in: 0..<edited.count, using: &rng))
            case 2 where !edited.isEmpty:
                edited[Int.random(in: 0..<edited.count, using: &rng)] = letters.randomElement(using: &rng)!
            case 3 where edited.count > 1:
                let position = Int.random(in: 0..<(edited.count - 1), using: &rng)
                edited.swapAt(position, position + 1)
            default:
                continue
            }
            if edited != original { return String(edited) }
        }
    }
}
