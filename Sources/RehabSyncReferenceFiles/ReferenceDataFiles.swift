import Foundation
import RehabSyncDomain

/// Loads the reference data a region keeps as files: every KVÅ list in one directory (the
/// newest is in force), every questionnaire definition in another, and the reserve-number
/// formats in one file. Shared by the server
/// and the device replica, which must validate against the same rules.
public enum ReferenceDataFiles {
    /// A file that cannot be read or parsed, named.
    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Loads reference data. A missing reserve-number file means no reserve formats: only
    /// personnummer and samordningsnummer are then accepted, and the refusal says so.
    public static func load(kvaDirectory: String, questionnaireDirectory: String, reserveNumberFormatsFile: String? = nil,
                            today: CivilDate) throws -> ReferenceData {
        var lists: [KVACodeList] = []
        for (name, bytes) in try jsonFiles(in: kvaDirectory) {
            do { lists.append(try KVACodeList(json: bytes, name: name)) } catch { throw LoadError(description: error.description) }
        }
        var questionnaires: [QuestionnaireDefinition] = []
        for (name, bytes) in try jsonFiles(in: questionnaireDirectory) {
            do { questionnaires.append(try QuestionnaireDefinition(json: bytes, name: name)) } catch {
                throw LoadError(description: error.description)
            }
        }
        var reserveFormats: [ReserveNumberFormat] = []
        if let path = reserveNumberFormatsFile, let data = FileManager.default.contents(atPath: path) {
            do { reserveFormats = try ReserveNumberFormat.list(json: Array(data), name: path) } catch {
                throw LoadError(description: error.description)
            }
        }
        return ReferenceData(kvaList: ReferenceData.newest(lists), questionnaires: questionnaires,
                             reserveNumberFormats: reserveFormats, today: today)
    }

    private static func jsonFiles(in directory: String) throws -> [(String, [UInt8])] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw LoadError(description: "cannot read the reference-data directory \(directory)")
        }
        return try names.filter { $0.hasSuffix(".json") }.sorted().map { name in
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else { throw LoadError(description: "cannot read \(path)") }
            return (path, Array(data))
        }
    }

    /// The reserve-number formats file in a configuration directory.
    public static func reserveNumberFormatsFile(inConfigDirectory directory: String) -> String {
        (directory as NSString).appendingPathComponent("reserve-numbers.json")
    }
}
