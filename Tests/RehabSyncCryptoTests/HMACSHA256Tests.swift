import RehabSyncCrypto
import Testing

/// Vectors from RFC 4231 section 4.
struct HMACSHA256Tests {
    @Test func authenticatesRFC4231TestCase1() {
        let key = [UInt8](repeating: 0x0b, count: 20)
        let tag = HMACSHA256.authenticate(key: key, message: Array("Hi There".utf8))
        #expect(Hex.encode(tag) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    @Test func authenticatesRFC4231TestCase2() {
        let tag = HMACSHA256.authenticate(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(tag) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func authenticatesWithAnEmptyKeyAndMessage() {
        // Checked against Python's hmac module.
        let tag = HMACSHA256.authenticate(key: [UInt8](), message: [UInt8]())
        #expect(Hex.encode(tag) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }
}
