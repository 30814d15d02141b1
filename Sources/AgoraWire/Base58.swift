/// Bitcoin-alphabet base58, the text form of libp2p peer IDs and multibase 'z'.
///
/// The conversion is quadratic in the input length, so decoding takes a caller limit
/// to keep hostile input from costing unbounded CPU.
public enum Base58 {
    public enum DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
        case invalidCharacter(Character)
        case tooLong(length: Int, limit: Int)

        public var description: String {
            switch self {
            case .invalidCharacter(let c): return "base58: invalid character \(String(reflecting: c))"
            case .tooLong(let length, let limit): return "base58: text of \(length) characters exceeds the limit of \(limit)"
            }
        }
    }

    private static let alphabet: [UInt8] = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)

    private static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = Int8(index) }
        return table
    }()

    public static func encode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let input = Array(bytes)
        let zeros = input.prefix { $0 == 0 }.count
        // log(256)/log(58) ≈ 1.366, so this many base58 digits always suffice.
        var digits = [UInt8](repeating: 0, count: (input.count - zeros) * 138 / 100 + 1)
        var used = 0
        for byte in input[zeros...] {
            var carry = Int(byte)
            var index = 0
            while carry != 0 || index < used {
                let position = digits.count - 1 - index
                carry += 256 * Int(digits[position])
                digits[position] = UInt8(carry % 58)
                carry /= 58
                index += 1
            }
            used = index
        }
        var out = [UInt8](repeating: alphabet[0], count: zeros)
        out.reserveCapacity(zeros + used)
        for digit in digits[(digits.count - used)...] { out.append(alphabet[Int(digit)]) }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: some StringProtocol, maxLength: Int = 1024) throws(DecodeError) -> [UInt8] {
        let utf8 = Array(text.utf8)
        guard utf8.count <= maxLength else { throw .tooLong(length: utf8.count, limit: maxLength) }
        let ones = utf8.prefix { $0 == alphabet[0] }.count
        // log(58)/log(256) ≈ 0.733
        var bytes = [UInt8](repeating: 0, count: (utf8.count - ones) * 733 / 1000 + 1)
        var used = 0
        for char in utf8[ones...] {
            let value = reverse[Int(char)]
            guard value >= 0 else { throw .invalidCharacter(Character(Unicode.Scalar(char))) }
            var carry = Int(value)
            var index = 0
            while carry != 0 || index < used {
                let position = bytes.count - 1 - index
                carry += 58 * Int(bytes[position])
                bytes[position] = UInt8(carry & 0xff)
                carry >>= 8
                index += 1
            }
            used = index
        }
        return [UInt8](repeating: 0, count: ones) + bytes[(bytes.count - used)...]
    }
}
