import RehabSyncCrypto
import Testing

struct BearerTokenTests {
    @Test func generatesPrefixedLowercaseHexOf32Bytes() throws {
        let token = try BearerToken.generate()
        #expect(token.hasPrefix("rs_"))
        let body = token.dropFirst(3)
        #expect(body.count == 64)
        #expect(body.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(try BearerToken.generate() != token)
    }

    @Test func hashIsTheSHA256HexOfTheToken() {
        #expect(BearerToken.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func aTokenMatchesItsStoredHash() throws {
        let token = try BearerToken.generate()
        #expect(BearerToken.matches(token, storedHash: BearerToken.hash(token)))
    }

    @Test func aDifferentTokenDoesNotMatch() throws {
        let token = try BearerToken.generate()
        let other = try BearerToken.generate()
        #expect(!BearerToken.matches(other, storedHash: BearerToken.hash(token)))
    }

    @Test(arguments: ["", "xyz", "ba7816bf", String(repeating: "0", count: 65)])
    func aMalformedStoredHashNeverMatches(storedHash: String) {
        #expect(!BearerToken.matches("abc", storedHash: storedHash))
    }
}
