import Foundation
import RehabSyncDomain

/// Loads the reference data a region keeps as files: every KVÅ list in one directory (the
/// newest is in force) and every questionnaire definition in another. Shared by the server
/// and the device replica, which must validate against the same rules.
public enum ReferenceDataFiles {
    /// A file that cannot be read or parsed, named.
    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public static func load(kvaDirectory: String, questionnaireDirectory: String, today: CivilDate) throws -> ReferenceData {
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
        return ReferenceData(kvaList: ReferenceData.newest(lists), questionnaires: questionnaires, today: today)
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
}
