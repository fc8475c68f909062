import RehabSyncCrypto
import Testing

/// Vectors from FIPS 180-4's examples (NIST CSRC "SHA256.pdf").
struct SHA256DigestTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func hashesTheNISTVectors(message: String, expected: String) {
        #expect(Hex.encode(SHA256Digest.hash(Array(message.utf8))) == expected)
        #expect(SHA256Digest.hex(Array(message.utf8)) == expected)
    }

    @Test func hashesANonContiguousCollection() {
        // A lazy map has no contiguous storage, so this takes the copying path.
        let message = Array("abc".utf8).lazy.map { $0 }
        #expect(SHA256Digest.hex(message) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func incrementalHashingOfAMillionAsMatchesTheNISTVector() {
        var hasher = SHA256Hasher()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000)
        for _ in 0..<1_000 {
            hasher.update(chunk)
        }
        #expect(Hex.encode(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func incrementalHashingAgreesWithOneShotAcrossUnevenPieces() {
        let message = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        var hasher = SHA256Hasher()
        hasher.update(message[0..<1])
        hasher.update([UInt8]())
        hasher.update(message[1..<30])
        hasher.update(message[30...])
        #expect(hasher.finalize() == SHA256Digest.hash(message))
    }
}
