import RehabSyncCrypto
import Testing

struct SecureRandomTests {
    @Test(arguments: [0, 1, 16, 32, 1_000])
    func returnsTheRequestedNumberOfBytes(count: Int) throws {
        #expect(try SecureRandom.bytes(count).count == count)
    }

    @Test func twoCallsReturnDifferentBytes() throws {
        // Equal 32-byte outputs would have probability 2^-256.
        let first = try SecureRandom.bytes(32)
        let second = try SecureRandom.bytes(32)
        #expect(first != second)
    }
}
