import Foundation
import RehabSyncClient
import RehabSyncCommandLine
import RehabSyncCore
import RehabSyncDomain
import RehabSyncReferenceFiles
import RehabSyncReplica
import RehabSyncStorage

/// `rehabsync replica …`: drives a device replica from the shell, for IT departments,
/// tests and anyone evaluating RehabSync. JSON on stdout; errors on stderr.
enum ReplicaCommand {
    static let spec: CommandSpec = CommandSpec(group: "replica", summary: "Work with a device's offline replica: write, read, resolve conflicts, sync.",
                                  discussion: """
        Output is JSON on standard output; errors go to standard error with exit code 1,
        usage errors with 2. Every command but init first checks, read-only, that --db is a
        replica, and refuses any other file untouched.
        """, options: [
            .value("db", "FILE", "the replica file; init creates it, every other command refuses a file that is not one, untouched",
                   required: true),
            .value("config-dir", "DIR", "reference data (kva/, questionnaires/, reserve-numbers.json); default $REHABSYNC_CONFIG_DIR or ./Config"),
        ], environment: [EnvironmentVariable("REHABSYNC_CONFIG_DIR", "where reference data is when --config-dir is not given")],
        subcommands: [
            CommandSpec("init", summary: "Create a replica for an enrolled device.", discussion: """
                --clinician names the clinician using it: every write and read is made by someone,
                and 'set' changes it later. init first asks the server which replica id and counter
                to continue from (checking server and token before anything is written), unless
                --offline. A token already used by another replica file is refused; --replace takes
                it over (the old laptop is gone, or the file is created again). init never opens an
                existing file.
                """, options: [.value("server", "URL", "the sync server's address", required: true),
                               .value("clinician", "HSA-ID", "the clinician using the device, who makes its writes and reads",
                                      required: true, missing: "init needs --clinician HSA-ID: the clinician using the device, who makes its writes and reads")]
                    + tokenOptions + [
                        .flag("offline", "create the replica without asking the server (replica id from the token)"),
                        .flag("replace", "take over a token another replica file used"),
                    ] + tlsOptions,
                environment: [tokenVariable], handler: run),
            CommandSpec("write", summary: "Set the fields given, leave the others; prints the record id.", options: [
                collection(required: true), .value("id", "ID", "the record; a new one when not given"),
                .value("json", "JSON", "the fields to set, as a JSON object", required: true), author,
            ], handler: run),
            CommandSpec("get", summary: "Provisional values, conflicting fields with every sibling, context.", options: [
                collection(required: true), .value("id", "ID", "the record", required: true), author,
            ], handler: run),
            CommandSpec("list", summary: "Records, of one collection or one patient.", discussion: """
                P may be typed as 19121212-1212; an invalid identifier is an error.
                """, options: [collection(required: false), .value("patient", "P", "only this patient's records (logged as access)"), author,
                          OutputFormat.option],
                handler: run),
            CommandSpec("conflicts", summary: "Records in conflict, with every sibling's value, author and time.",
                        options: [author, OutputFormat.option],
                        handler: run),
            CommandSpec("resolve", summary: "Replace the siblings of a field in conflict.", discussion: """
                --seen names the values that were shown, as the dots 'conflicts' prints
                (REPLICA:COUNTER, comma-separated); if more have arrived since, the resolution is
                refused. A field not in conflict is refused: use write.
                """, options: [
                    collection(required: true), .value("id", "ID", "the record", required: true),
                    .value("field", "F", "the field in conflict", required: true),
                    .value("json", "VALUE", "the value that replaces the siblings, as JSON", required: true),
                    .value("seen", "DOTS", "the dots of the values shown, as 'conflicts' prints them"), author,
                ], handler: run),
            CommandSpec("set-aside", summary: "Writes the server refused, with its reason.", discussion: """
                They are also in status and conflicts, and never block a sync.
                """, handler: run),
            CommandSpec("discard", summary: "Drop a set-aside write for good.", options: [setAsideNumber], handler: run),
            CommandSpec("reapply", summary: "Apply a set-aside write again on the record as it now stands.", discussion: """
                It is validated and goes with the next sync.
                """, options: [setAsideNumber, author], handler: run),
            CommandSpec("sync", summary: "Push pending records, pull until none remains; prints the counts.", discussion: """
                Progress goes to standard error: on a terminal the records pushed and pulled, the rate
                and the time left (estimated from the server's newest change), redrawn; elsewhere a
                one-line summary at the end; --quiet writes neither. Standard output holds only the
                JSON counts.
                """, options: tlsOptions + [ProgressWriter.quietOption], handler: run),
            CommandSpec("status", summary: "Pending records, last sync, cursor, whether the digest matched.", options: [OutputFormat.option],
                        handler: run),
            CommandSpec("set", summary: "Change a replica's server address, clinician or token.", discussion: """
                The token comes from a file, standard input or $REHABSYNC_DEVICE_TOKEN, and must be of
                the same enrolment. At least one setting must be given.
                """, options: [.value("server", "URL", "the sync server's new address"),
                               .value("clinician", "HSA-ID", "the clinician now using the device")] + tokenOptions,
                environment: [tokenVariable], handler: run),
            CommandSpec("resync", summary: "After the server was restored from a backup: mark every record pending.", discussion: """
                The next sync then gives the server back what it lost.
                """, handler: run),
            CommandSpec("dump", summary: "Every record state, one canonical line each, sorted.", handler: run),
        ])

