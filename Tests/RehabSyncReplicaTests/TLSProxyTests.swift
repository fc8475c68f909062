import Foundation
import RehabSyncClient
import RehabSyncCore
import RehabSyncDomain
import RehabSyncHTTP
import RehabSyncReferenceFiles
import RehabSyncReplica
import RehabSyncServer
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The shipped nginx configuration in front of a real server: a replica syncs through it
/// with a client certificate from a throwaway CA, and a connection without one is refused.
@Suite(.enabled(if: IntegrationTools.present("nginx", "openssl") || IntegrationTools.required))
struct TLSProxyTests {
    typealias E2E = ReplicaEndToEndTests

    static func tool(_ name: String) -> String? { IntegrationTools.find(name) }

    /// Runs a tool to its end; throws with its standard error when it fails.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], in directory: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ServerStartFailure("\(executable) \(arguments.joined(separator: " ")) failed: \(text)")
        }
        return text
    }

    /// A throwaway CA standing in for SITHS, a server certificate for 127.0.0.1 and a
    /// device's function certificate, all made with the `openssl` command.
    struct Certificates {
        let directory: URL
        var ca: String { directory.appendingPathComponent("ca.crt").path }
        var serverCertificate: String { directory.appendingPathComponent("server.crt").path }
        var serverKey: String { directory.appendingPathComponent("server.key").path }
        var clientCertificate: String { directory.appendingPathComponent("client.crt").path }
        var clientKey: String { directory.appendingPathComponent("client.key").path }
        static let clientSubject = "/C=SE/O=Testregionen/serialNumber=SE2321000016-F001/CN=Klinik A dator 1"

        init(in directory: URL, openssl: String) throws {
            self.directory = directory
            let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
            try run(openssl, ["req", "-x509"] + key + ["-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
                    "-subj", "/C=SE/O=Testregionen/CN=Test SITHS Function CA",
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], in: directory)
            for (name, subject, extensions) in [
                ("server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"),
                ("client", Self.clientSubject, "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n"),
            ] {
                try Data(extensions.utf8).write(to: directory.appendingPathComponent("\(name).ext"))
                try run(openssl, ["req", "-new"] + key + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", subject], in: directory)
                try run(openssl, ["x509", "-req", "-in", "\(name).csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                                  "-out", "\(name).crt", "-days", "2", "-extfile", "\(name).ext"], in: directory)
            }
        }
    }

    /// nginx running the shipped configuration, templated with this test's paths and ports.
    final class Proxy {
        let process: Process
        let port: Int

        /// nginx cannot listen on port 0; take a port the kernel just handed out and try
        /// again with another should something else grab it first.
        init(nginx: String, upstreamPort: Int, certificates: Certificates, prefix: URL) throws {
            var lastError = ""
            for _ in 0..<5 {
                let port = try Self.freePort()
                if let started = try Self.start(nginx: nginx, port: port, upstreamPort: upstreamPort, certificates: certificates,
                                                prefix: prefix, error: &lastError) {
                    (process, self.port) = (started, port)
                    return
                }
            }
            throw ServerStartFailure("nginx did not start: \(lastError)")
        }

        private static func start(nginx: String, port: Int, upstreamPort: Int, certificates: Certificates, prefix: URL,
                                  error: inout String) throws -> Process? {
            var site = try String(contentsOf: E2E.root.appendingPathComponent("Config/nginx/rehabsync.conf"), encoding: .utf8)
            for (name, value) in [
                ("REHABSYNC_PROXY_LISTEN", "127.0.0.1:\(port)"), ("REHABSYNC_SERVER_NAME", "127.0.0.1"),
                ("REHABSYNC_UPSTREAM", "127.0.0.1:\(upstreamPort)"), ("REHABSYNC_TLS_CERTIFICATE", certificates.serverCertificate),
                ("REHABSYNC_TLS_KEY", certificates.serverKey), ("REHABSYNC_CLIENT_CA", certificates.ca),
            ] {
                site = site.replacingOccurrences(of: "${\(name)}", with: value)
            }
            let directives = site.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
            #expect(!directives.contains { $0.contains("${REHABSYNC_") }, "every placeholder is filled")
            let path = prefix.path
            try FileManager.default.createDirectory(at: prefix.appendingPathComponent("temp"), withIntermediateDirectories: true)
            try Data(site.utf8).write(to: prefix.appendingPathComponent("rehabsync.conf"))
            let main = """
                daemon off;
                worker_processes 1;
                pid \(path)/nginx.pid;
                error_log \(path)/error.log warn;
                events { worker_connections 64; }
                http {
                    access_log off;
                    client_body_temp_path \(path)/temp/body;
                    proxy_temp_path \(path)/temp/proxy;
                    include \(path)/rehabsync.conf;
                }
                """
            try Data(main.utf8).write(to: prefix.appendingPathComponent("nginx.conf"))
            let attempt = Process()
            attempt.executableURL = URL(fileURLWithPath: nginx)
            attempt.arguments = ["-p", path, "-c", "\(path)/nginx.conf", "-e", "\(path)/error.log"]
            attempt.standardError = FileHandle.nullDevice
            attempt.standardOutput = FileHandle.nullDevice
            try attempt.run()
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                if !attempt.isRunning {
                    error = (try? String(contentsOfFile: "\(path)/error.log", encoding: .utf8)) ?? "exit \(attempt.terminationStatus)"
                    return nil
                }
                if Self.accepts(port) { return attempt }
                usleep(10_000)
            }
            kill(attempt.processIdentifier, SIGTERM)
            attempt.waitUntilExit()
            error = "nginx did not accept connections within 10 s"
            return nil
        }

        static func freePort() throws -> Int {
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard socket >= 0 else { throw POSIXError(.EMFILE) }
            defer { close(socket) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    bind(socket, address, length) == 0 && getsockname(socket, address, &length) == 0
                }
            }
            guard bound else { throw POSIXError(.EADDRINUSE) }
            return Int(UInt16(bigEndian: address.sin_port))
        }

        static func accepts(_ port: Int) -> Bool {
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(socket) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            return withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
        }

        deinit {
            // SIGTERM: the master stops its workers; SIGKILL would orphan them.
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
    }

    @Test func aReplicaSyncsThroughTheProxyWithAClientCertificateAndOneWithoutIsRefused() throws {
        let openssl = try #require(Self.tool("openssl"), "the openssl command is missing; .ci/run installs it")
        let nginx = try #require(Self.tool("nginx"), "nginx is missing; .ci/run installs it")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rehabsync-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificates = try Certificates(in: directory, openssl: openssl)

        var settings = try ServerSettings.load(path: E2E.root.appendingPathComponent("Config/rehabsync.json").path, environment: [
            "REHABSYNC_TRUSTED_PROXIES": "127.0.0.1", "REHABSYNC_REQUIRE_CLIENT_CERTIFICATE": "true",
        ])
        settings.port = 0
        settings.dataDirectory = directory.appendingPathComponent("server").path
        let server = try ServerApplication(settings: settings, logger: Logger(label: "tls", minimumLevel: .critical))
        let serverPort = try server.start()
        defer {
            server.stop(gracePeriod: .seconds(1))
            server.http.waitUntilStopped()
            server.finish()
        }
        let proxy = try Proxy(nginx: nginx, upstreamPort: serverPort, certificates: certificates,
                              prefix: directory.appendingPathComponent("nginx"))
        let (_, token) = try server.service.enrol(name: "Klinik A dator 1", units: [E2E.unit])

        let reference = try ReferenceDataFilesFixture.load()
        let path = directory.appendingPathComponent("replica.sqlite").path
        let options = HTTPClientOptions(
            connectTimeoutSeconds: 2, totalTimeoutSeconds: 20, caBundlePath: certificates.ca,
            clientCertificatePath: certificates.clientCertificate, clientKeyPath: certificates.clientKey)
        let retry = RetryPolicy(maximumAttempts: 2, initialDelaySeconds: 0.05, maximumDelaySeconds: 0.1)
        // init greets the server through the proxy, with the client certificate.
        try Replica.create(path: path, server: "https://127.0.0.1:\(proxy.port)", token: token, clinician: "SE2321000016-N001",
                           clientOptions: options, retry: retry)
        let replica = try Replica(path: path, reference: reference, clientOptions: options, retry: retry)
        try replica.write(collection: "carePlans", id: "through-the-proxy", values: E2E.plan("Genom proxyn"))
        let report = try replica.sync()
        #expect(report.pushed == 1)
        #expect(report.digestMatches)
        #expect(try replica.dump() == server.service.adminDump(unit: E2E.unit))

        // The same token without a client certificate: nginx refuses it.
        let bare = CurlHTTPClient(options: HTTPClientOptions(connectTimeoutSeconds: 2, totalTimeoutSeconds: 10, caBundlePath: certificates.ca))
        let refused = try? bare.send("GET", "https://127.0.0.1:\(proxy.port)/v1/sync/pull?since=0",
                                     headers: ["Authorization": "Bearer \(token)", "X-Clinician": "SE2321000016-N001"])
        #expect(refused == nil || refused?.status == 400, "\(refused.map { "\($0.status) \($0.bodyText)" } ?? "")")
        #expect(refused?.bodyText.contains("records") != true)

        // Straight to the server's port, past the proxy: no verified certificate, 403.
        let direct = try bare.send("GET", "http://127.0.0.1:\(serverPort)/v1/sync/pull?since=0",
                                   headers: ["Authorization": "Bearer \(token)", "X-Clinician": "SE2321000016-N001"])
        #expect(direct.status == 403)
        #expect(direct.bodyText.contains("client_certificate_required"))
    }
}

struct ServerStartFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum ReferenceDataFilesFixture {
    static func load() throws -> ReferenceData {
        try ReferenceDataFiles.load(
            kvaDirectory: ReplicaEndToEndTests.root.appendingPathComponent("Config/kva").path,
            questionnaireDirectory: ReplicaEndToEndTests.root.appendingPathComponent("Config/questionnaires").path,
            today: CivilDate.swedishToday(unixMilliseconds: Int64(Date().timeIntervalSince1970 * 1_000)))
    }
}

/// Outside tools some tests need; `.ci/run` installs them.
enum IntegrationTools {
    /// `.ci/run` sets this: a missing tool is then a failure, not a skipped test.
    static let required = ProcessInfo.processInfo.environment["REHABSYNC_REQUIRE_INTEGRATION"] == "1"

    static func present(_ names: String...) -> Bool { names.allSatisfy { find($0) != nil } }

    /// The tool's path on PATH or in the system directories, or nil.
    static func find(_ name: String) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return (path + ["/usr/sbin", "/usr/bin", "/sbin"]).map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
