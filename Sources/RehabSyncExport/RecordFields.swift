import RehabSyncCore
import RehabSyncDomain

/// What the aggregator asks of a record: a field's provisional value, the device time of
/// the write that set it, and a date field read as a date. Two sources answer: a view over
/// scanned canonical bytes (the export's fast path, decoding on demand) and a decoded state.
public protocol RecordFields {
    func value(_ name: String) -> JSONValue?
    func wall(_ name: String) -> Int64?
    /// The field as a `YYYY-MM-DD` date, nil when absent or not a date.
    func date(_ name: String) -> CivilDate?
    /// Whether the field is a string equal to `text`, without making a string.
    func equals(_ name: String, _ text: StaticString) -> Bool
}

extension RecordFields {
    public func date(_ name: String) -> CivilDate? { value(name)?.stringValue.flatMap { CivilDate(iso: $0) } }

    public func equals(_ name: String, _ text: StaticString) -> Bool {
        guard let value = value(name)?.stringValue else { return false }
        return text.withUTF8Buffer { value.utf8.elementsEqual($0) }
    }
}

/// The fields of a decoded state.
public struct DecodedRecordFields: RecordFields {
    public let state: RecordState

    public init(state: RecordState) {
        self.state = state
    }

    public func value(_ name: String) -> JSONValue? { state[name]?.provisional.value }
    public func wall(_ name: String) -> Int64? { state[name]?.provisional.wallMilliseconds }
}

/// The fields of a state found by ``CanonicalStateScanner``, read from the borrowed bytes
/// only when asked: valid during the scan's callback only.
public struct ScannedRecordFields: RecordFields {
    let bytes: UnsafeRawBufferPointer
    let names: [String]
    let slots: [CanonicalStateScanner.Slot]

    private func slot(_ name: String) -> CanonicalStateScanner.Slot? {
        guard let index = names.firstIndex(of: name), slots[index].start >= 0 else { return nil }
        return slots[index]
    }

    public func value(_ name: String) -> JSONValue? {
        guard let slot = slot(name) else { return nil }
        return try? CanonicalStateScanner.Cursor(bytes: bytes).value(slot.start..<slot.end)
    }

    public func wall(_ name: String) -> Int64? { slot(name)?.wall }

    public func date(_ name: String) -> CivilDate? {
        // `"YYYY-MM-DD"`: twelve bytes, read in place.
        guard let slot = slot(name), slot.end - slot.start == 12, bytes[slot.start] == UInt8(ascii: "\""),
              bytes[slot.start + 5] == UInt8(ascii: "-"), bytes[slot.start + 8] == UInt8(ascii: "-")
        else { return nil }
        func number(_ offset: Int, _ count: Int) -> Int? {
            var value = 0
            for index in (slot.start + offset)..<(slot.start + offset + count) {
                let byte = bytes[index]
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(1, 4), let month = number(6, 2), let day = number(9, 2) else { return nil }
        return CivilDate(year: year, month: month, day: day)
    }

    public func equals(_ name: String, _ text: StaticString) -> Bool {
        guard let slot = slot(name), slot.end - slot.start == text.utf8CodeUnitCount + 2, bytes[slot.start] == UInt8(ascii: "\"") else { return false }
        let start = text.utf8Start
        for offset in 0..<text.utf8CodeUnitCount where bytes[slot.start + 1 + offset] != start[offset] { return false }
        return true
    }
}