    private static let author = CommandOption.value("author", "HSA-ID", """
        the clinician making the write or read; default the one given at init (get, list --patient and \
        conflicts are logged as access and sent to the server's access log at the next sync)
        """)
    private static let setAsideNumber = CommandOption.value("set-aside", "N", "the number 'set-aside' prints", required: true)
    private static let tlsOptions: [CommandOption] = [
        .value("ca", "FILE", "CA bundle to verify the server with"),
        .value("cert", "FILE", "client certificate (a SITHS function certificate), with --key"),
        .value("key", "FILE", "the client certificate's key"),
    ]
    private static let tokenOptions: [CommandOption] = [
        .value("token-file", "FILE", "read the device token from FILE ('-' is standard input)"),
        .flag("token-stdin", "read the device token from standard input"),
        .value("token", "TOKEN", "the device token itself; works with a warning, since it shows in ps and shell history"),
    ]
    private static let tokenVariable = EnvironmentVariable(DeviceTokenSource.environmentVariable,
                                                           "the device token, when no --token option gives it")

    private static func collection(required: Bool) -> CommandOption {
        .value("collection", "C", "the collection, spelt as the schema spells it (carePlans)", required: required)
    }

    @Sendable static func run(_ invocation: CommandInvocation) throws {
        let command = invocation.subcommand
        let arguments = invocation.arguments
        let environment = invocation.environment
        guard let db = arguments.value("db") else { throw CommandFailure.usage("--db FILE is required") }
        if let collection = arguments.value("collection") { try knownCollection(collection) }
        func required(_ name: String) throws -> String {
            guard let value = arguments.value(name) else { throw CommandFailure.usage("\(command) needs --\(name)") }
            return value
        }
        func json(_ name: String) throws -> JSONValue {
            do { return try JSONParser.parse(try required(name)) } catch let error as CoreError {
                throw CommandFailure.usage("--\(name) is not valid JSON: \(error.message)")
            }
        }
        do {
            let options = HTTPClientOptions(caBundlePath: arguments.value("ca"), clientCertificatePath: arguments.value("cert"),
                                            clientKeyPath: arguments.value("key"))
            if command == "init" {
                try DatabaseGuard.requireAbsent(db)
                let token = try DeviceTokenSource.token(arguments, environment: environment)
                let replica = try Replica.create(path: db, server: try required("server"), token: token,
                                                 clinician: arguments.value("clinician"), offline: arguments.has("offline"),
                                                 replace: arguments.has("replace"), clientOptions: options)
                output(.object(["db": .string(db), "replicaId": .string(replica.description), "server": .string(try required("server"))]))
                return
            }
            try DatabaseGuard.require(.replica, at: db)
            let directory = arguments.value("config-dir") ?? environment["REHABSYNC_CONFIG_DIR"] ?? "Config"
            let reference = try ReferenceDataFiles.load(
                kvaDirectory: (directory as NSString).appendingPathComponent("kva"),
                questionnaireDirectory: (directory as NSString).appendingPathComponent("questionnaires"),
                reserveNumberFormatsFile: ReferenceDataFiles.reserveNumberFormatsFile(inConfigDirectory: directory),
                today: CivilDate.swedishToday(unixMilliseconds: Int64(Date().timeIntervalSince1970 * 1_000)))
            let replica = try Replica(path: db, reference: reference, clientOptions: options)
            for loose in OwnerOnlyFiles.looseFiles(OwnerOnlyFiles.databaseFiles(db)) {
                printError("rehabsync: warning: patient data is readable by other users: \(loose); chmod 600 it")
            }
            switch command {
            case "write":
                guard case .object(let values) = try json("json") else { throw CommandFailure.usage("--json must be an object of fields") }
                let stored = try replica.write(collection: try required("collection"), id: arguments.value("id"), values: values,
                                               author: arguments.value("author"))
                output(.object(["collection": .string(stored.collection), "id": .string(stored.recordID)]))
            case "get":
                guard let record = try replica.readRecord(collection: try required("collection"), id: try required("id"), clinician: arguments.value("author")) else {
                    throw CommandFailure.failed("no such record on this replica")
                }
                output(try describe(record))
            case "list":
                let records = try replica.listRecords(collection: arguments.value("collection"), patient: arguments.value("patient"),
                                                  clinician: arguments.value("author"))
                let items = try records.map { record -> JSONValue in
                    .object(["collection": .string(record.collection), "id": .string(record.recordID),
                             "patient": record.patient.map(JSONValue.string) ?? .null,
                             "inConflict": .bool(try record.state().isInConflict),
                             "values": .object(try record.state().provisionalValues)])
                }
                CommandOutput.print(.object(["records": .array(items)]), as: OutputFormat(arguments)) {
                    [(nil, JSONTable.table(items, fields: [
                        .init("COLLECTION", "collection"), .init("ID", "id"), .init("PATIENT", "patient"),
                        .init("CONFLICT", "inConflict"), .init("VALUES", "values", .json),
                    ]))]
                }
            case "conflicts":
                let records = try replica.reviewConflicts(clinician: arguments.value("author")).map(describe)
                let setAside = try replica.setAsideWrites().map(\.json)
                CommandOutput.print(.object(["records": .array(records), "setAside": .array(setAside)]), as: OutputFormat(arguments)) {
                    [("Conflicts", JSONTable.table(records.flatMap(siblingRows), fields: [
                        .init("COLLECTION", "collection"), .init("ID", "id"), .init("FIELD", "field"), .init("VALUE", "value", .json),
                        .init("AUTHOR", "author"), .init("WRITTEN", "wall", .time), .init("DOT", "dot"),
                    ])), ("Set aside", JSONTable.table(setAside, fields: [
                        .init("SET-ASIDE", "setAsideId"), .init("COLLECTION", "collection"), .init("ID", "id"), .init("CODE", "code"),
                        .init("MESSAGE", "message"), .init("AT", "at", .time),
                    ]))]
                }
            case "set-aside":
                output(.object(["setAside": .array(try replica.setAsideWrites().map(\.json))]))
            case "discard":
                let id = try setAsideID(try required("set-aside"))
                try replica.discardSetAside(id)
                output(.object(["discarded": .integer(id)]))
            case "reapply":
                let id = try setAsideID(try required("set-aside"))
                let stored = try replica.reapplySetAside(id, author: arguments.value("author"))
                output(.object(["reapplied": .integer(id), "collection": .string(stored.collection), "id": .string(stored.recordID)]))
            case "resolve":
                let seen = try arguments.value("seen").map(parseDots)
                let stored = try replica.resolve(collection: try required("collection"), id: try required("id"),
                                                 field: try required("field"), value: try json("json"), seen: seen,
                                                 author: arguments.value("author"))
                output(.object(["collection": .string(stored.collection), "id": .string(stored.recordID),
                                "field": .string(try required("field"))]))
            case "sync":
                output(try sync(replica, quiet: arguments.has("quiet")).json)
            case "set":
                // Only a token given to this command replaces the stored one.
                let token = arguments.value("token-file") != nil || arguments.has("token-stdin") || arguments.value("token") != nil
                    ? try DeviceTokenSource.token(arguments, environment: environment) : nil
                guard arguments.value("server") != nil || arguments.value("clinician") != nil || token != nil else {
                    throw CommandFailure.usage("set needs at least one of --server, --clinician, --token-file or --token-stdin")
                }
                let settings = try replica.updateSettings(server: arguments.value("server"), token: token,
                                                          clinician: arguments.value("clinician"))
                output(.object(["server": .string(settings.server), "clinician": settings.clinician.map(JSONValue.string) ?? .null,
                                "tokenChanged": .bool(token != nil)]))
            case "status":
                let settings = try replica.settings()
                let status = JSONValue.object([
                    "pending": .integer(Int64(try replica.pendingCount())), "cursor": .integer(settings.cursor),
                    "lastSyncAt": settings.lastSyncAt.map(JSONValue.integer) ?? .null,
                    "digestMatches": settings.lastDigestMatch.map(JSONValue.bool) ?? .null,
                    "setAside": .integer(Int64(try replica.setAsideWrites().count)),
                    "replicaId": .string(replica.store.replicaID.description), "server": .string(settings.server),
                ])
                CommandOutput.print(status, as: OutputFormat(arguments)) {
                    [(nil, JSONTable.keyValue(status, fields: [
                        .init("pending", "pending"), .init("set aside", "setAside"), .init("last sync", "lastSyncAt", .time),
                        .init("digest matched", "digestMatches"), .init("cursor", "cursor"), .init("replica id", "replicaId"),
                        .init("server", "server"),
                    ]))]
                }
            case "dump":
                FileHandle.standardOutput.write(Data(try replica.dump()))
            case "resync":
                output(.object(["pending": .integer(Int64(try replica.resyncAfterServerRestore()))]))
            default:
                throw CommandFailure.usage("unknown replica command '\(command)'")
            }
        } catch let error as ReplicaError {
            throw CommandFailure.failed(error.description)
        } catch let error as DatabaseError {
            throw CommandFailure.failed("local database: \(error)")
        }
    }

