import Foundation

/// A fresh directory under the system temporary directory, removed when the last
/// reference goes: every test that touches files gets its own.
public final class TemporaryDirectory: Sendable {
    public let url: URL

    public init(prefix: String = "rehabsync-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A path inside the directory.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The names the server and storage tests knew the directory by.
public typealias ServerScratch = TemporaryDirectory
public typealias ScratchDirectory = TemporaryDirectory

/// Runs `body` with a fresh, empty directory and removes it afterwards.
public func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = try TemporaryDirectory(prefix: "rehabsync-storage-tests")
    return try withExtendedLifetime(directory) { try body(directory.url) }
}
