import Foundation
import RehabSyncCommandLine
import RehabSyncExport
import RehabSyncHTTP
import RehabSyncServer

/// `rehabsync serve`: runs the regional sync server until SIGTERM or SIGINT.
enum ServeCommand {
    static let usage = """
        Usage: rehabsync serve [--config FILE]

        Runs the sync server. Settings come from Config/rehabsync.json (or FILE), and
        environment variables override them: REHABSYNC_LISTEN (host:port, default
        127.0.0.1:8088), REHABSYNC_DATA_DIR (default ./data), REHABSYNC_LOG_LEVEL,
        REHABSYNC_WORKERS, REHABSYNC_MAX_BODY_BYTES and the rest of the settings in
        upper snake case. The first start creates an administrator token in the data
        directory, readable by its owner only.

        SIGTERM or SIGINT: stop accepting, finish requests in flight (shutdownGraceSeconds),
        checkpoint the database, exit 0.
        """

    static func run(_ words: [String], environment: [String: String]) throws {
        let arguments: Arguments
        do {
            arguments = try Arguments(words, valued: ["config"], switches: ["help"])
        } catch {
            throw CommandFailure.usage("\(error)\n\n\(usage)")
        }
        if arguments.has("help") {
            print(usage)
            return
        }
        let settings: ServerSettings
        do {
            settings = try ServerSettings.load(path: arguments.value("config"), environment: environment)
        } catch {
            throw CommandFailure.failed("configuration: \(error)")
        }
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
}
