import Crypto

/// Noise `CipherState` for ChaChaPoly: a key and a 64-bit counter nonce. The counter
/// never wraps; reaching 2^64-1 (reserved by the spec) ends the session.
struct NoiseCipherState: Sendable {
    static let tagLength = 16

    private(set) var key: SymmetricKey?
    var nonce: UInt64 = 0

    init(key: SymmetricKey? = nil) {
        self.key = key
    }

    var hasKey: Bool { key != nil }

    /// 96-bit ChaChaPoly nonce: four zero bytes, then the counter little-endian.
    private func currentNonce() throws(NoiseError) -> ChaChaPoly.Nonce {
        guard nonce < UInt64.max else { throw .nonceExhausted }
        var bytes = [UInt8](repeating: 0, count: 12)
        for index in 0..<8 { bytes[4 + index] = UInt8(truncatingIfNeeded: nonce >> (8 * UInt64(index))) }
        do {
            return try ChaChaPoly.Nonce(data: bytes)
        } catch {
            preconditionFailure("a 12-byte ChaChaPoly nonce is always valid")
        }
    }

    mutating func encrypt<Plain: Collection>(associatedData: [UInt8], _ plaintext: Plain) throws(NoiseError) -> [UInt8]
    where Plain.Element == UInt8 {
        guard let key else { return Array(plaintext) }
        let nonceValue = try currentNonce()
        let box: ChaChaPoly.SealedBox
        do {
            box = try ChaChaPoly.seal(Array(plaintext), using: key, nonce: nonceValue, authenticating: associatedData)
        } catch {
            preconditionFailure("ChaChaPoly sealing with a valid key and nonce cannot fail: \(error)")
        }
        nonce += 1
        return Array(box.ciphertext) + Array(box.tag)
    }

    mutating func decrypt<Cipher: Collection>(associatedData: [UInt8], _ ciphertext: Cipher) throws(NoiseError) -> [UInt8]
    where Cipher.Element == UInt8 {
        guard let key else { return Array(ciphertext) }
        let bytes = Array(ciphertext)
        guard bytes.count >= Self.tagLength else { throw .frameTooShort(length: bytes.count) }
        let nonceValue = try currentNonce()
        let plaintext: [UInt8]
        do {
            let box = try ChaChaPoly.SealedBox(
                nonce: nonceValue, ciphertext: bytes[..<(bytes.count - Self.tagLength)], tag: bytes[(bytes.count - Self.tagLength)...]
            )
            plaintext = Array(try ChaChaPoly.open(box, using: key, authenticating: associatedData))
        } catch {
            throw .decryptionFailed
        }
        nonce += 1
        return plaintext
    }
}

/// Noise `SymmetricState` for SHA-256: chaining key, handshake hash and the current cipher.
struct NoiseSymmetricState: Sendable {
    static let protocolName = "Noise_XX_25519_ChaChaPoly_SHA256"

    private(set) var chainingKey: [UInt8]
    private(set) var handshakeHash: [UInt8]
    private var cipher = NoiseCipherState()

    init() {
        // The protocol name is exactly 32 bytes (HASHLEN), so it is used as is, not hashed.
        let name = Array(Self.protocolName.utf8)
        handshakeHash = name.count <= 32 ? name + [UInt8](repeating: 0, count: 32 - name.count) : Array(SHA256.hash(data: name))
        chainingKey = handshakeHash
    }

    mutating func mixHash<Bytes: Collection>(_ data: Bytes) where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(data: handshakeHash)
        hasher.update(data: Array(data))
        handshakeHash = Array(hasher.finalize())
    }

    mutating func mixKey(_ inputKeyMaterial: [UInt8]) {
        let (newChainingKey, tempKey) = Self.hkdf(chainingKey: chainingKey, inputKeyMaterial: inputKeyMaterial)
        chainingKey = newChainingKey
        cipher = NoiseCipherState(key: SymmetricKey(data: tempKey))
    }

    mutating func encryptAndHash<Plain: Collection>(_ plaintext: Plain) throws(NoiseError) -> [UInt8] where Plain.Element == UInt8 {
        let ciphertext = try cipher.encrypt(associatedData: handshakeHash, plaintext)
        mixHash(ciphertext)
        return ciphertext
    }

    mutating func decryptAndHash<Cipher: Collection>(_ ciphertext: Cipher) throws(NoiseError) -> [UInt8] where Cipher.Element == UInt8 {
        let plaintext = try cipher.decrypt(associatedData: handshakeHash, ciphertext)
        mixHash(ciphertext)
        return plaintext
    }

    var hasKey: Bool { cipher.hasKey }

    /// The two transport ciphers: initiator→responder first, responder→initiator second.
    func split() -> (NoiseCipherState, NoiseCipherState) {
        let (first, second) = Self.hkdf(chainingKey: chainingKey, inputKeyMaterial: [])
        return (NoiseCipherState(key: SymmetricKey(data: first)), NoiseCipherState(key: SymmetricKey(data: second)))
    }

    /// The Noise spec's HKDF with two outputs (HMAC-SHA256 extract, then expand by chaining).
    static func hkdf(chainingKey: [UInt8], inputKeyMaterial: [UInt8]) -> ([UInt8], [UInt8]) {
        let tempKey = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: inputKeyMaterial, using: SymmetricKey(data: chainingKey))))
        let first = Array(HMAC<SHA256>.authenticationCode(for: [0x01], using: tempKey))
        let second = Array(HMAC<SHA256>.authenticationCode(for: first + [0x02], using: tempKey))
        return (first, second)
    }
}
