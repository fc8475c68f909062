import Foundation
import RehabSyncCore

/// Reads the provisional value (and its device time) of a few named fields straight from a
/// record state's canonical bytes, without decoding the whole state: the export reads every
/// record of the database and needs five or six fields of each.
///
/// It relies on the canonical form the store guarantees (keys sorted, no whitespace):
/// `{"context":{...},"fields":{"<name>":[{"author":"…","dot":["<replica>",n],"hlc":[ms,l],"value":…,"wall":ms},…],…}}`
/// and picks, like ``RecordState``, the sibling with the greatest `(hlc, replica, counter)`.
/// Bytes that are not in that form throw; nothing is trusted to be in bounds.
public struct CanonicalStateScanner: Sendable {
    /// The provisional value of one field and the wall time of the write that set it.
    public struct Field: Hashable, Sendable {
        public let value: JSONValue
        public let wallMilliseconds: Int64
    }

    /// Malformed state bytes (a file altered outside RehabSync).
    public struct Malformed: Error, Hashable, Sendable {
        public let offset: Int
    }

    /// Where the provisional value of a wanted field lies in the bytes, and its wall time;
    /// `start` is -1 when the state has no such field.
    public struct Slot: Hashable, Sendable {
        public var start = -1
        public var end = -1
        public var wall: Int64 = 0

        public init() {}

        init(start: Int, end: Int, wall: Int64) {
            self.start = start
            self.end = end
            self.wall = wall
        }
    }

    /// The fields to read, sorted by name; slot `i` answers for `names[i]`.
    public let names: [String]
    /// The same names as bytes, for comparing without making strings.
    private let nameBytes: [[UInt8]]

    public init(wanted: Set<String>) {
        names = wanted.sorted()
        nameBytes = names.map { Array($0.utf8) }
    }

    /// The provisional values of the wanted fields, by name (decoded now, for callers that
    /// keep them).
    public func scan(_ bytes: UnsafeRawBufferPointer) throws(Malformed) -> [String: Field] {
        var slots = [Slot](repeating: Slot(), count: names.count)
        try scan(bytes, into: &slots)
        var result: [String: Field] = [:]
        for (index, slot) in slots.enumerated() where slot.start >= 0 {
            result[names[index]] = Field(value: try Cursor(bytes: bytes).value(slot.start..<slot.end), wallMilliseconds: slot.wall)
        }
        return result
    }

