import Foundation
import RehabSyncCommandLine
import RehabSyncCore
import RehabSyncDomain
import RehabSyncReferenceFiles

/// `rehabsync schema [COLLECTION]`: every collection's fields, types, required flags,
/// allowed values and rules, from the schemas in the code, so the allowed values need not
/// be found one refusal at a time.
enum SchemaCommand {
    static let usage = """
        Usage: rehabsync schema [COLLECTION] [--output text|json|markdown] [--config-dir DIR]

        Prints the fields of every collection (or of COLLECTION): type, whether a new record
        must set it, and the values it allows; then the rules beyond single fields, with the
        rule code a refusal names, and the reference data in force (KVÅ list, questionnaires).

        Options:
          --output text|json|markdown   text for a person (default), json for scripts (with
                                        each field's JSON Schema), markdown as in the README
          --config-dir DIR              reference data (kva/, questionnaires/, reserve-numbers.json);
                                        default $REHABSYNC_CONFIG_DIR or ./Config, skipped when absent
        """

    static func run(_ words: [String], environment: [String: String]) throws {
        let positional = words.filter { !$0.hasPrefix("--") && !isOptionValue($0, in: words) }
        let arguments: Arguments
        do {
            arguments = try Arguments(words.filter { !positional.contains($0) }, valued: ["output", "config-dir"], switches: ["help"])
        } catch {
            throw CommandFailure.usage("\(error)\n\n\(usage)")
        }
        if arguments.has("help") {
            print(usage)
            return
        }
        guard positional.count <= 1 else {
            throw CommandFailure.usage("schema takes at most one collection, not \(positional.joined(separator: " "))\n\n\(usage)")
        }
        let collections = try positional.first.map { [try collection(named: $0)] } ?? CollectionName.allCases
        let output = arguments.value("output") ?? "text"
        guard ["text", "json", "markdown"].contains(output) else {
            throw CommandFailure.usage("--output is text, json or markdown, not '\(output)'")
        }
        let reference = try referenceData(explicit: arguments.value("config-dir"), environment: environment)
        let described = SchemaReference(collections: collections, reference: reference)
        switch output {
        case "json": print(described.json.canonicalText)
        case "markdown": print(described.markdown, terminator: "")
        default: print(described.text, terminator: "")
        }
    }

    /// Whether `word` is the value of the option before it (`--output json`).
    private static func isOptionValue(_ word: String, in words: [String]) -> Bool {
        guard let index = words.firstIndex(of: word), index > 0 else { return false }
        return ["--output", "--config-dir"].contains(words[index - 1])
    }

    /// The collection spelled exactly so; a wrong case or an unknown name is a usage error
    /// that lists the known names, never an empty answer.
    static func collection(named name: String) throws -> CollectionName {
        if let collection = CollectionName(rawValue: name) { return collection }
        let known = CollectionName.allCases.map(\.rawValue)
        let hint = known.first { $0.lowercased() == name.lowercased() }.map { " (did you mean \($0)?)" } ?? ""
        throw CommandFailure.usage("unknown collection '\(name)'\(hint); known: \(known.joined(separator: ", "))")
    }

    /// The reference data of the configuration directory. A directory named with
    /// --config-dir must exist; the default one is skipped when absent, and the reference
    /// then describes KVÅ codes and questionnaires by their form only.
    private static func referenceData(explicit: String?, environment: [String: String]) throws -> ReferenceData? {
        let directory = explicit ?? environment["REHABSYNC_CONFIG_DIR"] ?? "Config"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            if explicit != nil { throw CommandFailure.failed("no configuration directory at \(directory)") }
            return nil
        }
        func inside(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        do {
            return try ReferenceDataFiles.load(kvaDirectory: inside("kva"), questionnaireDirectory: inside("questionnaires"),
                                               reserveNumberFormatsFile: ReferenceDataFiles.reserveNumberFormatsFile(inConfigDirectory: directory),
                                               today: CivilDate.swedishToday(unixMilliseconds: Int64(Date().timeIntervalSince1970 * 1_000)))
        } catch {
            throw CommandFailure.failed("cannot load the reference data in \(directory): \(error)")
        }
    }
}
