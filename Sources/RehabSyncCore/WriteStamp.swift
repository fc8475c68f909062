/// What one local write carries besides its values: the new dot and the metadata
/// that audit and display need.
public struct WriteStamp: Hashable, Sendable {
    public let dot: Dot
    public let hlc: HLCTimestamp
    public let author: String
    public let wallMilliseconds: Int64

    public init(dot: Dot, hlc: HLCTimestamp, author: String, wallMilliseconds: Int64) {
        self.dot = dot
        self.hlc = hlc
        self.author = author
        self.wallMilliseconds = wallMilliseconds
    }
}
