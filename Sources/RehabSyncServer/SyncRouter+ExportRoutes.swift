import RehabSyncCore
import RehabSyncExport
import RehabSyncHTTP

extension SyncRouter {
    /// The admin routes of the register export: the same actions as `rehabsync export`.
    /// Without an exporter (a server started without export configuration) they answer 503.
    static func exportRoutes(exporter: RegisterExporter?, now: @escaping @Sendable () -> Int64) -> [Route] {
        @Sendable func require() throws -> RegisterExporter {
            guard let exporter else {
                throw SyncError(status: 503, code: "export_not_configured", message: "this server was started without export jobs")
            }
            return exporter
        }
        @Sendable func mapped<T>(_ body: () throws -> T) throws -> T {
            do { return try body() } catch let error as ExportError {
                throw SyncError(status: error.status, code: error.code, message: error.description, field: error.field)
            }
        }
        return [
            Route("GET", "/v1/admin/export/jobs", .admin) { _ in
                let exporter = try require()
                return json(.object(["jobs": .array(exporter.catalog.jobs.map { job in
                    .object(["name": .string(job.name), "enabled": .bool(job.enabled), "target": .string(job.target),
                             "measures": .array(job.measures.map { .string($0.canonicalURL) })])
                })]))
            },
            Route("GET", "/v1/admin/export/next", .admin) { _ in
                json(.object(["runs": try require().upcoming(after: now())]))
            },
            Route("GET", "/v1/admin/export/status", .admin) { context in
                let exporter = try require()
                return json(try mapped { try exporter.status(job: context.request.queryParameters["job"]) })
            },
            Route("POST", "/v1/admin/export/run", .admin) { context in
                let exporter = try require()
                let body = try parseJSONBody(context.request, members: ["job", "period", "asOf", "dryRun"])
                guard let job = body["job"]?.stringValue else { throw SyncError.badRequest("invalid_job", "job is the job's name", field: "job") }
                guard let text = body["period"]?.stringValue, let period = ReportingPeriod(text) else {
                    throw SyncError.badRequest("invalid_period", "period is YYYY-MM", field: "period")
                }
                var asOf: Int64?
                if let value = body["asOf"] {
                    guard let text = value.stringValue, let instant = ExportTime.unixMilliseconds(text) else {
                        throw SyncError.badRequest("invalid_as_of", "asOf is an RFC 3339 date-time", field: "asOf")
                    }
                    asOf = instant
                }
                if body["dryRun"]?.boolValue == true {
                    return json(try mapped { RegisterExporter.payloadJSON(try exporter.dryRun(job: job, period: period, asOf: asOf)) })
                }
                return json(try mapped { try exporter.run(job: job, period: period, asOf: asOf).json })
            },
        ]
    }
}