    /// Syncs with progress on standard error: records pushed and pulled of those pending at
    /// the start plus the server's estimate of what remains to pull.
    private static func sync(_ replica: Replica, quiet: Bool) throws -> Replica.SyncReport {
        let progress = ProgressWriter(task: "sync", unit: "records", quiet: quiet)
        do {
            let report = try replica.sync { step in
                let done = step.pushed + step.pulled
                let total = step.remainingToPull.map { done + Int($0) + max(0, step.pendingAtStart - step.pushed) }
                progress.update(done: done, total: total)
            }
            progress.finish(detail: ": \(report.pushed) pushed, \(report.pulled) pulled, \(report.setAside.count) set aside")
            return report
        } catch {
            progress.abandon()
            throw error
        }
    }

    /// Refuses a collection name this build does not sync: a misspelt one would otherwise
    /// list nothing and look like an empty replica.
    private static func knownCollection(_ name: String) throws {
        do {
            _ = try CollectionArgument.parse(name)
        } catch {
            throw CommandFailure.usage(error.description)
        }
    }

    /// A record as `conflicts` describes it, one row per sibling of each field in conflict,
    /// for `--output table`.
    private static func siblingRows(_ record: JSONValue) -> [JSONValue] {
        guard let object = record.objectValue, let conflicts = object["conflicts"]?.objectValue else { return [] }
        return conflicts.keys.sorted().flatMap { field in
            (conflicts[field]?.arrayValue ?? []).map { sibling -> JSONValue in
                var row = sibling.objectValue ?? [:]
                row["collection"] = object["collection"]
                row["id"] = object["id"]
                row["field"] = .string(field)
                return .object(row)
            }
        }
    }

