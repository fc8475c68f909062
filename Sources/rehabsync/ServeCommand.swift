import Foundation
import RehabSyncCommandLine
import RehabSyncExport
import RehabSyncHTTP
import RehabSyncServer

/// `rehabsync serve`: runs the regional sync server until SIGTERM or SIGINT.
enum ServeCommand {
    static let spec: CommandSpec = CommandSpec("serve", summary: "Run the regional sync server.", discussion: """
        Settings come from Config/rehabsync.json (or FILE), and environment variables override
        them: REHABSYNC_LISTEN (host:port, default 127.0.0.1:8088), REHABSYNC_DATA_DIR (default
        ./data), REHABSYNC_LOG_LEVEL, REHABSYNC_WORKERS, REHABSYNC_MAX_BODY_BYTES and the rest of
        the settings in upper snake case; any other REHABSYNC_ variable that rehabsync does not
        read stops start-up. The first start creates the database and an administrator token in
        the data directory, readable by its owner only; a newer build migrates the database. Any
        other file where the database belongs (a replica, another SQLite database) is refused
        untouched.

        The server speaks plain HTTP on loopback: TLS and client certificates end at a proxy in
        front of it (see the README).

        SIGTERM or SIGINT: stop accepting, finish requests in flight (shutdownGraceSeconds),
        checkpoint the database, exit 0.
        """, options: [
            .value("config", "FILE", "the configuration file (default $REHABSYNC_CONFIG or Config/rehabsync.json); "
                + "register.json, kva/ and questionnaires/ are read beside it"),
        ], environment: [
            EnvironmentVariable("REHABSYNC_CONFIG", "the configuration file when --config is not given"),
            EnvironmentVariable("REHABSYNC_LISTEN", "host:port to listen on, overriding the file (default 127.0.0.1:8088)"),
            EnvironmentVariable("REHABSYNC_DATA_DIR", "the data directory, overriding the file (default ./data)"),
            EnvironmentVariable("REHABSYNC_<SETTING>", "any other setting in upper snake case, overriding the file "
                + "(REHABSYNC_WORKERS, REHABSYNC_LOG_LEVEL, ...)"),
            EnvironmentVariable("REHABSYNC_JOBS_DIR", "the export job definitions the scheduler runs (default ./Jobs)"),
            EnvironmentVariable("REHABSYNC_REGISTER_URL", "the register's URL, for every target of register.json"),
        ], handler: run)

    @Sendable static func run(_ invocation: CommandInvocation) throws {
        let arguments = invocation.arguments
        let environment = invocation.environment
        let settings = try serverSettings(arguments, environment: environment)
        // The server migrates what it opens: any other file named by mistake (a replica, some
        // other SQLite database) is refused before it is touched.
        try DatabaseGuard.require(.serverOrNone, at: settings.databasePath)
        let level = Logger.Level.allCases.first { "\($0)" == settings.logLevel } ?? .info
        let logger = Logger(label: "rehabsync", minimumLevel: level)
        let export: ExportConfiguration
        do {
            export = try ExportConfiguration.load(configPath: arguments.value("config"), environment: environment)
        } catch {
            throw CommandFailure.failed("export configuration: \(error)")
        }
        let application: ServerApplication
        do {
            application = try ServerApplication(settings: settings, logger: logger, export: export)
        } catch {
            throw CommandFailure.failed("cannot start: \(error)")
        }
        let grace = Duration.seconds(settings.shutdownGraceSeconds)
        // Watch before listening: a supervisor that sends SIGTERM as soon as the server
        // says it listens must not find the signal ignored and unobserved.
        let watcher = SignalWatcher { signal in
            logger.notice("shutting down", [("signal", "\(signal)")])
            application.stop(gracePeriod: grace)
        }
        do {
            try application.start()
        } catch {
            throw CommandFailure.failed("cannot start: \(error)")
        }
        application.http.waitUntilStopped()
        watcher.cancel()
        application.finish()
    }

    /// The server's settings as `--config` (or its default) and the environment give them;
    /// `export` reads the same, to open the same database.
    static func serverSettings(_ arguments: Arguments, environment: [String: String]) throws -> ServerSettings {
        do {
            return try ServerSettings.load(path: arguments.value("config"), environment: environment)
        } catch {
            throw CommandFailure.failed("configuration: \(error)")
        }
    }
}
