import RehabSyncCore
import RehabSyncHTTP

extension SyncRouter {
    /// The sent mark a push carries, if any.
    private static func sentMark(_ request: HTTPRequest) throws -> Int64? {
        guard let text = request.headers.values(for: SyncService.sentMarkHeader).first else { return nil }
        guard let value = Int64(text), value >= 0 else {
            throw SyncError.badRequest("invalid_sent_mark", "the sent mark is a non-negative integer", field: SyncService.sentMarkHeader)
        }
        return value
    }

    /// Every route of the API. `/openapi.json` documents each one; a test checks that.
    static func makeRoutes(service: SyncService) -> [Route] {
        let openAPI = OpenAPIDocument.document(configuration: service.configuration, reference: service.reference).canonicalBytes
        return [
            Route("GET", "/healthz", .anyone) { _ in
                try service.checkLiveness()
                return healthy
            },
            Route("GET", "/readyz", .anyone) { context in
                try readiness(service: service, router: context.router)
            },
            Route("GET", "/metrics", .metrics) { context in
                let (conflicts, devices) = try service.store.read { queries in
                    (try queries.conflictCount(), try DeviceRegistry.all(connection: queries.connection))
                }
                let text = service.metrics.exposition(
                    openConflicts: conflicts,
                    devicesByLastSeen: lastSeenBuckets(service.activity.overlay(devices), now: service.now()),
                    connections: context.router.connections?.snapshot(),
                    storageFailing: service.store.database.health.commitFailure != nil)
                return HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"], body: Array(text.utf8))
            },
            Route("GET", "/openapi.json", .anyone) { _ in
                .json(status: .ok, bytes: openAPI)
            },
            Route("POST", "/v1/sync/push", .device) { context in
                let device = try context.requireDevice()
                let mark = try sentMark(context.request)
                // A replica bound to an instance is one that says how far it has sent.
                if device.instance != nil, mark == nil {
                    throw SyncError.badRequest("missing_sent_mark", "a replica's push says how far it has sent in \(SyncService.sentMarkHeader)",
                                               field: SyncService.sentMarkHeader)
                }
                return .json(status: .ok, bytes: try service.push(device: device, body: context.request.body, sentMark: mark).jsonBytes)
            },
            Route("POST", "/v1/sync/hello", .deviceGreeting) { context in
                let body = try parseJSONBody(context.request, members: ["instance", "replace"])
                guard let instance = body["instance"]?.stringValue else {
                    throw SyncError.badRequest("invalid_instance", "instance is the replica instance's id", field: "instance")
                }
                guard body["replace"] == nil || body["replace"]?.boolValue != nil else {
                    throw SyncError.badRequest("invalid_replace", "replace is true or false", field: "replace")
                }
                return json(try service.hello(device: try context.requireDevice(), instance: instance,
                                              replace: body["replace"]?.boolValue ?? false))
            },
            Route("POST", "/v1/sync/rotate", .device) { context in
                let body = context.request.body.isEmpty ? [:] : try parseJSONBody(context.request, members: ["instance"])
                guard body["instance"] == nil || body["instance"]?.stringValue != nil else {
                    throw SyncError.badRequest("invalid_instance", "instance is the replica instance's new id", field: "instance")
                }
                return json(try service.rotateWriter(device: try context.requireDevice(), newInstance: body["instance"]?.stringValue))
            },
            Route("GET", "/v1/sync/pull", .device) { context in
                // HEAD is answered as GET without the body, so it delivers nothing to audit.
                let page = try service.pull(device: try context.requireDevice(), clinician: try clinician(context.request),
                                            since: try context.integer("since") ?? 0, limit: try context.integer("limit").map { Int($0) },
                                            delivering: context.request.method != "HEAD")
                var response = HTTPResponse.json(status: .ok, bytes: page.jsonBytes)
                response.headers.add(name: SyncService.latestSequenceHeader, value: "\(page.latestSequence)")
                return response
            },
            Route("GET", "/v1/sync/conflicts", .device) { context in
                json(try service.conflicts(device: try context.requireDevice()))
            },
            Route("GET", "/v1/sync/digest", .device) { context in
                json(try service.digest(device: try context.requireDevice(), unit: context.request.queryParameters["unit"]))
            },
            Route("GET", "/v1/records/{collection}/{id}", .device) { context in
                let record = try service.record(device: try context.requireDevice(), clinician: try clinician(context.request),
                                                collection: context.parameters["collection"] ?? "", id: context.parameters["id"] ?? "",
                                                delivering: context.request.method != "HEAD")
                var writer = CanonicalWriter(capacity: record.stateBytes.count + 128)
                SyncService.writeRecord(record, to: &writer)
                return .json(status: .ok, bytes: writer.bytes)
            },
            Route("POST", "/v1/admin/devices", .admin) { context in
                let body = try parseJSONBody(context.request, members: ["name", "units"])
                guard let name = body["name"]?.stringValue else {
                    throw SyncError.badRequest("invalid_name", "name is a string", field: "name")
                }
                guard let units = body["units"]?.arrayValue?.compactMap(\.stringValue), units.count == body["units"]?.arrayValue?.count else {
                    throw SyncError.badRequest("invalid_units", "units is an array of HSA-ids", field: "units")
                }
                let (device, token) = try service.enrol(name: name, units: units)
                return json(.object([
                    "replicaId": .string(device.replicaID.description), "token": .string(token), "name": .string(device.name),
                    "units": .array(device.units.map(JSONValue.string)),
                ]), status: .created)
            },
            Route("GET", "/v1/admin/devices", .admin) { _ in
                json(.object(["devices": try service.deviceOverview()]))
            },
            Route("POST", "/v1/admin/devices/{replicaId}/revoke", .admin) { context in
                let device = try service.revoke(context.parameters["replicaId"] ?? "")
                return json(.object(["replicaId": .string(device.replicaID.description),
                                     "revokedAt": device.revokedAtMilliseconds.map(JSONValue.integer) ?? .null]))
            },
            Route("GET", "/v1/admin/audit/verify", .admin) { context in
                json(try service.verifyAudit(anchor: context.request.queryParameters["head"]))
            },
            Route("GET", "/v1/admin/audit", .admin) { context in
                // The patient goes in the query, not the path: access logs record paths.
                guard let patient = context.request.queryParameters["patient"], !patient.isEmpty else {
                    throw SyncError.badRequest("missing_patient", "give the patient identifier as ?patient=", field: "patient")
                }
                return json(try service.auditExtract(patient: patient))
            },
            Route("GET", "/v1/admin/audit/head", .admin) { _ in
                json(try service.auditHead())
            },
            Route("POST", "/v1/sync/access-log", .device) { context in
                json(try service.logDeviceAccess(device: try context.requireDevice(), body: context.request.body))
            },
            Route("GET", "/v1/admin/dump", .admin) { context in
                guard let unit = context.request.queryParameters["unit"] else {
                    throw SyncError.badRequest("missing_unit", "give the care unit's HSA-id as ?unit=", field: "unit")
                }
                return HTTPResponse(status: .ok, headers: ["Content-Type": "application/x-ndjson"], body: try service.adminDump(unit: unit))
            },
        ]
    }

