import RehabSyncCrypto
import Testing

struct HexTests {
    @Test func encodesLowercase() {
        #expect(Hex.encode([0x00, 0x0f, 0xa5, 0xff]) == "000fa5ff")
        #expect(Hex.encode([UInt8]()) == "")
    }

    @Test func roundTripsEveryByteValue() {
        let bytes = (0...255).map { UInt8($0) }
        #expect(Hex.decode(Hex.encode(bytes)) == bytes)
    }

    @Test func decodesUppercase() {
        #expect(Hex.decode("A5FF") == [0xa5, 0xff])
    }

    @Test(arguments: ["a", "abc", "0g", "zz", " 00", "00 ", "+1", "ä0"])
    func refusesOddLengthOrNonHexText(text: String) {
        #expect(Hex.decode(text) == nil)
    }
}
