import Foundation
import RehabSyncDomain
import RehabSyncExport
import RehabSyncHTTP
import RehabSyncStorage

/// The whole regional server put together: settings, database, reference data, admin
/// token, routes and the HTTP server, with start-up and an orderly shutdown (stop
/// accepting, let requests in flight finish, checkpoint the WAL). `rehabsync serve` runs
/// one; tests start one on port 0.
public final class ServerApplication: Sendable {
    public let settings: ServerSettings
    public let service: SyncService
    public let router: SyncRouter
    public let http: HTTPServer
    /// The loopback-only listener for `/metrics`, when ``ServerSettings/metricsListen`` is set.
    public let metricsHTTP: HTTPServer?
    public let logger: Logger
    /// The administrator token, and whether this start created it.
    public let adminToken: String
    public let adminTokenCreated: Bool
    /// The register export and its scheduler, when the server was given export configuration.
    public let exporter: RegisterExporter?
    public let scheduler: ExportScheduler?
    /// Keeps a second server off this data directory until ``finish()``.
    private let dataLock: DataDirectoryLock

    public init(settings: ServerSettings, logger: Logger,
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000) },
                export: ExportConfiguration? = nil, exportSleep: @escaping @Sendable (Int64) -> Void = RegisterExporter.sleepMilliseconds) throws {
        self.settings = settings
        self.logger = logger
        try OwnerOnlyFiles.createDirectory(atPath: settings.dataDirectory)
        dataLock = try DataDirectoryLock(directory: settings.dataDirectory)
        // Files are created owner-only; older ones, or ones an operator copied in, may not be.
        for loose in OwnerOnlyFiles.looseFiles([settings.dataDirectory] + OwnerOnlyFiles.databaseFiles(settings.databasePath)) {
            logger.warning("patient data is readable by other users; chmod it owner-only (700 for the directory, 600 for files)",
                           [("file", loose.path), ("mode", String(loose.mode, radix: 8))])
        }
        let reference = try settings.loadReferenceData(today: CivilDate.swedishToday(unixMilliseconds: now()))
        service = try SyncService(databasePath: settings.databasePath, reference: reference,
                                  configuration: settings.syncConfiguration,
                                  database: DatabaseConfiguration(busyTimeoutMilliseconds: Int32(settings.busyTimeoutMilliseconds)),
                                  auditKeyPath: settings.auditKeyPath, now: now)
        if !SQLiteLibrary.settingsApplied {
            logger.warning("SQLite refused its process-wide settings (statement journals in memory, no memory statistics); "
                           + "it runs with its defaults, which are slower", [])
        }
        // One line when the storage stops committing and one when it recovers, rather than
        // one per refused request.
        service.store.database.observeCommitFaults { fault, error in
            if let fault {
                logger.error("storage fault: \(fault.explanation); writes answer 503 with Retry-After until it clears",
                             [("fault", fault.rawValue), ("error", error.map { "\($0)" } ?? "")])
            } else {
                logger.notice("storage recovered: writes commit again", [])
            }
        }
        (adminToken, adminTokenCreated) = try AdminTokenFile.loadOrCreate(at: settings.adminTokenPath)
        if let export {
            let exporter = try RegisterExporter(store: service.store, catalog: export.catalog, targets: export.targets, logger: logger,
                                                now: now, sleep: exportSleep)
            self.exporter = exporter
            scheduler = ExportScheduler(exporter: exporter, now: now)
        } else {
            exporter = nil
            scheduler = nil
        }
        let statistics = HTTPServerStatistics()
        router = SyncRouter(service: service, admin: AdminCredential(token: adminToken), logger: logger, exporter: exporter,
                            certificates: settings.clientCertificatePolicy, metricsToken: settings.metricsToken,
                            connections: statistics, queueCapacity: settings.queueCapacity)
        var limits = HTTPLimits()
        limits.maxBodyBytes = settings.maxBodyBytes
        let configuration = HTTPServerConfiguration(
            host: settings.host, port: settings.port, workerCount: settings.workers, queueCapacity: settings.queueCapacity,
            limits: limits, requestTimeout: .seconds(settings.requestTimeoutSeconds), idleTimeout: .seconds(settings.idleTimeoutSeconds),
            writeTimeout: .seconds(settings.sendTimeoutSeconds), headerTimeout: .seconds(settings.headerTimeoutSeconds),
            minimumSendBytesPerSecond: settings.minimumSendBytesPerSecond, maxConnections: settings.maxConnections,
            workersReservedForReads: settings.workersReservedForReads,
            eventLoopCount: settings.eventLoops)
        let router = router
        http = HTTPServer(configuration: configuration, logger: logger, statistics: statistics,
                          nonBlockingHandler: { request in router.answerWithoutBlocking(request) }) { request in router.handle(request) }
        if let (host, port) = ServerSettings.splitListen(settings.metricsListen) {
            // Small: a scraper or two, never a device.
            let metricsConfiguration = HTTPServerConfiguration(host: host, port: port, workerCount: 1, queueCapacity: 4,
                                                               maxConnections: 16)
            metricsHTTP = HTTPServer(configuration: metricsConfiguration, logger: logger) { request in
                router.handleMetricsListener(request)
            }
        } else {
            metricsHTTP = nil
        }
        logger.info("reference data loaded", [
            ("kva_list", reference.kvaList?.version ?? "none"),
            ("questionnaires", reference.questionnaires.keys.sorted().joined(separator: ",")),
            ("reserve_formats", reference.reserveNumberFormats.isEmpty ? "none" : reference.reserveNumberFormats.map(\.name).joined(separator: ",")),
        ])
    }

    /// Starts listening; returns the port (useful with port 0).
    @discardableResult
    public func start() throws -> Int {
        try http.start()
        let port = http.boundPort ?? settings.port
        if let metricsHTTP {
            try metricsHTTP.start()
            logger.notice("metrics listening", [("address", "\(metricsHTTP.configuration.host):\(metricsHTTP.boundPort ?? 0)")])
        }
        logger.notice("listening", [("address", "\(settings.host):\(port)"), ("data", settings.databasePath)])
        if adminTokenCreated {
            logger.notice("created the administrator token; keep it secret", [("file", settings.adminTokenPath)])
        }
        scheduler?.start()
        return port
    }

    /// Stops accepting and lets requests in flight finish within the grace period. Safe to
    /// call from a signal handler's queue; ``finish()`` then completes the shutdown.
    public func stop(gracePeriod: Duration) {
        http.shutdown(gracePeriod: gracePeriod)
        metricsHTTP?.shutdown(gracePeriod: .seconds(1))
    }

    /// After the HTTP server has stopped: checkpoints the WAL so the database file stands
    /// alone, and says so.
    public func finish() {
        scheduler?.stop()
        do {
            try service.flushDeviceActivity()
        } catch {
            logger.error("could not write the devices' last-seen times", [("error", "\(error)")])
        }
        do {
            try service.store.database.checkpoint()
            logger.notice("stopped; database checkpointed", [("data", settings.databasePath)])
        } catch {
            logger.error("checkpoint at shutdown failed; the WAL will be replayed at next start", [("error", "\(error)")])
        }
        dataLock.release()
    }
}
