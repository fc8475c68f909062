import Foundation
import RehabSyncCore
import RehabSyncDomain
import RehabSyncReferenceFiles

/// The server's settings: `Config/rehabsync.json` (or `--config FILE`), then environment
/// variables `REHABSYNC_<NAME>` over it. Every setting has a safe default, so a missing
/// file is not an error; a malformed one is.
///
/// Paths: the data directory is relative to the working directory; the reference-data
/// directories are relative to the directory of the configuration file.
public struct ServerSettings: Sendable, Hashable {
    public var host = "127.0.0.1"
    public var port = 8088
    public var dataDirectory = "./data"
    public var kvaDirectory = "Config/kva"
    public var questionnaireDirectory = "Config/questionnaires"
    /// The region's reserve-number formats (named patterns); absent means none.
    public var reserveNumberFormatsFile = "Config/reserve-numbers.json"
    /// Where the access log's key is kept; empty means `audit-key` in the data directory.
    public var auditKeyFile = ""
    public var logLevel = "info"
    public var workers = 8
    public var queueCapacity = 64
    /// A push batch of 1,000 records is about 1.3 MB; parsing takes several times the body
    /// in memory on each worker, so the limit stays well below what memory allows.
    public var maxBodyBytes = 8 * 1_048_576
    public var requestTimeoutSeconds = 30
    public var idleTimeoutSeconds = 5
    public var shutdownGraceSeconds = 10
    public var maxBatchRecords = 1_000
    public var defaultPageSize = 500
    public var maxPageSize = 5_000
    public var maxClockDriftSeconds = 600
    /// How long a write waits for a database lock held elsewhere before it answers 503.
    public var busyTimeoutMilliseconds = 5_000
    /// IP addresses of TLS proxies whose client-certificate headers are believed.
    public var trustedProxies: Set<String> = []
    /// Whether device routes require a client certificate verified by a trusted proxy.
    public var requireClientCertificate = false
    /// Open connections at most; beyond, new ones get `503` at once.
    public var maxConnections = 10_000
    /// Event-loop threads for the connections.
    public var eventLoops = 1
    /// Workers that only GET and HEAD requests may use, so pushes waiting for the writer
    /// never hold every worker.
    public var workersReservedForReads = 2
    /// Stored state in one pull page at most (the first record always goes).
    public var maxPageBytes = 4 * 1_048_576
    /// Longest time for a request's header section to arrive (slow-loris cut-off).
    public var headerTimeoutSeconds = 10
    /// Longest time a response may make no progress before the client is cut.
    public var sendTimeoutSeconds = 10
    /// The slowest a client may read a response, in bytes per second, before its send
    /// deadline cuts it.
    public var minimumSendBytesPerSecond = 16 * 1_024
    /// A token accepted for `/metrics` besides the administrator's; empty for none.
    public var metricsToken = ""
    /// `host:port` of a loopback-only listener serving `/metrics`, `/healthz` and `/readyz`
    /// without a token; empty for none. Only 127.0.0.0/8, `::1` and `localhost` are accepted.
    public var metricsListen = ""
    /// The settings the file or the environment gave, for checks that spare the defaults.
    private var given: Set<String> = []

    /// The default configuration file, relative to the working directory.
    public static let defaultConfigPath = "Config/rehabsync.json"

    public init() {}

    /// The database file in the data directory.
    public var databasePath: String { (dataDirectory as NSString).appendingPathComponent("rehabsync.sqlite") }

    /// The key that seals the access log: `auditKeyFile` when set (a path outside the data
    /// directory keeps the key away from whoever can copy the database), else `audit-key`
    /// in the data directory, created on first start.
    public var auditKeyPath: String {
        auditKeyFile.isEmpty ? (dataDirectory as NSString).appendingPathComponent("audit-key") : auditKeyFile
    }

    /// The administrator token file in the data directory.
    public var adminTokenPath: String { (dataDirectory as NSString).appendingPathComponent("admin-token") }

