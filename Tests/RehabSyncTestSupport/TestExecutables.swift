import Foundation

/// Paths the tests need outside their own code: built executables and the repository.
public enum TestExecutables {
    /// The repository's root directory (where `Config/` lives).
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The built `rehabsync` executable, next to the test bundle in the build folder.
    public static func rehabsync() throws -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("rehabsync")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw POSIXError(.ENOENT)
    }
}
