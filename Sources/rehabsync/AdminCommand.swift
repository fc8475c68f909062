import Foundation
import RehabSyncClient
import RehabSyncCommandLine
import RehabSyncCore
import RehabSyncServer

/// `rehabsync admin …`: the administrator's calls to a running server, over HTTP. The token
/// comes from `REHABSYNC_ADMIN_TOKEN`, or else from the token file in the data directory.
enum AdminCommand {
    static let help = CommandHelp(group: "admin", synopsis: "<command> [--server URL] [--data-dir DIR]", subcommands: [
        .init("enrol", "--unit HSA-ID [--unit HSA-ID ...] --name NAME",
              "Enrol a device; prints {\"replicaId\",\"token\",...}. The token is shown once."),
        .init("revoke", "--replica ID", "Revoke a device; its token stops working on the next request."),
        .init("devices", "", "List devices: last seen, cursor lag, pending conflicts."),
        .init("audit verify", "[--head H]", """
            Check the audit log's sealed chain; exit 1 if it is broken, or if
            it no longer reaches a head H printed earlier by 'audit head'.
            """),
        .init("audit head", "", "Print the chain's head ({\"head\":\"<id>:<seal>\"}) for an external log."),
        .init("audit extract", "--patient ID", "Every logged access to one patient's records."),
        .init("dump", "--unit HSA-ID", "Every record state of a unit, one canonical line per record."),
        .init("backup", "--to FILE", """
            Copy the database while the server runs (reads the data directory;
            run as the server's user on its machine).
            """),
        .init("restore", "--from FILE", """
            Put a backup in place; the server must be stopped. Then every
            device runs 'rehabsync replica resync' (see the README).
            """),
    ], footer: """
        Options:
          --server URL    the server (default http://127.0.0.1:8088)
          --data-dir DIR  where to find the admin token file and, for backup and restore, the
                          database (default $REHABSYNC_DATA_DIR or ./data)
        """)

    static var usage: String { help.usage }

    static func run(_ words: [String], environment: [String: String]) throws {
        guard let command = words.first, command != "--help", command != "help" else {
            print(usage)
            if words.isEmpty { throw CommandFailure.usage("admin needs a command") }
            return
        }
        var rest = Array(words.dropFirst())
        var name = command
        if command == "audit" {
            guard let sub = rest.first, ["verify", "extract", "head"].contains(sub) else {
                if rest.first == "--help" { print(usage); return }
                throw CommandFailure.usage("audit takes 'verify', 'head' or 'extract'")
            }
            name = "audit \(sub)"
            rest.removeFirst()
        }
        guard help.help(name) != nil else { throw CommandFailure.usage("unknown admin command '\(command)'\n\n\(usage)") }
        let arguments: Arguments
        do {
            arguments = try Arguments(rest, valued: ["server", "data-dir", "unit", "name", "replica", "patient", "to", "from", "head"],
                                      switches: ["help"], repeatable: ["unit"])
        } catch {
            throw CommandFailure.usage("\(error)\n\n\(usage)")
        }
        if arguments.has("help") {
            print(help.help(name) ?? usage)
            return
        }
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
            print(try call("GET", "/v1/admin/devices").bodyText)
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
            throw CommandFailure.usage("unknown admin command '\(command)'\n\n\(usage)")
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