    /// Reads settings from `path` (the default file may be absent) and `environment`.
    public static func load(path: String?, environment: [String: String]) throws(SettingsError) -> ServerSettings {
        var settings = ServerSettings()
        let configPath = path ?? environment["REHABSYNC_CONFIG"] ?? defaultConfigPath
        let configDirectory = (configPath as NSString).deletingLastPathComponent
        settings.kvaDirectory = Self.join(configDirectory, "kva")
        settings.questionnaireDirectory = Self.join(configDirectory, "questionnaires")
        settings.reserveNumberFormatsFile = Self.join(configDirectory, "reserve-numbers.json")
        if let data = FileManager.default.contents(atPath: configPath) {
            try settings.apply(file: Array(data), name: configPath, directory: configDirectory)
        } else if path != nil {
            throw SettingsError("cannot read the configuration file \(configPath)")
        }
        try settings.apply(environment: environment)
        if settings.requireClientCertificate, settings.trustedProxies.isEmpty {
            throw SettingsError("requireClientCertificate needs trustedProxies: the addresses of the TLS proxies whose certificate headers count")
        }
        try settings.checkConsistency()
        return settings
    }

    private static func join(_ directory: String, _ path: String) -> String {
        path.hasPrefix("/") || directory.isEmpty ? path : (directory as NSString).appendingPathComponent(path)
    }

