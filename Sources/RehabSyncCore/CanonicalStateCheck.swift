/// One pass over bytes that must be exactly the canonical encoding of a valid record state
/// (the form is described at the top of RecordState+Canonical.swift). Each check is as
/// strict as the full decoder's, or stricter: anything the writer would not have written
/// byte for byte (white space, an escape, a fraction, a leading zero, members out of order)
/// ends the pass with false, and the full decoder takes over from the same position.
///
/// It builds nothing for the fields it only checks; the fields named in `keeping` are
/// decoded, so that a placement rule reading only those fields can run on them.
struct CanonicalStateCheck {
    private let bytes: UnsafeBufferPointer<UInt8>
    /// The names of the fields to decode, as bytes, so that each field's name is compared
    /// where it lies.
    private let keeping: CanonicalFieldNames
    /// Where the pass stands; after a successful ``state()``, just past the state.
    private(set) var index: Int
    private(set) var context = VersionVector()
    /// Just past the context's closing brace, once ``contextPart()`` has read it: the
    /// state's bytes up to here are `{"context":{…}`.
    private(set) var contextEnd = 0
    private(set) var inConflict = false
    private(set) var newest = HLCTimestamp.zero
    private(set) var kept: [RecordState.Field] = []
    /// Where each replica id parsed so far was spelled, and what it was; the context names
    /// every replica that wrote the state, so every dot's id is met here again. The first
    /// is held apart (its offset -1 until met): most states have one writer, and then no
    /// array is allocated and freed per state.
    private var firstReplica = (offset: -1, replica: ReplicaID(high: 0, low: 0))
    private var metReplicas: [(offset: Int, replica: ReplicaID)] = []
    /// Replica ids remembered at most: a state has few writers, and a longer list would
    /// cost more to search than parsing.
    private static let rememberedReplicas = 16
    /// Where one sibling lies in a state's bytes: its field's name, its dot, its own bytes.
    typealias SiblingRun = (name: Range<Int>, dot: Dot, bytes: Range<Int>)
    /// Every sibling met, in the order written (field by field, by dot within a field),
    /// when asked for.
    private(set) var metSiblings: [SiblingRun] = []
    var collectsSiblings = false
    /// Where the state begins, when it lies inside larger bytes (a page): the runs in
    /// `metSiblings` are kept relative to it, as offsets into the state's own bytes.
    var runOrigin = 0
    /// Decodes every field, not only those named in `keeping`: for a reader that needs the
    /// whole state and would otherwise decode it in a second pass.
    var keepsEveryField = false
    /// The author of the sibling kept last, and where its bytes lie: one clinician usually
    /// wrote every field, and sharing the String saves building one per sibling.
    private var lastAuthor: (String, Range<Int>)?
    /// The strings built for kept fields, remembered across the states of one reader when
    /// it lends its own (swapped in and back out, so that it stays uniquely held).
    var strings = CanonicalStrings()

    /// Containers nested inside one value, at most. The decoder allows 60 below a sibling
    /// value; anything deeper than this is left to it.
    static let maximumValueDepth = 32

    private static let quote = UInt8(ascii: "\"")

    init(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, keeping: CanonicalFieldNames) {
        self.bytes = bytes
        self.index = index
        self.keeping = keeping
    }

