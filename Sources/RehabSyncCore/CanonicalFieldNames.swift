/// Names of the fields a one-pass check (``CanonicalStateCheck``) decodes, as bytes, built
/// once: a pull page checks thousands of states against the same few names, and turning
/// a set of strings into bytes for each state cost more than checking a field.
public struct CanonicalFieldNames: Sendable {
    let names: [[UInt8]]

    public init(_ names: Set<String>) {
        self.names = names.sorted().map { Array($0.utf8) }
    }

    /// No field: a check that decodes nothing.
    public static let none = CanonicalFieldNames([])

    /// Whether `name`, the bytes at `range` of `buffer`, is one of these names.
    func contains(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        for candidate in names where candidate.count == range.count {
            let same = candidate.withUnsafeBytes { bytes in
                bytes.baseAddress.map { CanonicalStateCheck.equal(buffer, at: range.lowerBound, $0, range.count) } ?? true
            }
            if same { return true }
        }
        return false
    }
}
