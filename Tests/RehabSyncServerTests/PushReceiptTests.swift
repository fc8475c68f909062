import RehabSyncCore
@testable import RehabSyncServer
import Testing

/// The push receipt's bytes, written directly, are its canonical JSON.
struct PushReceiptTests {
    @Test("a receipt's strings are written as the canonical writer writes them, escapes included", arguments: [
        "", "p1", "carePlans", "plan-SE2321000016-U0-12345", #"a"b"#, #"back\slash"#, "line\nbreak\u{1}", "åäö-långt-id-över-åtta-byte", "1234567\"",
    ])
    func stringsMatchTheCanonicalWriter(text: String) {
        var direct = CanonicalWriter()
        SyncService.PushReceipt.appendString(text, to: &direct)
        var canonical = CanonicalWriter()
        canonical.appendString(text)
        #expect(direct.bytes == canonical.bytes)
    }
}
