import Foundation
import RehabSyncClient
import RehabSyncCommandLine
import RehabSyncCore
import RehabSyncServer

/// `rehabsync admin …`: the administrator's calls to a running server, over HTTP. The token
/// comes from `REHABSYNC_ADMIN_TOKEN`, or else from the token file in the data directory.
enum AdminCommand {
    static let spec: CommandSpec = CommandSpec(group: "admin", summary: "Enrol and revoke devices, verify the audit log, dump a unit, back up and restore.",
                                  discussion: """
        Every command but backup and restore calls a running server with the administrator's
        token: from $REHABSYNC_ADMIN_TOKEN, or else the admin-token file in the data directory.
        Output is JSON on standard output; errors go to standard error with exit code 1, usage
        errors with 2, and a server's refusal is printed as its status, code and message.
        """, options: [
            .value("server", "URL", "the server (default $REHABSYNC_SERVER or http://127.0.0.1:8088)"),
            .value("data-dir", "DIR", "where the admin token file is and, for backup and restore, the database "
                + "(default $REHABSYNC_DATA_DIR or ./data)"),
        ], environment: [
            EnvironmentVariable("REHABSYNC_ADMIN_TOKEN", "the administrator's token (else the data directory's admin-token file)"),
            EnvironmentVariable("REHABSYNC_SERVER", "the server when --server is not given"),
            EnvironmentVariable("REHABSYNC_DATA_DIR", "the data directory when --data-dir is not given"),
        ], subcommands: [
            CommandSpec("enrol", summary: "Enrol a device; prints {\"replicaId\",\"token\",...}. The token is shown once.", options: [
                .value("unit", "HSA-ID", "a care unit whose records the device syncs", required: true, repeats: true),
                .value("name", "NAME", "the device's name, for people", required: true),
            ], handler: run),
            CommandSpec("revoke", summary: "Revoke a device; its token stops working on the next request.",
                        options: [.value("replica", "ID", "the device's replica id", required: true)], handler: run),
            CommandSpec("devices", summary: "List devices: last seen, cursor lag, pending conflicts.", options: [OutputFormat.option],
                        handler: run),
            CommandSpec(group: "audit", summary: "The sealed access log: verify its chain, print its head, extract a patient's accesses.",
                        subcommands: [
                CommandSpec("verify", summary: "Check the audit log's sealed chain.", discussion: """
                    Exit 1 if it is broken, or if it no longer reaches a head H printed earlier by
                    'audit head'.
                    """, options: [.value("head", "H", "a head printed earlier by 'audit head', which the chain must still reach")],
                    handler: run),
                CommandSpec("head", summary: "Print the chain's head ({\"head\":\"<id>:<seal>\"}) for an external log.", handler: run),
                CommandSpec("extract", summary: "Every logged access to one patient's records.",
                            options: [.value("patient", "ID", "the patient, in any spelling of the identifier", required: true)],
                            handler: run),
            ]),
            CommandSpec("dump", summary: "Every record state of a unit, one canonical line per record.",
                        options: [.value("unit", "HSA-ID", "the care unit", required: true)], handler: run),
            CommandSpec("backup", summary: "Copy the database while the server runs.", discussion: """
                Reads the data directory's files, not the server's HTTP side: run it as the server's
                user on its machine.
                Shows progress on standard error: pages copied, rate and time left on a terminal,
                a one-line summary at the end.
                """, options: [.value("to", "FILE", "the new backup file; an existing file is never overwritten", required: true),
                               ProgressWriter.quietOption],
                handler: run),
            CommandSpec("restore", summary: "Put a backup in place; the server must be stopped.", discussion: """
                The database found there is kept beside it, renamed. Then every device runs
                'rehabsync replica resync' (see the README).
                """, options: [.value("from", "FILE", "the backup to restore", required: true)], handler: run),
        ])