    private mutating func apply(file bytes: [UInt8], name: String, directory: String) throws(SettingsError) {
        let document: JSONValue
        do { document = try JSONParser.parse(bytes) } catch {
            throw SettingsError("\(name) is not valid JSON: \(error.message)")
        }
        guard let members = document.objectValue else { throw SettingsError("\(name) must hold a JSON object") }
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            let text: String
            switch value {
            case .string(let string): text = string
            case .integer(let number): text = String(number)
            case .bool(let flag): text = flag ? "true" : "false"
            default: throw SettingsError("\(name): \(key) must be a string, an integer or a boolean")
            }
            try set(key, text, source: name)
        }
        // Paths the file gives are relative to the file; the defaults already are.
        if members["kvaDirectory"] != nil { kvaDirectory = Self.join(directory, kvaDirectory) }
        if members["questionnaireDirectory"] != nil { questionnaireDirectory = Self.join(directory, questionnaireDirectory) }
        if members["reserveNumberFormatsFile"] != nil { reserveNumberFormatsFile = Self.join(directory, reserveNumberFormatsFile) }
    }

    /// `REHABSYNC_LISTEN`, `REHABSYNC_DATA_DIR` and `REHABSYNC_<SETTING>` in upper snake case.
    /// Any other `REHABSYNC_` variable outside ``otherVariables`` is refused: a misspelt
    /// override would otherwise be ignored and the default used without a word.
    private mutating func apply(environment: [String: String]) throws(SettingsError) {
        var known = Self.otherVariables
        for key in Self.keys {
            let variable = Self.environmentAliases.first { $0.value == key }?.key ?? "REHABSYNC_" + Self.snakeCase(key)
            known.insert(variable)
            if let value = environment[variable] { try set(key, value, source: variable) }
        }
        if let unknown = environment.keys.filter({ $0.hasPrefix("REHABSYNC_") && !known.contains($0) }).sorted().first {
            throw SettingsError("\(unknown) is neither a setting nor a variable rehabsync reads: check its spelling (see the README's settings list)")
        }
    }

    private static let environmentAliases = ["REHABSYNC_DATA_DIR": "dataDirectory"]

    /// The `REHABSYNC_` variables that are not server settings but are read elsewhere: by
    /// the other commands, the tests, `.ci/` scripts and the TLS proxy set-up. Kept in one
    /// list so that the server, which sees the same environment, accepts them.
    public static let otherVariables: Set<String> = [
        "REHABSYNC_CONFIG", "REHABSYNC_CONFIG_DIR", "REHABSYNC_JOBS_DIR", "REHABSYNC_REGISTER_URL",
        "REHABSYNC_ADMIN_TOKEN", "REHABSYNC_SERVER", "REHABSYNC_DEVICE_TOKEN",
        "REHABSYNC_SEED", "REHABSYNC_REQUIRE_INTEGRATION", "REHABSYNC_FHIR_PYTHON", "REHABSYNC_KILL_ROUNDS",
        "REHABSYNC_EXPORT_KILL_ROUNDS", "REHABSYNC_FUZZ_TARGET", "REHABSYNC_FUZZ_ITERATIONS",
        "REHABSYNC_PROXY_LISTEN", "REHABSYNC_SERVER_NAME", "REHABSYNC_UPSTREAM", "REHABSYNC_TLS_CERTIFICATE",
        "REHABSYNC_TLS_KEY", "REHABSYNC_CLIENT_CA", "REHABSYNC_BENCH_CLIENT_WRAPPER",
    ]

    static let keys = [
        "listen", "dataDirectory", "kvaDirectory", "questionnaireDirectory", "logLevel", "workers", "queueCapacity",
        "maxBodyBytes", "requestTimeoutSeconds", "idleTimeoutSeconds", "shutdownGraceSeconds", "maxBatchRecords",
        "defaultPageSize", "maxPageSize", "maxClockDriftSeconds", "busyTimeoutMilliseconds",
        "trustedProxies", "requireClientCertificate",
        "reserveNumberFormatsFile", "auditKeyFile",
        "maxConnections", "eventLoops", "workersReservedForReads", "maxPageBytes",
        "headerTimeoutSeconds", "sendTimeoutSeconds", "minimumSendBytesPerSecond", "metricsToken", "metricsListen",
    ]

    static func snakeCase(_ key: String) -> String {
        var result = ""
        for character in key {
            if character.isUppercase { result += "_" }
            result += character.uppercased()
        }
        return result
    }

    /// Refuses settings that each pass their own range but cannot hold together, rather
    /// than quietly letting one win.
    private func checkConsistency() throws(SettingsError) {
        if defaultPageSize > maxPageSize {
            throw SettingsError("defaultPageSize (\(defaultPageSize)) is above maxPageSize (\(maxPageSize)): a pull without a limit would ask for more than any pull may")
        }
        // Only when given: the default reservation shrinks by itself on a small worker pool.
        if given.contains("workersReservedForReads"), workersReservedForReads >= workers {
            throw SettingsError("workersReservedForReads (\(workersReservedForReads)) must be below workers (\(workers)): at least one worker has to take writes")
        }
        if !metricsListen.isEmpty, let (metricsHost, metricsPort) = Self.splitListen(metricsListen),
            metricsPort != 0, metricsPort == port, metricsHost == host {
            throw SettingsError("metricsListen (\(metricsListen)) is the same address as listen: give the metrics listener a port of its own")
        }
    }

    private mutating func set(_ key: String, _ value: String, source: String) throws(SettingsError) {
        given.insert(key)
        func number(_ range: ClosedRange<Int>) throws(SettingsError) -> Int {
            guard let number = Int(value), range.contains(number) else {
                throw SettingsError("\(source): \(key) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }
        switch key {
        case "listen":
            guard let (host, port) = Self.splitListen(value), (0...65_535).contains(port)
            else { throw SettingsError("\(source): listen must be host:port, such as 127.0.0.1:8088") }
            self.host = host
            self.port = port
        case "dataDirectory": dataDirectory = value
        case "kvaDirectory": kvaDirectory = value
        case "questionnaireDirectory": questionnaireDirectory = value
        case "reserveNumberFormatsFile": reserveNumberFormatsFile = value
        case "auditKeyFile": auditKeyFile = value
        case "logLevel":
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(value) else {
                throw SettingsError("\(source): logLevel must be trace, debug, info, notice, warning, error or critical")
            }
            logLevel = value
        case "workers": workers = try number(1...1_024)
        case "queueCapacity": queueCapacity = try number(1...100_000)
        case "maxBodyBytes": maxBodyBytes = try number(1_024...1_073_741_824)
        case "requestTimeoutSeconds": requestTimeoutSeconds = try number(1...3_600)
        case "idleTimeoutSeconds": idleTimeoutSeconds = try number(1...3_600)
        case "shutdownGraceSeconds": shutdownGraceSeconds = try number(0...3_600)
        case "maxBatchRecords": maxBatchRecords = try number(1...100_000)
        case "defaultPageSize": defaultPageSize = try number(1...100_000)
        case "maxPageSize": maxPageSize = try number(1...100_000)
        case "maxClockDriftSeconds": maxClockDriftSeconds = try number(0...86_400 * 365)
        case "busyTimeoutMilliseconds": busyTimeoutMilliseconds = try number(1...600_000)
        case "trustedProxies":
            // Comma-separated IP addresses; names would need a resolver the check cannot trust.
            let addresses = value.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard addresses.allSatisfy({ $0.allSatisfy { $0.isHexDigit || $0 == "." || $0 == ":" } }) else {
                throw SettingsError("\(source): trustedProxies must be IP addresses separated by commas, such as 127.0.0.1,::1")
            }
            trustedProxies = Set(addresses)
        case "requireClientCertificate":
            guard value == "true" || value == "false" else { throw SettingsError("\(source): requireClientCertificate must be true or false") }
            requireClientCertificate = value == "true"
        case "maxConnections": maxConnections = try number(1...1_000_000)
        case "workersReservedForReads": workersReservedForReads = try number(0...1_023)
        case "eventLoops": eventLoops = try number(1...64)
        case "maxPageBytes": maxPageBytes = try number(65_536...1_073_741_824)
        case "headerTimeoutSeconds": headerTimeoutSeconds = try number(1...3_600)
        case "sendTimeoutSeconds": sendTimeoutSeconds = try number(1...3_600)
        case "minimumSendBytesPerSecond": minimumSendBytesPerSecond = try number(1...1_073_741_824)
        case "metricsToken": metricsToken = value
        case "metricsListen":
            guard value.isEmpty || Self.isLoopbackListen(value) else {
                throw SettingsError("\(source): metricsListen must be a loopback host:port, such as 127.0.0.1:9464")
            }
            metricsListen = value
        default: throw SettingsError("\(source): unknown setting '\(key)'")
        }
    }

    /// Which proxies' certificate headers count, and whether devices need a certificate.
    public var clientCertificatePolicy: ClientCertificatePolicy {
        ClientCertificatePolicy(trustedProxies: trustedProxies, requiredForDevices: requireClientCertificate)
    }

    /// Whether `value` is `host:port` with a loopback host: the metrics listener answers
    /// without a token, so nothing but local processes may reach it.
    static func isLoopbackListen(_ value: String) -> Bool {
        guard let (host, port) = splitListen(value), (0...65_535).contains(port) else { return false }
        return host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// `host:port` (the host may be in brackets) split, or nil.
    static func splitListen(_ value: String) -> (String, Int)? {
        guard let separator = value.lastIndex(of: ":"), separator != value.startIndex,
            let port = Int(value[value.index(after: separator)...])
        else { return nil }
        return (String(value[..<separator]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port)
    }

    /// The sync limits these settings give.
    public var syncConfiguration: SyncServiceConfiguration {
        SyncServiceConfiguration(maximumBatchRecords: maxBatchRecords, defaultPageSize: min(defaultPageSize, maxPageSize),
                                 maximumPageSize: maxPageSize, maximumClockDriftMilliseconds: Int64(maxClockDriftSeconds) * 1_000,
                                 maximumPageBytes: maxPageBytes)
    }

    /// Loads every KVÅ list and questionnaire definition; the newest KVÅ list is in force.
    public func loadReferenceData(today: CivilDate) throws(SettingsError) -> ReferenceData {
        do {
            return try ReferenceDataFiles.load(kvaDirectory: kvaDirectory, questionnaireDirectory: questionnaireDirectory,
                                               reserveNumberFormatsFile: reserveNumberFormatsFile, today: today)
        } catch {
            throw SettingsError("\(error)")
        }
    }
}

/// A setting that cannot be used, with where it came from.
public struct SettingsError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