    static let healthy = json(.object(["status": .string("ok")]))

    /// `200` when the server should get traffic; `503` with the reason while it sheds load
    /// or while the database cannot commit (probed with a tiny write, see
    /// ``SyncService/storageFailure()``).
    static func readiness(service: SyncService, router: SyncRouter) throws -> HTTPResponse {
        if let connections = router.connections, connections.isShedding(queueCapacity: router.queueCapacity) {
            var response = HTTPResponse.error(status: .serviceUnavailable, code: "shedding_load",
                                              message: "the server is refusing work because it is overloaded")
            response.headers.add(name: "Retry-After", value: "5")
            return response
        }
        if service.storageFailure() != nil {
            // SQLite's text may name files; the log and /metrics have the details.
            var response = HTTPResponse.error(status: .serviceUnavailable, code: "storage_unavailable",
                                              message: "the database cannot commit (disk full, read-only or locked)")
            response.headers.add(name: "Retry-After", value: "5")
            return response
        }
        return json(.object(["status": .string("ready")]))
    }

    /// Devices (not revoked) by how long ago they were last seen.
    static func lastSeenBuckets(_ devices: [Device], now: Int64) -> [(String, Int)] {
        let hour: Int64 = 3_600_000
        var buckets: [(String, Int)] = [("never", 0), ("1h", 0), ("24h", 0), ("7d", 0), ("older", 0)]
        for device in devices where device.revokedAtMilliseconds == nil {
            let index: Int
            if let seen = device.lastSeenMilliseconds {
                let age = now - seen
                index = age <= hour ? 1 : age <= 24 * hour ? 2 : age <= 7 * 24 * hour ? 3 : 4
            } else {
                index = 0
            }
            buckets[index].1 += 1
        }
        return buckets
    }
}
