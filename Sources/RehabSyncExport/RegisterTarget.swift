import Foundation
import RehabSyncClient
import RehabSyncCore

/// Where and how a job delivers: the register's URL, TLS material (a CA bundle and a SITHS
/// function certificate) and the delivery's patience.
public struct RegisterTarget: Hashable, Sendable {
    public var name: String
    public var url: String
    public var caBundle: String?
    public var clientCertificate: String?
    public var clientKey: String?
    public var connectTimeoutSeconds = 10
    public var timeoutSeconds = 60
    /// Tries per delivery and run, the first included.
    public var maxAttempts = 5
    /// The first retry waits about this long; each later one twice as long, up to ``maxBackoffSeconds``.
    public var initialBackoffMilliseconds = 1_000
    public var maxBackoffSeconds = 300

    public init(name: String, url: String) {
        self.name = name
        self.url = url
    }

    /// The client options for this target.
    public var clientOptions: HTTPClientOptions {
        HTTPClientOptions(connectTimeoutSeconds: connectTimeoutSeconds, totalTimeoutSeconds: timeoutSeconds,
                          caBundlePath: caBundle, clientCertificatePath: clientCertificate, clientKeyPath: clientKey)
    }

    /// Every target of `Config/register.json` (`{"targets":{"name":{...}}}`); relative TLS
    /// paths are resolved against the file's directory. `REHABSYNC_REGISTER_URL` overrides the
    /// URL of every target (there is one in practice). A missing file gives the shipped default.
    public static func load(path: String, environment: [String: String]) throws(ExportError) -> [String: RegisterTarget] {
        var targets: [String: RegisterTarget] = [:]
        if let data = FileManager.default.contents(atPath: path) {
            targets = try parse(Array(data), file: path, directory: (path as NSString).deletingLastPathComponent)
        } else {
            targets["national-register"] = RegisterTarget(name: "national-register", url: "https://register.example/fhir/Bundle")
        }
        if let url = environment["REHABSYNC_REGISTER_URL"] {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw ExportError("invalid_target", "must be an http or https URL", field: "REHABSYNC_REGISTER_URL")
            }
            for name in targets.keys { targets[name]?.url = url }
        }
        return targets
    }

    static func parse(_ bytes: [UInt8], file: String, directory: String) throws(ExportError) -> [String: RegisterTarget] {
        func fail(_ field: String, _ message: String) -> ExportError { ExportError("invalid_target", message, field: field, file: file) }
        let document: JSONValue
        do { document = try JSONParser.parse(bytes) } catch { throw fail("(document)", "not valid JSON: \(error.message)") }
        guard let targetMap = document.objectValue?["targets"]?.objectValue else { throw fail("targets", "must be an object of named targets") }
        var targets: [String: RegisterTarget] = [:]
        for (name, value) in targetMap.sorted(by: { $0.key < $1.key }) {
            guard let object = value.objectValue else { throw fail("targets.\(name)", "must be an object") }
            guard let url = object["url"]?.stringValue, url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw fail("targets.\(name).url", "must be an http or https URL")
            }
            var target = RegisterTarget(name: name, url: url)
            for (key, member) in object.sorted(by: { $0.key < $1.key }) where key != "url" {
                let field = "targets.\(name).\(key)"
                switch key {
                case "caBundle", "clientCertificate", "clientKey":
                    guard let text = member.stringValue, !text.isEmpty else { throw fail(field, "must be a file path") }
                    let resolved = text.hasPrefix("/") ? text : (directory as NSString).appendingPathComponent(text)
                    if key == "caBundle" { target.caBundle = resolved } else if key == "clientCertificate" { target.clientCertificate = resolved } else { target.clientKey = resolved }
                case "connectTimeoutSeconds", "timeoutSeconds", "maxAttempts", "initialBackoffMilliseconds", "maxBackoffSeconds":
                    guard let number = member.integerValue, (1...86_400_000).contains(number) else { throw fail(field, "must be a positive whole number") }
                    switch key {
                    case "connectTimeoutSeconds": target.connectTimeoutSeconds = Int(number)
                    case "timeoutSeconds": target.timeoutSeconds = Int(number)
                    case "maxAttempts": target.maxAttempts = Int(number)
                    case "initialBackoffMilliseconds": target.initialBackoffMilliseconds = Int(number)
                    default: target.maxBackoffSeconds = Int(number)
                    }
                case "description": break
                default: throw fail(field, "unknown member")
                }
            }
            targets[name] = target
        }
        return targets
    }
}
