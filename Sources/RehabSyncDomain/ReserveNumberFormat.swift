/// One of a region's reserve-number formats: a name that error messages list, and a
/// pattern the whole number must match.
///
/// Regions issue reserve numbers in local formats with no national standard, so the
/// formats are data (`Config/reserve-numbers.json`), not code. The pattern language is a
/// deliberately small subset of regular expressions, so that a pattern reads the same in
/// any regex tool and matching stays linear with no backtracking:
/// - `A`–`Z`, `0`–`9` and `-` stand for themselves;
/// - `[...]` is one character from a class of such characters and ranges (`[0-9]`,
///   `[A-Z]`, `[A-HJ-NP-Z0-9]`);
/// - `{n}` or `{m,n}` after an atom repeats it (at most ``maximumLength`` times);
/// - the pattern is anchored at both ends; nothing else (no `.`, `*`, `|`, groups).
///
/// Numbers are matched after trimming and uppercasing, the form they are stored in.
public struct ReserveNumberFormat: Hashable, Sendable {
    /// The name error messages and the documentation use, e.g. `regional-reserve-example`.
    public let name: String
    /// The pattern as written in the configuration.
    public let pattern: String
    private let atoms: [Atom]

    /// The longest reserve number any format may describe; it also bounds matching work.
    public static let maximumLength = 20

    private struct Atom: Hashable, Sendable {
        /// The bytes this atom accepts.
        var accepts: Set<UInt8>
        var minimum: Int
        var maximum: Int
    }

    /// Parses `pattern`; the error names the format and what is wrong, never input data.
    public init(name: String, pattern: String) throws(IdentifierError) {
        func invalid(_ why: String) -> IdentifierError {
            IdentifierError(rule: "reservnummer.pattern", message: "The reserve-number format '\(name)' is invalid: \(why).")
        }
        guard !name.isEmpty, name.utf8.allSatisfy({ Self.isNameByte($0) }) else {
            throw IdentifierError(rule: "reservnummer.pattern",
                                  message: "A reserve-number format name is 1 or more ASCII letters, digits, '-' or '_'.")
        }
        let bytes = Array(pattern.utf8)
        var atoms: [Atom] = []
        var index = 0
        while index < bytes.count {
            var accepts = Set<UInt8>()
            if bytes[index] == UInt8(ascii: "[") {
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "]") {
                    let low = bytes[index]
                    guard Self.isPatternCharacter(low) else { throw invalid("a class holds only A-Z, 0-9 and '-' ranges") }
                    if index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "-"), bytes[index + 2] != UInt8(ascii: "]") {
                        let high = bytes[index + 2]
                        guard Self.isPatternCharacter(high), low <= high, Self.sameKind(low, high) else {
                            throw invalid("a range runs from a letter to a later letter or a digit to a later digit")
                        }
                        accepts.formUnion(low...high)
                        index += 3
                    } else {
                        accepts.insert(low)
                        index += 1
                    }
                }
                guard index < bytes.count, !accepts.isEmpty else { throw invalid("a class '[...]' is empty or not closed") }
                index += 1
            } else {
                guard Self.isPatternCharacter(bytes[index]) else {
                    throw invalid("only A-Z, 0-9, '-', classes '[...]' and repetitions '{n}' or '{m,n}' are allowed")
                }
                accepts.insert(bytes[index])
                index += 1
            }
            var minimum = 1
            var maximum = 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "{") {
                guard let close = bytes[index...].firstIndex(of: UInt8(ascii: "}")) else { throw invalid("a repetition '{' is not closed") }
                let parts = bytes[(index + 1)..<close].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
                let numbers = parts.map { CivilDate.decimal($0[...]).flatMap { $0 <= Self.maximumLength ? $0 : nil } }
                guard (1...2).contains(numbers.count), parts.allSatisfy({ !$0.isEmpty }),
                    let low = numbers.first ?? nil, let high = numbers.last ?? nil, low <= high, high >= 1
                else { throw invalid("a repetition is '{n}' or '{m,n}' with 0 <= m <= n <= \(Self.maximumLength)") }
                minimum = low
                maximum = high
                index = close + 1
            }
            atoms.append(Atom(accepts: accepts, minimum: minimum, maximum: maximum))
        }
        let shortest = atoms.reduce(0) { $0 + $1.minimum }
        guard !atoms.isEmpty, shortest >= 1, shortest <= Self.maximumLength else {
            throw invalid("a format must describe numbers of 1 to \(Self.maximumLength) characters")
        }
        self.name = name
        self.pattern = pattern
        self.atoms = atoms
    }

    /// Whether `text`, already trimmed and uppercased, matches the whole pattern.
    ///
    /// Tracks every position the atoms so far can end at (a set of at most
    /// ``maximumLength`` + 1 positions), so the work is bounded whatever the pattern.
    public func matches(_ text: some StringProtocol) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count <= Self.maximumLength else { return false }
        var positions: Set<Int> = [0]
        for atom in atoms {
            var next = Set<Int>()
            for start in positions {
                var end = start
                var repeats = 0
                while true {
                    if repeats >= atom.minimum { next.insert(end) }
                    guard repeats < atom.maximum, end < bytes.count, atom.accepts.contains(bytes[end]) else { break }
                    end += 1
                    repeats += 1
                }
            }
            positions = next
            if positions.isEmpty { return false }
        }
        return positions.contains(bytes.count)
    }

    private static func isPatternCharacter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "-")
    }

    private static func sameKind(_ low: UInt8, _ high: UInt8) -> Bool {
        let letters = UInt8(ascii: "A")...UInt8(ascii: "Z")
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        return (letters.contains(low) && letters.contains(high)) || (digits.contains(low) && digits.contains(high))
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        isPatternCharacter(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || byte == UInt8(ascii: "_")
    }
}

extension ReserveNumberFormat {
    /// Parses a formats file: `{"formats":[{"name":"...","pattern":"...","description":"..."}]}`
    /// (`description` is for the people who read the file; other members are ignored so
    /// the file can explain itself). `name` appears in errors.
    public static func list(json bytes: [UInt8], name: String) throws(ReferenceDataError) -> [ReserveNumberFormat] {
        let document = try ReferenceDataError.parse(bytes, name: name)
        guard let items = document.objectValue?["formats"]?.arrayValue else {
            throw ReferenceDataError(source: name, message: "expected an object with an array 'formats'")
        }
        var formats: [ReserveNumberFormat] = []
        for (index, item) in items.enumerated() {
            guard let members = item.objectValue, let formatName = members["name"]?.stringValue,
                let pattern = members["pattern"]?.stringValue
            else {
                throw ReferenceDataError(source: name, message: "formats[\(index)] needs a string 'name' and a string 'pattern'")
            }
            do {
                formats.append(try ReserveNumberFormat(name: formatName, pattern: pattern))
            } catch {
                throw ReferenceDataError(source: name, message: "formats[\(index)]: \(error.message)")
            }
            guard Set(formats.map(\.name)).count == formats.count else {
                throw ReferenceDataError(source: name, message: "formats[\(index)]: the name appears twice")
            }
        }
        return formats
    }
}
