import Foundation

/// `wrk -t2 -c32` against the server's `/healthz` and against nginx serving a small static
/// file on the same machine in the same run: the yardstick for what the connection layer
/// costs per request.
enum StaticFileComparison {
    static let wrkArguments = ["-t2", "-c32", "-d5s"]

    /// Requests/s of both, or nil when wrk or nginx is not installed.
    static func run(server: ServerProcess, directory: URL) throws -> (ours: Double, nginx: Double)? {
        guard let wrk = executable("wrk"), let nginx = executable("nginx") else { return nil }
        progress("wrk against /healthz")
        let ours = try requestsPerSecond(wrk: wrk, url: server.base + "/healthz")
        let root = directory.appendingPathComponent("nginx")
        let port = try freePort()
        try FileManager.default.createDirectory(at: root.appendingPathComponent("www"), withIntermediateDirectories: true)
        try Data(#"{"status":"ok"}"#.utf8).write(to: root.appendingPathComponent("www/healthz"))
        let configuration = """
            worker_processes auto;
            daemon off;
            pid \(root.path)/nginx.pid;
            error_log \(root.path)/error.log;
            events { worker_connections 4096; }
            http {
                access_log off;
                client_body_temp_path \(root.path)/body;
                proxy_temp_path \(root.path)/proxy;
                fastcgi_temp_path \(root.path)/fastcgi;
                uwsgi_temp_path \(root.path)/uwsgi;
                scgi_temp_path \(root.path)/scgi;
                server { listen 127.0.0.1:\(port); root \(root.path)/www; }
            }
            """
        try Data(configuration.utf8).write(to: root.appendingPathComponent("nginx.conf"))
        let process = Process()
        process.executableURL = nginx
        process.arguments = ["-p", root.path, "-c", root.appendingPathComponent("nginx.conf").path]
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        guard waitUntilListening(port: port) else { throw BenchFailure("nginx did not start; see \(root.path)/error.log") }
        progress("wrk against nginx")
        let theirs = try requestsPerSecond(wrk: wrk, url: "http://127.0.0.1:\(port)/healthz")
        return (ours, theirs)
    }

    static func executable(_ name: String) -> URL? {
        for directory in ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"] {
            let candidate = URL(fileURLWithPath: directory).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    static func requestsPerSecond(wrk: URL, url: String) throws -> Double {
        let process = Process()
        process.executableURL = wrk
        process.arguments = wrkArguments + [url]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let line = text.split(separator: "\n").first(where: { $0.contains("Requests/sec:") }),
            let value = line.split(separator: " ").last.flatMap({ Double($0) })
        else { throw BenchFailure("wrk printed no rate:\n\(text)") }
        if text.contains("Non-2xx") { progress("wrk saw non-2xx answers from \(url)") }
        return value
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw BenchFailure("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func waitUntilListening(port: Int) -> Bool {
        for _ in 0..<100 {
            let connection = BenchConnection(port: port)
            if (try? connection.connect()) != nil { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }
}
