import RehabSyncCore
import RehabSyncReplica
import Testing

struct PullPageTests {
    @Test(arguments: [
        (#"{"hasMore":true,"nextCursor":5000,"records":[]}"#, true, Int64(5000)),
        (#"{"hasMore":false,"nextCursor":0,"records":[]}"#, false, Int64(0)),
    ])
    func theCursorIsReadFromAPagesOpeningBytes(body: String, hasMore: Bool, cursor: Int64) throws {
        let peeked = try #require(PullPage.cursor(peekingAt: Array(body.utf8)))
        let decoded = try PullPage(decoding: Array(body.utf8), cursor: -1)
        #expect(peeked.hasMore == hasMore && peeked.nextCursor == cursor)
        #expect(peeked.hasMore == decoded.hasMore && peeked.nextCursor == decoded.nextCursor)
    }

    @Test(arguments: [
        #"{"nextCursor":5,"hasMore":true,"records":[]}"#,
        #"{ "hasMore":true,"nextCursor":5,"records":[]}"#,
        #"{"hasMore":true,"nextCursor":-5,"records":[]}"#,
        #"{"hasMore":true,"nextCursor":5"#,
        #"{"hasMore":true,"nextCursor":99999999999999999999,"records":[]}"#,
        "",
    ])
    func aPageInAnotherShapeIsLeftToTheFullDecode(body: String) {
        #expect(PullPage.cursor(peekingAt: Array(body.utf8)) == nil)
    }
}