    /// Finds where each wanted field's provisional value lies, decoding nothing: a reader
    /// then decodes only what it needs (a date first, and nothing more for another month).
    public func scan(_ bytes: UnsafeRawBufferPointer, into slots: inout [Slot]) throws(Malformed) {
        for index in slots.indices { slots[index] = Slot() }
        var cursor = Cursor(bytes: bytes)
        try cursor.expect(#"{"context":"#)
        try cursor.skipValue()
        try cursor.expect(#","fields":{"#)
        if cursor.peek() == UInt8(ascii: "}") { return }
        while true {
            let name = try cursor.stringRange()
            try cursor.expect(":[")
            let wantedIndex = nameBytes.firstIndex { cursor.equals(name, $0) }
            let isWanted = wantedIndex != nil
            var best: (ms: Int64, logical: Int64, replica: Range<Int>, counter: Int64, value: Range<Int>, wall: Int64)?
            while true {
                try cursor.expect(#"{"author":"#)
                _ = try cursor.stringRange()
                try cursor.expect(#","dot":["#)
                let replica = try cursor.stringRange()
                try cursor.expect(",")
                let counter = try cursor.integer()
                try cursor.expect(#"],"hlc":["#)
                let milliseconds = try cursor.integer()
                try cursor.expect(",")
                let logical = try cursor.integer()
                try cursor.expect(#"],"value":"#)
                let start = cursor.index
                try cursor.skipValue()
                let value = start..<cursor.index
                try cursor.expect(#","wall":"#)
                let wall = try cursor.integer()
                try cursor.expect("}")
                if isWanted {
                    let candidate = (milliseconds, logical, replica, counter, value, wall)
                    if let current = best {
                        let order = cursor.compare(candidate.2, current.replica)
                        if (candidate.0, candidate.1) > (current.ms, current.logical)
                            || ((candidate.0, candidate.1) == (current.ms, current.logical) && (order > 0 || (order == 0 && candidate.3 > current.counter))) {
                            best = candidate
                        }
                    } else {
                        best = candidate
                    }
                }
                guard try cursor.next() == UInt8(ascii: ",") else { break }
            }
            if let best, let wantedIndex {
                slots[wantedIndex] = Slot(start: best.value.lowerBound, end: best.value.upperBound, wall: best.wall)
            }
            guard try cursor.next() == UInt8(ascii: ",") else { break }
        }
        try cursor.expect("}")
    }

    /// A position in the bytes with the few readers the canonical form needs.
    struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func next() throws(Malformed) -> UInt8 {
            guard index < bytes.count else { throw Malformed(offset: index) }
            defer { index += 1 }
            return bytes[index]
        }

        mutating func expect(_ literal: StaticString) throws(Malformed) {
            let count = literal.utf8CodeUnitCount
            guard index + count <= bytes.count, let base = bytes.baseAddress,
                  memcmp(base + index, literal.utf8Start, count) == 0
            else { throw Malformed(offset: index) }
            index += count
        }

        /// The range inside the quotes of a string starting here (escapes left as they are).
        /// The closing quote is found with memchr: strings are most of a state's bytes.
        mutating func stringRange() throws(Malformed) -> Range<Int> {
            guard try next() == UInt8(ascii: "\""), let base = bytes.baseAddress else { throw Malformed(offset: index - 1) }
            let start = index
            while true {
                guard index < bytes.count, let found = memchr(base + index, Int32(UInt8(ascii: "\"")), bytes.count - index) else {
                    throw Malformed(offset: index)
                }
                let quote = UnsafeRawPointer(found) - base
                // A quote preceded by an odd number of backslashes is escaped.
                var backslashes = 0
                while quote - backslashes - 1 >= start, bytes[quote - backslashes - 1] == UInt8(ascii: "\\") { backslashes += 1 }
                index = quote + 1
                if backslashes % 2 == 0 { return start..<quote }
            }
        }

        /// The JSON value in `range`: plain strings directly, anything else through the parser.
        func value(_ range: Range<Int>) throws(Malformed) -> JSONValue {
            if range.count >= 2, bytes[range.lowerBound] == UInt8(ascii: "\""), bytes[range.upperBound - 1] == UInt8(ascii: "\""),
               !bytes[(range.lowerBound + 1)..<(range.upperBound - 1)].contains(UInt8(ascii: "\\")) {
                return .string(String(decoding: bytes[(range.lowerBound + 1)..<(range.upperBound - 1)], as: UTF8.self))
            }
            guard let value = try? JSONParser.parse(Array(bytes[range])) else { throw Malformed(offset: range.lowerBound) }
            return value
        }

        mutating func integer() throws(Malformed) -> Int64 {
            var negative = false
            if peek() == UInt8(ascii: "-") {
                negative = true
                index += 1
            }
            var value: Int64 = 0
            var digits = 0
            while let byte = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflowSum) = times.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
                guard !overflowTimes, !overflowSum else { throw Malformed(offset: index) }
                value = sum
                digits += 1
                index += 1
            }
            guard digits > 0 else { throw Malformed(offset: index) }
            return negative ? -value : value
        }

        /// Moves past one JSON value of any kind, counting brackets outside strings.
        mutating func skipValue() throws(Malformed) {
            var depth = 0
            repeat {
                guard let byte = peek() else { throw Malformed(offset: index) }
                switch byte {
                case UInt8(ascii: "\""): _ = try stringRange()
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    index += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    guard depth > 0 else { return }
                    depth -= 1
                    index += 1
                case UInt8(ascii: ","), UInt8(ascii: ":"):
                    guard depth > 0 else { return }
                    index += 1
                default:
                    // A number, true, false or null: up to the next delimiter.
                    while let next = peek(), ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: ":")].contains(next) {
                        index += 1
                    }
                }
            } while depth > 0
        }

        func equals(_ range: Range<Int>, _ name: [UInt8]) -> Bool {
            guard name.count == range.count, let base = bytes.baseAddress else { return false }
            return name.withUnsafeBytes { name in
                guard let pointer = name.baseAddress else { return range.isEmpty }
                return memcmp(base + range.lowerBound, pointer, range.count) == 0
            }
        }

        func compare(_ lhs: Range<Int>, _ rhs: Range<Int>) -> Int {
            for offset in 0..<min(lhs.count, rhs.count) {
                let (left, right) = (bytes[lhs.lowerBound + offset], bytes[rhs.lowerBound + offset])
                if left != right { return left < right ? -1 : 1 }
            }
            return lhs.count == rhs.count ? 0 : (lhs.count < rhs.count ? -1 : 1)
        }

    }
}