    /// Dots as `conflicts` prints them, given back to `resolve --seen`: `REPLICA:COUNTER,…`.
    private static func parseDots(_ text: String) throws -> [Dot] {
        try text.split(separator: ",").map { item in
            let parts = item.split(separator: ":")
            guard parts.count == 2, let replica = ReplicaID(String(parts[0])), let counter = Int64(parts[1]), counter > 0 else {
                throw CommandFailure.usage("--seen takes dots as REPLICA:COUNTER, comma-separated, as 'conflicts' prints them; not '\(item)'")
            }
            return Dot(replica: replica, counter: counter)
        }
    }

    private static func setAsideID(_ text: String) throws -> Int64 {
        guard let id = Int64(text), id > 0 else { throw CommandFailure.usage("--set-aside takes the number 'set-aside' prints") }
        return id
    }

    private static func output(_ value: JSONValue) {
        print(value.canonicalText)
    }

    /// A record as `get` shows it: provisional values, conflicting fields with every
    /// sibling, and the causal context; handovers also show who is responsible.
    private static func describe(_ record: StoredRecord) throws -> JSONValue {
        let state = try record.state()
        var conflicts: [String: JSONValue] = [:]
        for field in state.conflictingFields {
            conflicts[field.name] = .array(field.siblings.map { sibling in
                .object(["value": sibling.value, "author": .string(sibling.author),
                         "hlc": .array([.integer(sibling.hlc.milliseconds), .integer(sibling.hlc.logical)]),
                         "wall": .integer(sibling.wallMilliseconds),
                         "dot": .string("\(sibling.dot.replica):\(sibling.dot.counter)")])
            })
        }
        var description: [String: JSONValue] = [
            "collection": .string(record.collection), "id": .string(record.recordID), "values": .object(state.provisionalValues),
            "conflicts": .object(conflicts),
            "context": .object(Dictionary(uniqueKeysWithValues: state.context.entries.map { ($0.replica.description, JSONValue.integer($0.counter)) })),
        ]
        if record.collection == CollectionName.handovers.rawValue {
            description["responsibleUnit"] = HandoverState.responsibleUnit(of: state).map(JSONValue.string) ?? .null
            description["handoverState"] = HandoverState.of(state).map { .string($0.rawValue) } ?? .null
        }
        return .object(description)
    }
}
