import Foundation
import RehabSyncCommandLine
import RehabSyncCore
import RehabSyncDomain
import RehabSyncExport
import RehabSyncHTTP
import RehabSyncServer
import RehabSyncStorage

/// `rehabsync export …`: the register export from the command line, for regions that run it
/// from cron or a systemd timer. Works on the server's database directly (WAL lets it run
/// beside `rehabsync serve`; the lease keeps two runs of one period apart).
enum ExportCommand {
    static let spec: CommandSpec = CommandSpec(group: "export", summary: "The monthly register export: validate jobs, run a month, show the ledger and next runs.",
                                  discussion: """
        run, status and next need the server's database as the server left it: they refuse any
        other file, and an older one, untouched.
        """, options: [
            .value("config", "FILE", "the server configuration (default $REHABSYNC_CONFIG or Config/rehabsync.json); "
                + "register.json is read beside it"),
        ], environment: [
            EnvironmentVariable("REHABSYNC_CONFIG", "the server configuration when --config is not given"),
            EnvironmentVariable("REHABSYNC_DATA_DIR", "the server's data directory (overrides the configuration's)"),
            EnvironmentVariable("REHABSYNC_JOBS_DIR", "the job definitions (default ./Jobs)"),
            EnvironmentVariable("REHABSYNC_REGISTER_URL", "the register's URL, for every target of register.json"),
        ], subcommands: [
            CommandSpec("validate", summary: "Check every job in Jobs/ and the register targets; exit 1 naming the file and field.",
                        handler: run),
            CommandSpec("run", summary: "Compute a month and send new and corrected reports.", discussion: """
                --dry-run prints the FHIR Bundles and sends nothing; otherwise new and corrected
                reports are sent and the ledger updated, with progress on standard error
                (deliveries done, rate and time left on a terminal; a one-line summary at the end).
                """, options: [
                    .value("job", "J", "the job, as named in Jobs/", required: true),
                    .value("period", "YYYY-MM", "the month to report", required: true),
                    .value("as-of", "TIMESTAMP", "run as if at that moment (RFC 3339, such as 2026-03-20T02:00:00+01:00)"),
                    .flag("dry-run", "print the Bundles, send and store nothing"),
                    ProgressWriter.quietOption,
                ], handler: run),
            CommandSpec("status", summary: "The ledger: revision the register holds per unit and month, failures with reasons.",
                        options: [.value("job", "J", "only this job"), OutputFormat.option], handler: run),
            CommandSpec("next", summary: "Upcoming runs of every enabled job.", handler: run),
        ])

    @Sendable static func run(_ invocation: CommandInvocation) throws {
        let command = invocation.subcommand
        let arguments = invocation.arguments
        let environment = invocation.environment
        let configuration: ExportConfiguration
        do {
            configuration = try ExportConfiguration.load(configPath: arguments.value("config"), environment: environment)
        } catch {
            throw CommandFailure.failed("export configuration: \(error)")
        }
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        if command == "validate" {
            print(JSONValue.object([
                "jobs": .array(configuration.catalog.jobs.map { .string($0.name) }),
                "targets": .array(configuration.targets.keys.sorted().map(JSONValue.string)),
            ]).canonicalText)
            return
        }
        let exporter = try openExporter(arguments: arguments, environment: environment, configuration: configuration)
        do {
            switch command {
            case "next":
                print(exporter.upcoming(after: now).canonicalText)
            case "status":
                let status = try exporter.status(job: arguments.value("job"))
                CommandOutput.print(status, as: OutputFormat(arguments)) {
                    [("Reports", JSONTable.table(status.objectValue?["reports"]?.arrayValue ?? [], fields: [
                        .init("JOB", "job"), .init("UNIT", "unit"), .init("PERIOD", "period"), .init("DELIVERED", "deliveredRevision"),
                        .init("DELIVERED AT", "deliveredAt", .time), .init("PENDING", "pendingRevision"),
                        .init("FAILED", "failedRevision"), .init("FAILURE", "failure", .json), .init("ATTEMPTS", "attempts"),
                    ])), ("Runs", JSONTable.table(status.objectValue?["runs"]?.arrayValue ?? [], fields: [
                        .init("JOB", "job"), .init("PERIOD", "period"), .init("TRIGGER", "trigger"), .init("AS OF", "asOf", .time),
                        .init("STARTED", "startedAt", .time), .init("FINISHED", "finishedAt", .time), .init("OUTCOME", "outcome"),
                        .init("DETAIL", "detail"),
                    ]))]
                }
            case "run":
                guard let job = arguments.value("job") else { throw CommandFailure.usage("run needs --job J") }
                guard let text = arguments.value("period"), let period = ReportingPeriod(text) else {
                    throw CommandFailure.usage("run needs --period YYYY-MM")
                }
                var asOf: Int64?
                if let text = arguments.value("as-of") {
                    guard let instant = ExportTime.unixMilliseconds(text) else {
                        throw CommandFailure.usage("--as-of takes an RFC 3339 date-time such as 2026-03-20T02:00:00+01:00")
                    }
                    asOf = instant
                }
                if arguments.has("dry-run") {
                    print(RegisterExporter.payloadJSON(try exporter.dryRun(job: job, period: period, asOf: asOf)).canonicalText)
                } else {
                    let progress = ProgressWriter(task: "export \(period)", unit: "deliveries", quiet: arguments.has("quiet"))
                    let report: RegisterExporter.RunReport
                    do {
                        report = try exporter.run(job: job, period: period, asOf: asOf) { progress.update(done: $0, total: $1) }
                    } catch {
                        progress.abandon()
                        throw error
                    }
                    progress.finish(detail: ", \(report.outcome), \(report.unchanged) unchanged")
                    print(report.json.canonicalText)
                    if report.outcome != "completed" { throw CommandFailure.failed("run \(report.outcome): \(report.problems.joined(separator: "; "))") }
                }
            default:
                throw CommandFailure.usage("unknown export command '\(command)'")
            }
        } catch let error as ExportError {
            throw CommandFailure.failed(error.description)
        }
    }

    static func openExporter(arguments: Arguments, environment: [String: String], configuration: ExportConfiguration) throws -> RegisterExporter {
        let settings = try ServeCommand.serverSettings(arguments, environment: environment)
        try DatabaseGuard.require(.currentServer, at: settings.databasePath)
        do {
            // The server's database, opened as the server opens it: owner-only data directory,
            // the same lock wait, and the access log's key from the same file (another key
            // is refused, and a default one would be created beside the data).
            try OwnerOnlyFiles.createDirectory(atPath: settings.dataDirectory)
            let now: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000) }
            let service = try SyncService(databasePath: settings.databasePath, reference: settings.loadReferenceData(today: CivilDate.swedishToday(unixMilliseconds: now())),
                                          configuration: settings.syncConfiguration,
                                          database: DatabaseConfiguration(busyTimeoutMilliseconds: Int32(settings.busyTimeoutMilliseconds)),
                                          auditKeyPath: settings.auditKeyPath, now: now)
            let level = Logger.Level.allCases.first { "\($0)" == settings.logLevel } ?? .info
            return try RegisterExporter(store: service.store, catalog: configuration.catalog, targets: configuration.targets,
                                        logger: Logger(label: "rehabsync-export", minimumLevel: level), now: now)
        } catch {
            throw CommandFailure.failed("cannot open the server database: \(error)")
        }
    }
}
