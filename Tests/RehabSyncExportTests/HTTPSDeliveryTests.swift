import Foundation
import RehabSyncExport
import RehabSyncStorage
import Synchronization
import Testing

/// Delivery over HTTPS as a SITHS function certificate would be used: the register's
/// certificate is checked against the configured CA bundle, and the exporter presents its
/// client certificate. The TLS endpoint is python3's ssl module; the certificates come from
/// the openssl command, both installed by `.ci/run`.
struct HTTPSDeliveryTests {
    typealias F = ExportFixtures

    static func tool(_ name: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    static let tools = (openssl: tool("openssl"), python: tool("python3"))
    static let available = tools.openssl != nil && tools.python != nil

    /// Runs a command to completion; throws when it fails.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], in directory: URL) throws -> String {
        let result = try F.runProcess(URL(fileURLWithPath: executable), arguments, directory: directory)
        guard result.status == 0 else { throw ExportError("tool_failed", "\(executable) \(arguments.joined(separator: " ")): \(result.errors)") }
        return result.output
    }

    /// A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA.
    static func certificates(openssl: String, in directory: URL) throws {
        try Data("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n".utf8).write(to: directory.appendingPathComponent("server.ext"))
        try Data("extendedKeyUsage=clientAuth\n".utf8).write(to: directory.appendingPathComponent("client.ext"))
        try run(openssl, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=RehabSync test CA"], in: directory)
        for (name, subject) in [("server", "/CN=127.0.0.1"), ("client", "/CN=SE2321000016-F001")] {
            try run(openssl, ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", subject], in: directory)
            try run(openssl, ["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "\(name).pem",
                              "-days", "2", "-extfile", "\(name).ext"], in: directory)
        }
    }

    static let server = #"""
    import http.server, json, ssl, sys
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            subject = dict(item[0] for item in self.connection.getpeercert()["subject"])
            body = json.dumps({"client": subject.get("commonName", "")}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain("server.pem", "server.key")
    context.load_verify_locations("ca.pem")
    context.verify_mode = ssl.CERT_REQUIRED
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    print(httpd.server_address[1], flush=True)
    httpd.serve_forever()
    """#

    @Test(.enabled(if: available || ProcessInfo.processInfo.environment["REHABSYNC_REQUIRE_INTEGRATION"] == "1", "needs openssl and python3"))
    func deliveryOverHTTPSChecksTheRegisterAndPresentsTheClientCertificate() throws {
        let openssl = try #require(Self.tools.openssl, "openssl is missing")
        let python = try #require(Self.tools.python, "python3 is missing")
        let harness = try DeliveryHarness()
        let directory = harness.scratch.url
        try Self.certificates(openssl: openssl, in: directory)
        try Data(Self.server.utf8).write(to: directory.appendingPathComponent("server.py"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["server.py"]
        process.currentDirectoryURL = directory
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        // The first line is the port; reading it waits for the server to listen, or to die:
        // a server silent for 20 s is killed, which ends the read.
        let pid = process.processIdentifier
        let portRead = Mutex(false)
        DispatchQueue.global().asyncAfter(deadline: .now() + 20) { if !portRead.withLock({ $0 }) { kill(pid, SIGKILL) } }
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        portRead.withLock { $0 = true }
        let port = try #require(Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))

        func exporter(ca: Bool, client: Bool) throws -> RegisterExporter {
            var target = RegisterTarget(name: "national-register", url: "https://127.0.0.1:\(port)/fhir/Bundle")
            target.maxAttempts = 1
            target.timeoutSeconds = 10
            if ca { target.caBundle = directory.appendingPathComponent("ca.pem").path }
            if client {
                target.clientCertificate = directory.appendingPathComponent("client.pem").path
                target.clientKey = directory.appendingPathComponent("client.key").path
            }
            return try RegisterExporter(store: harness.service.store, catalog: ExportJobCatalog(jobs: [ExportJob(name: F.job)]),
                                        targets: ["national-register": target], logger: F.quiet, now: harness.clock.function,
                                        sleep: SleepLog().function)
        }
        let february = ReportingPeriod("2026-02")!
        // Without the CA bundle the register's certificate is not trusted: nothing is sent.
        let untrusted = try exporter(ca: false, client: true).run(job: F.job, period: february)
        #expect(untrusted.outcome == "incomplete")
        #expect(untrusted.problems.first?.contains("curl") == true)
        // Without a client certificate the register refuses the handshake.
        let anonymous = try exporter(ca: true, client: false).run(job: F.job, period: february)
        #expect(anonymous.outcome == "incomplete")
        // With both, the report is delivered and the register saw who sent it.
        let report = try exporter(ca: true, client: true).run(job: F.job, period: february)
        #expect(report.outcome == "completed")
        let delivery = try #require(try harness.service.store.read { try ExportLedger(connection: $0.connection).deliveries(job: F.job) }.first)
        #expect(delivery.state == .delivered)
        #expect(delivery.answer?.contains("SE2321000016-F001") == true)
    }
}
