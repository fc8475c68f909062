import RehabSyncCore
@testable import RehabSyncDomain
import Testing

/// The validator's quick paths (fields by schema position, identifiers read in place, the
/// stored-form personnummer check) against the slow, obviously right ways they replace:
/// both must accept and refuse the same inputs, with the same errors.
struct ValidatorFastPathTests {
    typealias F = DomainFixtures

    @Test("a schema's positions find every field the field dictionary finds, from any start")
    func aSchemasPositionsFindEveryFieldTheFieldDictionaryFindsFromAnyStart() {
        let unknown = ["", "Patient", "patient ", "titel", "voide", "voidedd", "careUnit", "zzz", "a"]
        for collection in CollectionName.allCases {
            let schema = CollectionSchema.of(collection)
            #expect(schema.names == schema.fields.keys.sorted())
            for name in Array(schema.fields.keys) + unknown {
                for start in 0...schema.names.count {
                    let position = schema.position(of: name, from: start)
                    #expect((position != nil) == (schema.fields[name] != nil), "\(collection) \(name) from \(start)")
                    if let position {
                        #expect(schema.names[position] == name)
                        #expect(schema.rules[position].requiredOnCreate == schema.fields[name]?.requiredOnCreate)
                        #expect(schema.rules[position].kind.typeName == schema.fields[name]?.kind.typeName)
                    }
                }
            }
            #expect(schema.required.map { schema.names[$0] } == schema.requiredFields)
            #expect(schema.pastDates.map { schema.names[$0] } == CollectionRules.pastDates.filter { schema.fields[$0] != nil })
            #expect(schema.pastTimes.map { schema.names[$0] } == CollectionRules.pastTimes.filter { schema.fields[$0] != nil })
        }
    }

    @Test("a field set keeps its positions in increasing order")
    func aFieldSetKeepsItsPositionsInIncreasingOrder() {
        var set = FieldSet()
        #expect(set.isEmpty && set.first == nil)
        for position in [63, 0, 7, 12, 7] { set.insert(position) }
        #expect(Array(set) == [0, 7, 12, 63])
        #expect(set.first == 0)
        #expect(set.contains(63) && !set.contains(62))
        var other = FieldSet()
        other.insert(7)
        other.insert(0)
        #expect(Array(set.subtracting(other)) == [12, 63])
        #expect(!set.isDisjoint(with: other))
        #expect(set.subtracting(other).isDisjoint(with: other))
    }

    @Test("the stored-form check accepts exactly the 12-digit numbers a full parse keeps unchanged")
    func theStoredFormCheckAcceptsExactlyThe12DigitNumbersAFullParseKeepsUnchanged() throws {
        let days = [F.today, try #require(CivilDate(year: 2024, month: 2, day: 29)), try #require(CivilDate(year: 2000, month: 1, day: 1))]
        var accepted = 0
        for today in days {
            for century in ["17", "18", "19", "20", "21", "00"] {
                for year in ["00", "12", "24", "26", "27", "99"] {
                    for month in ["00", "01", "02", "11", "12", "13"] {
                        for day in ["00", "01", "23", "24", "29", "31", "32", "60", "61", "89", "91", "92"] {
                            for birthNumber in ["000", "001", "999"] {
                                for check in 0...9 {
                                    let text = century + year + month + day + birthNumber + String(check)
                                    let parsed = try? PersonalIdentityNumber.parsePatient(text, reserveFormats: [F.reserveFormat], today: today)
                                    let slow = parsed?.canonical == text
                                    #expect(PersonalIdentityNumber.isStoredForm(text, today: today) == slow, "\(text) on \(today)")
                                    if slow { accepted += 1 }
                                }
                            }
                        }
                    }
                }
            }
        }
        // The grid holds valid numbers of both kinds, so the agreement is not all refusals.
        #expect(accepted > 100)
        for text in ["19121212-1212", " 191212121212", "191212121212 ", "1912121212120", "19121212121", "12345678R123",
                     "١٩١٢١٢١٢١٢١٢", "１９１２１２１２１２１２", "19121212121\u{0301}2", ""] {
            #expect(!PersonalIdentityNumber.isStoredForm(text, today: F.today), "\(text)")
        }
    }

    @Test("a collection is found by name as its raw value finds it")
    func aCollectionIsFoundByNameAsItsRawValueFindsIt() {
        let names = CollectionName.allCases.map(\.rawValue) + ["", "carePlan", "CarePlans", "carePlans ", "patients\u{0301}", "referral"]
        for name in names {
            #expect(CollectionName.named(name) == CollectionName(rawValue: name), "\(name)")
        }
    }

    @Test("a field's provisional value read in place is the provisional sibling's, in conflict too")
    func aFieldsProvisionalValueReadInPlaceIsTheProvisionalSiblingsInConflictToo() throws {
        let first = try F.state([F.carePlan])
        let concurrent = try F.state([["careUnits": F.units(F.unitB), "title": .null]], replica: F.otherReplica, startingAt: 5)
        for state in [first, first.joined(with: concurrent)] {
            for field in state.fields {
                #expect(field.provisionalValue == field.provisional.value, "\(field.name)")
            }
            #expect(DomainPlacement.careUnits(collection: "carePlans", state: state)
                == (state["careUnits"]?.provisional.value.arrayValue?.compactMap(\.stringValue) ?? []))
        }
        #expect(first.joined(with: concurrent)["careUnits"]?.siblings.count == 2)
    }

