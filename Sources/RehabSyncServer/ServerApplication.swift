import Foundation
import RehabSyncDomain
import RehabSyncHTTP

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

    public init(settings: ServerSettings, logger: Logger,
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000) }) throws {
        self.settings = settings
        self.logger = logger
        try FileManager.default.createDirectory(atPath: settings.dataDirectory, withIntermediateDirectories: true)
        let reference = try settings.loadReferenceData(today: CivilDate.swedishToday(unixMilliseconds: now()))
        service = try SyncService(databasePath: settings.databasePath, reference: reference,
                                  configuration: settings.syncConfiguration, now: now)
        (adminToken, adminTokenCreated) = try AdminTokenFile.loadOrCreate(at: settings.adminTokenPath)
        let statistics = HTTPServerStatistics()
        router = SyncRouter(service: service, admin: AdminCredential(token: adminToken), logger: logger,
                            metricsToken: settings.metricsToken, connections: statistics, queueCapacity: settings.queueCapacity)
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
    }
}