    /// The state at `index` of `bytes`, decoded whole by one pass, and where it ends; nil
    /// when its bytes are not exactly a canonical encoding. The pass holds them to every
    /// invariant the decoder checks at its end (names valid and in order, siblings in dot
    /// order and covered, counters, clocks and authors in range), so the state is taken
    /// without validating it again; the property tests hold the two to the same states.
    static func wholeState(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (state: RecordState, end: Int)? {
        var strings = CanonicalStrings()
        return wholeState(bytes, at: index, strings: &strings)
    }

    /// ``wholeState(_:at:)`` building its strings with `strings`, a reader's remembered ones.
    static func wholeState(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, strings: inout CanonicalStrings)
        -> (state: RecordState, end: Int)? {
        var check = CanonicalStateCheck(bytes, at: index, keeping: .none)
        check.keepsEveryField = true
        swap(&check.strings, &strings)
        defer { swap(&check.strings, &strings) }
        guard check.state() else { return nil }
        return (RecordState(checkedContext: check.context, fields: check.kept), check.index)
    }

    /// Checks one whole state: `{"context":{…},"fields":{…}}`.
    mutating func state() -> Bool {
        contextPart() && fieldsPart()
    }

    /// The opening of a state up to its context's end: `{"context":{…}`, read into `context`.
    mutating func contextPart() -> Bool {
        guard literal(#"{"context":{"#) else { return false }
        if !byte(UInt8(ascii: "}")) {
            var last: ReplicaID?
            repeat {
                guard let replica = replicaID(), byte(UInt8(ascii: ":")), let counter = counter(), counter > 0 else { return false }
                if let last, !(last < replica) { return false }
                last = replica
                context.appendGreatest(replica, counter)
            } while byte(UInt8(ascii: ","))
            guard byte(UInt8(ascii: "}")) else { return false }
        }
        contextEnd = index
        return true
    }

    /// The rest of a state after ``contextPart()``: `,"fields":{…}}`.
    mutating func fieldsPart() -> Bool {
        guard literal(#","fields":{"#) else { return false }
        if !byte(UInt8(ascii: "}")) {
            var lastName: Range<Int>?
            repeat {
                guard let name = string(), isFieldName(name), byte(UInt8(ascii: ":")) else { return false }
                if let lastName, !precedes(lastName, name) { return false }
                lastName = name
                guard field(named: name) else { return false }
            } while byte(UInt8(ascii: ","))
            guard byte(UInt8(ascii: "}")) else { return false }
        }
        return byte(UInt8(ascii: "}"))
    }

    /// One field's siblings, `[{…},…]`: at least one, in increasing dot order, each
    /// covered by the context.
    private mutating func field(named name: Range<Int>) -> Bool {
        guard byte(UInt8(ascii: "[")) else { return false }
        let keep = keepsEveryField || keeping.contains(bytes, name)
        var siblings: [FieldSibling] = []
        var count = 0
        var previous: Dot?
        repeat {
            let siblingStart = index
            guard literal(#"{"author":"#), let author = string(), !author.isEmpty, author.count <= 64,
                literal(#","dot":"#), byte(UInt8(ascii: "[")), let replica = replicaID(), byte(UInt8(ascii: ",")),
                let counter = counter(), counter > 0,
                literal(#"],"hlc":["#), let milliseconds = self.counter(), byte(UInt8(ascii: ",")), let logical = self.counter(),
                literal(#"],"value":"#), let value = value(depth: 0, building: keep),
                literal(#","wall":"#), let wall = self.counter(), byte(UInt8(ascii: "}"))
            else { return false }
            let dot = Dot(replica: replica, counter: counter)
            if let previous, !(previous < dot) { return false }
            previous = dot
            guard context.contains(dot) else { return false }
            let hlc = HLCTimestamp(milliseconds: milliseconds, logical: logical)
            if hlc > newest { newest = hlc }
            count += 1
            if collectsSiblings {
                // Most states have a few fields of one sibling each.
                if metSiblings.isEmpty { metSiblings.reserveCapacity(16) }
                metSiblings.append(((name.lowerBound - runOrigin)..<(name.upperBound - runOrigin), dot,
                                    (siblingStart - runOrigin)..<(index - runOrigin)))
            }
            if keep {
                let sibling = FieldSibling(value: value, dot: dot, hlc: hlc, author: authorString(author), wallMilliseconds: wall)
                // A field nearly always has one sibling: an array of one is a single
                // allocation, cheaper than growing an empty array.
                if siblings.isEmpty {
                    siblings = [sibling]
                } else {
                    siblings.append(sibling)
                }
            }
        } while byte(UInt8(ascii: ","))
        guard byte(UInt8(ascii: "]")) else { return false }
        if count > 1 { inConflict = true }
        if keep {
            // Most states have a handful of fields: room for them at once instead of
            // growing the array three times.
            if kept.isEmpty { kept.reserveCapacity(8) }
            kept.append(RecordState.Field(name: strings.string(bytes, name), siblings: consume siblings))
        }
        return true
    }

    /// The author at `range`, checked: one clinician usually wrote every field, so the
    /// String of the author met last is shared when the bytes are the same (compared where
    /// both lie, eight at a time); otherwise the reader's remembered strings are asked.
    private mutating func authorString(_ range: Range<Int>) -> String {
        if let (last, lastRange) = lastAuthor, lastRange.count == range.count, let base = bytes.baseAddress,
           Self.equal(bytes, at: range.lowerBound, UnsafeRawPointer(base + lastRange.lowerBound), range.count) {
            return last
        }
        let made = strings.string(bytes, range)
        lastAuthor = (made, range)
        return made
    }

    /// A JSON value as the canonical writer writes it: strings without escapes, integers
    /// of at most 17 digits, literals, and arrays and objects of those with members in
    /// byte order. Fractions and exponents are left to the decoder.
    ///
    /// With `building`, the value as the decoder reads it (the bytes are exactly what its
    /// reading of them would encode back to); without, `.null` for any value that passes.
    /// Nil when the bytes are not such a value.
    private mutating func value(depth: Int, building: Bool) -> JSONValue? {
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case Self.quote:
            guard let (range, ascii) = unvalidatedString() else { return nil }
            guard building else { return ascii || Self.isWellFormedUTF8(bytes[range]) ? .null : nil }
            // Bytes equal to those of a string built before were found well formed then.
            let (remembered, slot) = strings.find(bytes, range)
            if let remembered { return .string(remembered) }
            guard ascii || Self.isWellFormedUTF8(bytes[range]) else { return nil }
            // The check refused escapes and ill-formed UTF-8: the bytes are the content.
            let made = String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
            strings.keep(made, at: slot, range)
            return .string(made)
        case UInt8(ascii: "{"):
            guard depth < Self.maximumValueDepth else { return nil }
            index += 1
            var members: [String: JSONValue] = [:]
            if byte(UInt8(ascii: "}")) { return building ? .object(members) : .null }
            var previous: Range<Int>?
            // Keys in strictly ascending bytes are never the same bytes twice, but may still
            // be one Swift string once one is not ASCII: "e" with a combining accent and "é",
            // or "K" and the Kelvin sign. The full decoder refuses such a repeat; so must the
            // check, or a dictionary would silently keep one member while the kept bytes
            // hold both. Building, the dictionary tells; checking only, the keys are compared
            // as strings when one of them is not ASCII.
            var keys: [Range<Int>] = []
            var allASCII = true
            repeat {
                guard let (key, ascii) = unvalidatedString(), ascii || Self.isWellFormedUTF8(bytes[key]),
                      byte(UInt8(ascii: ":"))
                else { return nil }
                if let previous, !precedes(previous, key) { return nil }
                previous = key
                guard let member = value(depth: depth + 1, building: building) else { return nil }
                if building {
                    if members.updateValue(member, forKey: strings.string(bytes, key)) != nil { return nil }
                } else {
                    keys.append(key)
                    allASCII = allASCII && ascii
                }
            } while byte(UInt8(ascii: ","))
            guard byte(UInt8(ascii: "}")) else { return nil }
            if !building, !allASCII {
                var seen = Set<String>()
                for key in keys where !seen.insert(String(decoding: UnsafeBufferPointer(rebasing: bytes[key]), as: UTF8.self)).inserted {
                    return nil
                }
            }
            return building ? .object(members) : .null
        case UInt8(ascii: "["):
            guard depth < Self.maximumValueDepth else { return nil }
            index += 1
            var elements: [JSONValue] = []
            if byte(UInt8(ascii: "]")) { return building ? .array(elements) : .null }
            repeat {
                guard let element = value(depth: depth + 1, building: building) else { return nil }
                // The first as an array of one: one allocation, where growing costs more.
                if building { if elements.isEmpty { elements = [element] } else { elements.append(element) } }
            } while byte(UInt8(ascii: ","))
            guard byte(UInt8(ascii: "]")) else { return nil }
            return building ? .array(elements) : .null
        case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
        case UInt8(ascii: "n"): return literal("null") ? .null : nil
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return integer()
        default: return nil
        }
    }

    /// An integer in canonical form: no leading zero, no `-0`, at most 17 digits (so it
    /// fits an Int64 and the decoder reads it as an integer), no fraction or exponent.
    private mutating func integer() -> JSONValue? {
        var position = index
        let negative = bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        let digitsStart = position
        var magnitude: Int64 = 0
        while position < bytes.count, Self.isDigit(bytes[position]) {
            // Wrapping: a number too long to fit is refused just below.
            magnitude = magnitude &* 10 &+ Int64(bytes[position] &- UInt8(ascii: "0"))
            position += 1
        }
        let digits = position - digitsStart
        guard digits > 0, digits <= 17 else { return nil }
        // "0" alone; never "-0" (it decodes to 0 and encodes without the sign) nor "01".
        if bytes[digitsStart] == UInt8(ascii: "0"), digits > 1 || digitsStart != index { return nil }
        if position < bytes.count {
            let next = bytes[position]
            if next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") { return nil }
        }
        index = position
        return .integer(negative ? -magnitude : magnitude)
    }

    /// A non-negative counter or clock reading in canonical form, at most
    /// ``Dot/maximumCounter``.
    // Inlined: every sibling reads four, and the call was a fifth of the reading.
    @inline(__always)
    private mutating func counter() -> Int64? {
        let start = index
        // Up to fifteen digits from two words, without a loop over bytes: every sibling
        // carries four readings. A sixteenth digit, or the end of the bytes near, is left
        // to the loop below.
        if start + 16 <= bytes.count, let base = bytes.baseAddress {
            let here = UnsafeRawPointer(base + start)
            let word = UInt64(littleEndian: here.loadUnaligned(as: UInt64.self))
            let digits = Self.leadingDigits(word)
            var value: UInt64 = 0
            var count = digits
            if digits < 8 {
                value = Self.valueOfDigits(word, digits)
            } else {
                let next = UInt64(littleEndian: here.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                let more = Self.leadingDigits(next)
                if more < 8 {
                    value = Self.valueOfEightDigits(word) &* Self.powersOfTen[more] &+ Self.valueOfDigits(next, more)
                    count = 8 + more
                } else {
                    count = 0
                }
            }
            if count > 0 {
                guard count == 1 || here.load(as: UInt8.self) != UInt8(ascii: "0") else { return nil }
                // At most fifteen digits: below Dot.maximumCounter, which has sixteen.
                index = start + count
                return Int64(value)
            }
            if digits == 0 { return nil }
        }
        // At most 16 digits: Dot.maximumCounter has 16, and more cannot overflow the sum.
        let end = min(bytes.count, start + 17)
        var position = start
        var value: Int64 = 0
        // The first eight digits in one step when there are eight: every sibling carries
        // two clock readings of thirteen.
        if start + 8 <= end, let base = bytes.baseAddress {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + start).loadUnaligned(as: UInt64.self))
            if Self.isEightDigits(word) {
                value = Int64(Self.valueOfEightDigits(word))
                position = start + 8
            }
        }
        while position < end {
            let digit = bytes[position] &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            value = value &* 10 &+ Int64(digit)
            position += 1
        }
        let digits = position - start
        guard digits > 0, digits <= 16, value <= Dot.maximumCounter else { return nil }
        if digits > 1, bytes[start] == UInt8(ascii: "0") { return nil }
        index = position
        return value
    }

    /// Whether all eight bytes of `word` (the first in its low byte) are ASCII digits: each
    /// byte's high half must be 3, and still be 3 once 6 is added (so the low half is at
    /// most 9). No byte that passes can carry into the next.
    @inline(__always)
    static func isEightDigits(_ word: UInt64) -> Bool {
        let highHalves: UInt64 = 0xF0F0_F0F0_F0F0_F0F0
        return (word & highHalves) | (((word &+ 0x0606_0606_0606_0606) & highHalves) >> 4) == 0x3333_3333_3333_3333
    }

    /// How many of the bytes of `word`, from its low byte, are ASCII digits before the
    /// first that is not (eight when all are). A byte is a digit when XOR `0` leaves at
    /// most 9: adding 0x76 to the low seven bits then leaves the high bit clear, and cannot
    /// carry into the next byte.
    @inline(__always)
    static func leadingDigits(_ word: UInt64) -> Int {
        let offsets = word ^ 0x3030_3030_3030_3030
        let notDigits = (((offsets & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7676_7676_7676_7676) | offsets) & EightBytes.highBits
        return notDigits.trailingZeroBitCount >> 3
    }

    /// The number the first `count` (at most seven) bytes of `word` spell, all digits:
    /// moved to the top of the word below `0`s, which add nothing in front.
    @inline(__always)
    static func valueOfDigits(_ word: UInt64, _ count: Int) -> UInt64 {
        guard count > 0 else { return 0 }
        let shift = UInt64(64 - 8 * count)
        return valueOfEightDigits((word &<< shift) | (0x3030_3030_3030_3030 &>> UInt64(8 * count)))
    }

    /// 10 to the powers 0 to 7.
    private static let powersOfTen: [UInt64] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000]

    /// The number eight ASCII digits spell, the first (most significant) in the low byte
    /// of `word`: pairs of digits are combined, then pairs of pairs, then the two halves,
    /// each step one multiplication.
    @inline(__always)
    static func valueOfEightDigits(_ word: UInt64) -> UInt64 {
        var value = word & 0x0F0F_0F0F_0F0F_0F0F
        value = (value &* (10 << 8 + 1)) >> 8
        value = ((value & 0x00FF_00FF_00FF_00FF) &* (100 << 16 + 1)) >> 16
        return ((value & 0x0000_FFFF_0000_FFFF) &* (10_000 << 32 + 1)) >> 32
    }

    /// A quoted replica id in its canonical form. The same few replicas recur in every
    /// sibling of a state, so an id spelled as one met before is taken without parsing:
    /// its first eight bytes tell most ids apart, and all 36 are compared.
    private mutating func replicaID() -> ReplicaID? {
        guard index + 38 <= bytes.count, bytes[index] == Self.quote, bytes[index + 37] == Self.quote,
              let base = bytes.baseAddress else { return nil }
        let here = UnsafeRawPointer(base + index + 1)
        let head = here.loadUnaligned(as: UInt64.self)
        if firstReplica.offset >= 0 {
            let there = UnsafeRawPointer(base + firstReplica.offset)
            if there.loadUnaligned(as: UInt64.self) == head, Self.equal(bytes, at: index + 1, there, 36) {
                index += 38
                return firstReplica.replica
            }
        }
        for met in metReplicas {
            let there = UnsafeRawPointer(base + met.offset)
            if there.loadUnaligned(as: UInt64.self) == head, Self.equal(bytes, at: index + 1, there, 36) {
                index += 38
                return met.replica
            }
        }
        guard let replica = ReplicaID.parse(UnsafeBufferPointer(rebasing: bytes[(index + 1)..<(index + 37)])) else { return nil }
        if firstReplica.offset < 0 {
            firstReplica = (index + 1, replica)
        } else if metReplicas.count < Self.rememberedReplicas - 1 {
            if metReplicas.isEmpty { metReplicas.reserveCapacity(8) }
            metReplicas.append((index + 1, replica))
        }
        index += 38
        return replica
    }

    /// A string the writer copies as it is: valid UTF-8, no control character, quote or
    /// backslash. Returns the range of its content.
    // Inlined: a sibling reads three (name, author, value), most of them short.
    @inline(__always)
    private mutating func string() -> Range<Int>? {
        guard let (range, ascii) = unvalidatedString() else { return nil }
        guard ascii || Self.isWellFormedUTF8(bytes[range]) else { return nil }
        return range
    }

    /// ``string()`` but for the UTF-8 validation of a string that is not all ASCII, which
    /// is left to the caller (`ascii` false): a value equal to one remembered needs none.
    @inline(__always)
    private mutating func unvalidatedString() -> (range: Range<Int>, ascii: Bool)? {
        guard index < bytes.count, bytes[index] == Self.quote else { return nil }
        let start = index + 1
        let count = bytes.count
        var position = start
        var high: UInt8 = 0
        // Eight bytes at a time up to the first that ends the string or needs a look (a
        // quote, a backslash, a control character), found in its word by the word's mask;
        // the bytes loop below takes the last few bytes of the buffer. Values and authors
        // are most of a state's bytes.
        var ended = false
        if let base = bytes.baseAddress {
            var highBits: UInt64 = 0
            while position + 8 <= count {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
                let marked = EightBytes.jsonEscapeBytes(word)
                if marked != 0 {
                    let offset = marked.trailingZeroBitCount >> 3
                    guard base[position + offset] == Self.quote else { return nil }
                    // Only the bytes before the quote are the string's.
                    highBits |= word & ((1 &<< UInt64(offset &* 8)) &- 1)
                    position += offset
                    ended = true
                    break
                }
                highBits |= word
                position += 8
            }
            if highBits & 0x8080_8080_8080_8080 != 0 { high = 0x80 }
        }
        while !ended, position < count {
            let byte = bytes[position]
            if byte == Self.quote { break }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            high |= byte
            position += 1
        }
        guard position < count else { return nil }
        index = position + 1
        return (start..<position, high < 0x80)
    }

    /// A field name: an ASCII letter, then letters, digits and `_`, at most
    /// ``RecordState/maximumFieldNameLength`` bytes.
    private func isFieldName(_ range: Range<Int>) -> Bool {
        guard !range.isEmpty, range.count <= RecordState.maximumFieldNameLength else { return false }
        for position in range {
            let byte = bytes[position] | 0x20
            let letter = byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")
            if position == range.lowerBound {
                guard letter else { return false }
            } else {
                guard letter || Self.isDigit(bytes[position]) || bytes[position] == UInt8(ascii: "_") else { return false }
            }
        }
        return true
    }

    /// Whether the bytes of `lhs` come strictly before those of `rhs`.
    private func precedes(_ lhs: Range<Int>, _ rhs: Range<Int>) -> Bool {
        UnsafeBufferPointer(rebasing: bytes[lhs]).lexicographicallyPrecedes(UnsafeBufferPointer(rebasing: bytes[rhs]))
    }

    // Always inlined: the literal's length is then a constant, and the comparison a few
    // words, where a call cost more than the comparing.
    @inline(__always)
    private mutating func literal(_ text: StaticString) -> Bool {
        let length = text.utf8CodeUnitCount
        guard index + length <= bytes.count, Self.equal(bytes, at: index, UnsafeRawPointer(text.utf8Start), length) else {
            return false
        }
        index += length
        return true
    }

    /// Whether the `length` bytes of `bytes` at `offset` (all within it) equal those at
    /// `other`, compared eight at a time; a length of eight or more ends with the last
    /// eight bytes, overlapping what was compared, instead of a byte loop.
    @inline(__always)
    static func equal(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int, _ other: UnsafeRawPointer, _ length: Int) -> Bool {
        guard let base = bytes.baseAddress else { return length == 0 }
        let here = UnsafeRawPointer(base + offset)
        guard length >= 8 else {
            var position = 0
            while position < length {
                guard here.load(fromByteOffset: position, as: UInt8.self) == other.load(fromByteOffset: position, as: UInt8.self) else {
                    return false
                }
                position += 1
            }
            return true
        }
        var position = 0
        while position + 8 <= length {
            guard here.loadUnaligned(fromByteOffset: position, as: UInt64.self)
                == other.loadUnaligned(fromByteOffset: position, as: UInt64.self) else { return false }
            position += 8
        }
        return position == length
            || here.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self) == other.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)
    }

    private mutating func byte(_ expected: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == expected else { return false }
        index += 1
        return true
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// Well-formed UTF-8 as Unicode defines it (table 3-7): no overlong forms, no
    /// surrogates, nothing above U+10FFFF; what Swift's own validation accepts.
    static func isWellFormedUTF8(_ text: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        var position = text.startIndex
        let base = text.base.baseAddress
        while position < text.endIndex {
            // Eight ASCII bytes at a time: Swedish text is mostly ASCII between its letters.
            if let base, position + 8 <= text.endIndex,
               UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self) & EightBytes.highBits == 0 {
                position += 8
                continue
            }
            let lead = text[position]
            if lead < 0x80 {
                position += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return false
            }
            guard position + length <= text.endIndex, (low...high).contains(text[position + 1]) else { return false }
            for offset in 2..<length where !(0x80...0xBF).contains(text[position + offset]) { return false }
            position += length
        }
        return true
    }
}