    /// HSA-id checking as it was written first: over an array copy of the bytes.
    private static func referenceHSAIDError(_ text: String) -> IdentifierError? {
        let bytes = Array(text.utf8)
        func error(_ message: String) -> IdentifierError { IdentifierError(rule: "hsaid.format", message: message) }
        guard bytes.count <= HSAID.maximumLength else { return error("An HSA-id has at most \(HSAID.maximumLength) characters.") }
        guard bytes.starts(with: [UInt8(ascii: "S"), UInt8(ascii: "E")]) else { return error("An HSA-id starts with uppercase 'SE'.") }
        let afterPrefix = bytes.dropFirst(2)
        let organisationDigits = afterPrefix.prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        guard organisationDigits.count == 10 || organisationDigits.count == 12 else {
            return error("An HSA-id has a 10- or 12-digit organisation number after 'SE'.")
        }
        let rest = afterPrefix.dropFirst(organisationDigits.count)
        guard rest.first == UInt8(ascii: "-") else { return error("An HSA-id has a '-' after the organisation number.") }
        let extensionPart = rest.dropFirst()
        let alphanumeric = { (byte: UInt8) in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        }
        guard !extensionPart.isEmpty, extensionPart.allSatisfy(alphanumeric) else {
            return error("An HSA-id ends with one or more letters A-Z, a-z or digits after the '-'.")
        }
        return nil
    }

    @Test("HSA-ids read in place are judged as over a copy of their bytes")
    func hsaIDsReadInPlaceAreJudgedAsOverACopyOfTheirBytes() {
        var texts = ["", "S", "SE", "se2321000016-A001", "SÉ2321000016-A001", "SE\u{212A}", "SE2321000016-A\u{0301}", "SE2321000016-Å"]
        for prefix in ["SE", "Se", "ES"] {
            for digits in [0, 9, 10, 11, 12, 13] {
                for separator in ["-", "", "_", "--"] {
                    for suffix in ["", "A001", "a", "1", "A-1", "A 1", "Ö", String(repeating: "X", count: 20)] {
                        texts.append(prefix + String(repeating: "7", count: digits) + separator + suffix)
                    }
                }
            }
        }
        for text in texts {
            let fast: IdentifierError?
            do {
                _ = try HSAID(text)
                fast = nil
            } catch {
                fast = error
            }
            #expect(fast == Self.referenceHSAIDError(text), "\(text)")
        }
    }

    @Test("record ids read in place are judged as over a copy of their bytes")
    func recordIDsReadInPlaceAreJudgedAsOverACopyOfTheirBytes() {
        func reference(_ id: String) -> Bool {
            let bytes = Array(id.utf8)
            let alphanumeric = { (byte: UInt8) in
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            }
            guard let first = bytes.first, bytes.count <= 128, alphanumeric(first) else { return false }
            return bytes.allSatisfy { alphanumeric($0) || [UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "-")].contains($0) }
        }
        let ids = ["", "a", "-a", ".a", "a-b.c_d:e", "plan-SE2321000016-U0-17", "a b", "ä", "aé", "a\u{0301}", "A/B",
                   "00000000-0000-4000-8000-0000000000a1", String(repeating: "a", count: 128), String(repeating: "a", count: 129)]
        for id in ids {
            #expect(RecordValidator.isValidRecordID(id) == reference(id), "\(id)")
        }
    }
}