    @Sendable static func run(_ invocation: CommandInvocation) throws {
        let name = invocation.subcommand
        let arguments = invocation.arguments
        let environment = invocation.environment
        switch name {
        case "backup": return try AdminBackupCommand.backup(arguments, environment: environment)
        case "restore": return try AdminBackupCommand.restore(arguments, environment: environment)
        default: break
        }
        let server = (arguments.value("server") ?? environment["REHABSYNC_SERVER"] ?? "http://127.0.0.1:8088")
            .trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let token = try adminToken(arguments: arguments, environment: environment)
        let client = CurlHTTPClient()

        func call(_ method: String, _ path: String, body: JSONValue? = nil) throws -> HTTPClientResponse {
            do {
                let response = try client.send(method, server + path, headers: [
                    "Authorization": "Bearer \(token)", "Content-Type": "application/json",
                ], body: body?.canonicalBytes)
                guard (200..<300).contains(response.status) else {
                    throw CommandFailure.failed(refusal(response))
                }
                return response
            } catch let error as HTTPClientError {
                throw CommandFailure.failed("cannot reach \(server): \(error.message)")
            }
        }
        func query(_ value: String) -> String {
            value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._"))) ?? value
        }

        switch name {
        case "enrol":
            let units = arguments.values("unit")
            guard !units.isEmpty, let deviceName = arguments.value("name") else {
                throw CommandFailure.usage("enrol needs --unit HSA-ID (one or more) and --name NAME")
            }
            print(try call("POST", "/v1/admin/devices", body: .object([
                "name": .string(deviceName), "units": .array(units.map(JSONValue.string)),
            ])).bodyText)
        case "revoke":
            guard let replica = arguments.value("replica") else { throw CommandFailure.usage("revoke needs --replica ID") }
            print(try call("POST", "/v1/admin/devices/\(query(replica))/revoke").bodyText)
        case "devices":
            let response = try call("GET", "/v1/admin/devices")
            guard OutputFormat(arguments) == .table else { return print(response.bodyText) }
            guard let devices = (try? JSONParser.parse(response.body))?.objectValue?["devices"]?.arrayValue else {
                throw CommandFailure.failed("the server's answer has no list of devices")
            }
            CommandOutput.print(.array(devices), as: .table) {
                [(nil, JSONTable.table(devices, fields: [
                    .init("REPLICA ID", "replicaId"), .init("NAME", "name"), .init("UNITS", "units"), .init("ENROLLED", "enrolledAt", .time),
                    .init("REVOKED", "revokedAt", .time), .init("LAST SEEN", "lastSeenAt", .time), .init("CURSOR", "cursor"),
                    .init("LAG", "cursorLag"), .init("CONFLICTS", "pendingConflicts"),
                ]))]
            }
        case "audit verify":
            let response = try call("GET", "/v1/admin/audit/verify" + (arguments.value("head").map { "?head=\(query($0))" } ?? ""))
            print(response.bodyText)
            if (try? JSONParser.parse(response.body))?.objectValue?["ok"] != .bool(true) {
                throw CommandFailure.failed("the audit log's hash chain is broken")
            }
        case "audit head":
            print(try call("GET", "/v1/admin/audit/head").bodyText)
        case "audit extract":
            guard let patient = arguments.value("patient") else { throw CommandFailure.usage("audit extract needs --patient ID") }
            print(try call("GET", "/v1/admin/audit?patient=\(query(patient))").bodyText)
        case "dump":
            guard let unit = arguments.value("unit") else { throw CommandFailure.usage("dump needs --unit HSA-ID") }
            FileHandle.standardOutput.write(Data(try call("GET", "/v1/admin/dump?unit=\(query(unit))").body))
        default:
            throw CommandFailure.usage("unknown admin command '\(name)'")
        }
    }

    /// A server's refusal as a person reads it: the status, the error's code, field and
    /// message from its `{"error":{…}}` body, and the raw body only when it has none.
    static func refusal(_ response: HTTPClientResponse) -> String {
        guard let error = (try? JSONParser.parse(response.body))?.objectValue?["error"]?.objectValue,
              case .string(let message)? = error["message"] else {
            let body = response.bodyText.trimmingCharacters(in: .whitespacesAndNewlines)
            return "server answered \(response.status)" + (body.isEmpty ? "" : ": \(body)")
        }
        var text = "server answered \(response.status)"
        if case .string(let code)? = error["code"] { text += " \(code)" }
        if case .string(let field)? = error["field"] { text += " at \(field)" }
        return text + ": \(message)"
    }

    private static func adminToken(arguments: Arguments, environment: [String: String]) throws -> String {
        if let token = environment["REHABSYNC_ADMIN_TOKEN"], !token.isEmpty { return token }
        let directory = arguments.value("data-dir") ?? environment["REHABSYNC_DATA_DIR"] ?? "./data"
        let path = (directory as NSString).appendingPathComponent("admin-token")
        guard let token = try? AdminTokenFile.read(at: path) else {
            throw CommandFailure.failed("no admin token: set REHABSYNC_ADMIN_TOKEN or point --data-dir at the server's data directory (looked for \(path))")
        }
        return token
    }
}
