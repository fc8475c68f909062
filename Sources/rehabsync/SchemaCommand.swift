import Foundation
import RehabSyncCommandLine
import RehabSyncCore
import RehabSyncDomain
import RehabSyncReferenceFiles

/// `rehabsync schema [COLLECTION]`: every collection's fields, types, required flags,
/// allowed values and rules, from the schemas in the code, so the allowed values need not
/// be found one refusal at a time.
enum SchemaCommand {
    static let spec: CommandSpec = CommandSpec("schema", summary: "Print every collection's fields, types, required flags, allowed values and rules.",
                                               discussion: """
        Generated from the schemas in the code: for every collection (or COLLECTION) the type of
        each field, whether a new record must set it, and the values it allows; then the rules
        beyond single fields, with the rule code a refusal names, and the reference data in
        force (KVÅ list, questionnaires).
        """, arguments: [CommandArgument("COLLECTION", "one collection, spelt as the schema spells it (carePlans); default every one")],
        options: [
            .value("output", "FORMAT", "text for a person, json for scripts (with each field's JSON Schema), markdown as in the README (default text)",
                   choices: ["text", "json", "markdown"]),
            .value("config-dir", "DIR", "reference data (kva/, questionnaires/, reserve-numbers.json); default $REHABSYNC_CONFIG_DIR or ./Config, skipped when absent"),
        ], environment: [EnvironmentVariable("REHABSYNC_CONFIG_DIR", "where reference data is when --config-dir is not given")], handler: run)

    @Sendable static func run(_ invocation: CommandInvocation) throws {
        let arguments = invocation.arguments
        let collections = try arguments.positional(0).map { [try collection(named: $0)] } ?? CollectionName.allCases
        let reference = try referenceData(explicit: arguments.value("config-dir"), environment: invocation.environment)
        let described = SchemaReference(collections: collections, reference: reference)
        switch arguments.value("output") ?? "text" {
        case "json": print(described.json.canonicalText)
        case "markdown": print(described.markdown, terminator: "")
        default: print(described.text, terminator: "")
        }
    }

    /// The collection spelled exactly so; a wrong case or an unknown name is a usage error
    /// that lists the known names, never an empty answer.
    static func collection(named name: String) throws -> CollectionName {
        do {
            return try CollectionArgument.parse(name)
        } catch {
            throw CommandFailure.usage(error.description)
        }
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
