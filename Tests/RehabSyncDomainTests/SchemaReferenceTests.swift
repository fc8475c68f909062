import Foundation
import RehabSyncCore
import RehabSyncDomain
import Testing

struct SchemaReferenceTests {
    typealias F = DomainFixtures

    static let reference = ReferenceData(kvaList: F.kvaList, questionnaires: [F.questionnaire],
                                         reserveNumberFormats: [F.reserveFormat], today: F.today)

    /// The lines of the text reference that describe `collection`'s fields.
    static func section(of collection: CollectionName, in text: String) -> [Substring] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("\(collection.rawValue): ") }) else { return [] }
        return Array(lines[start...].prefix { !$0.isEmpty })
    }

    @Test("Every field of every collection appears in the text reference with its type and required flag")
    func everyFieldIsDescribed() throws {
        let text = SchemaReference(reference: Self.reference).text
        for collection in CollectionName.allCases {
            let section = Self.section(of: collection, in: text)
            for (name, rule) in CollectionSchema.of(collection).fields {
                let row = try #require(section.first { $0.hasPrefix("  \(name) ") }, "\(collection.rawValue).\(name) is missing")
                let columns = row.split(separator: "  ", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }
                #expect(columns[1] == rule.kind.typeName)
                #expect(columns[2] == (rule.requiredOnCreate ? "yes" : "no"))
            }
        }
    }

    @Test("Every enumeration value and every nested member is listed in the reference")
    func allowedValuesAreListed() {
        let reference = SchemaReference(reference: Self.reference)
        let text = reference.text
        for collection in CollectionName.allCases {
            let section = Self.section(of: collection, in: text).joined(separator: "\n")
            for (name, rule) in CollectionSchema.of(collection).fields {
                switch rule.kind {
                case .enumeration(let values):
                    #expect(section.contains("one of: " + values.joined(separator: ", ")), "\(name)")
                case .object(let members):
                    for member in members.keys { #expect(section.contains("  \(name).\(member) "), "\(name).\(member)") }
                default:
                    break
                }
            }
        }
        #expect(text.contains("KVÅ list test-1 (2 codes): AW020, DV111"))
        #expect(text.contains("testform version 1 (3 items)"))
    }

    @Test("One collection's reference holds that collection only")
    func oneCollection() {
        let text = SchemaReference(collections: [.referrals], reference: Self.reference).text
        #expect(text.contains("referrals: "))
        #expect(text.contains("inclusionCriteria.cancerDiseaseOrTreatment"))
        #expect(!text.contains("carePlans: "))
        #expect(!text.contains("KVÅ list"))
    }

    @Test("The machine form gives each field its kind, required flag, values and JSON Schema")
    func jsonForm() throws {
        let json = SchemaReference(collections: [.plannedInterventions], reference: Self.reference).json
        let collection = try #require(json.objectValue?["collections"]?.arrayValue?.first?.objectValue)
        let list = try #require(collection["fields"]?.arrayValue)
        let fields = list.compactMap(\.objectValue)
        let kva = try #require(fields.first { $0["name"] == .string("kvaCode") })
        #expect(kva["required"] == .bool(true))
        #expect(kva["jsonSchema"]?.objectValue?["enum"] == .array([.string("AW020"), .string("DV111")]))
        let format = try #require(fields.first { $0["name"] == .string("format") })
        #expect(format["values"] == .array(CollectionSchema.Vocabulary.interventionFormats.map(JSONValue.string)))
        #expect(json.objectValue?["referenceData"]?.objectValue?["kva"]?.objectValue?["version"] == .string("test-1"))
    }

    @Test("The README's schema reference equals the generated Markdown byte for byte")
    func readmeReference() throws {
        let readme = try String(contentsOf: TestExecutables.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let begin = try #require(readme.range(of: "<!-- schema:begin -->\n"))
        let end = try #require(readme.range(of: "<!-- schema:end -->"))
        let section = String(readme[begin.upperBound..<end.lowerBound])
        #expect(section == SchemaReference(reference: nil).markdown, "regenerate it with: rehabsync schema --output markdown")
    }

    @Test("The date pattern of the JSON Schema allows only dates the validator accepts")
    func datePattern() throws {
        let pattern = try Regex(FieldKind.datePattern)
        for year in [1, 1900, 2023, 2024, 9999] {
            for month in 0...13 {
                for day in 0...32 {
                    let text = String(format: "%04d-%02d-%02d", year, month, day)
                    if (try? pattern.wholeMatch(in: text)) != nil {
                        #expect(CivilDate(iso: text) != nil, "\(text) matches the pattern but is no date")
                    } else if CivilDate(iso: text) != nil {
                        #expect(month == 2 && day == 29, "\(text) is a date the pattern leaves out")
                    }
                }
            }
        }
        for text in ["0000-01-01", "2024-1-01", "2024-01-01T", "12024-01-01"] {
            #expect((try? pattern.wholeMatch(in: text)) == nil, "\(text)")
        }
    }

    @Test("The patterns of HSA-ids, KVÅ codes, record ids and date-times agree with the parsers")
    func identifierPatterns() throws {
        let hsa = try Regex(FieldKind.hsaIDPattern)
        for text in ["SE2321000016-A001", "SE162321000016-x", "SE2321000016-", "SE23210000161-A", "se2321000016-A", "SE2321000016A001"] {
            #expect(((try? hsa.wholeMatch(in: text)) != nil) == ((try? HSAID(text)) != nil), "\(text)")
        }
        let kva = try Regex(FieldKind.kvaCodePattern)
        for text in ["AW020", "AW000", "aw020", "AW02", "XV019", "AB100"] {
            #expect(((try? kva.wholeMatch(in: text)) != nil) == ((try? KVACode(text)) != nil), "\(text)")
        }
        let record = try Regex(FieldKind.recordIDPattern)
        for text in ["p1", "a:b.c_d-e", "-p", "", String(repeating: "a", count: 128), String(repeating: "a", count: 129), "å"] {
            #expect(((try? record.wholeMatch(in: text)) != nil) == RecordValidator.isValidRecordID(text), "\(text)")
        }
        let instant = try Regex(FieldKind.dateTimePattern)
        for text in ["2026-01-02T03:04:05Z", "2026-01-02T03:04:05.123+01:00", "2026-01-02T24:00:00Z", "2026-01-02t03:04:05z",
                     "2026-02-30T03:04:05Z", "2026-01-02T03:04:05.1234567891Z"] {
            if (try? instant.wholeMatch(in: text)) != nil { #expect(ISODateTime.isValid(text), "\(text)") }
        }
        #expect((try? instant.wholeMatch(in: "2026-01-02T03:04:05.123+01:00")) != nil)
    }
}
