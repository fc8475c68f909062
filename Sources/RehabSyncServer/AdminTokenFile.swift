import Foundation
import RehabSyncCrypto

/// The administrator token: created on first start, written to a file only its owner
/// may read, and read back on later starts and by `rehabsync admin` commands.
public enum AdminTokenFile {
    /// Reads the token at `path`, creating it if absent. Returns the token and whether it
    /// was created now.
    public static func loadOrCreate(at path: String) throws -> (token: String, created: Bool) {
        if let existing = try read(at: path) { return (existing, false) }
        let token = try BearerToken.generate()
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true)
        // Created with mode 0600 from the start, so there is no moment it is readable by others.
        guard FileManager.default.createFile(atPath: path, contents: Data((token + "\n").utf8),
                                             attributes: [.posixPermissions: 0o600])
        else { throw SettingsError("cannot write the admin token file \(path)") }
        return (token, true)
    }

    /// The token at `path`, or nil if there is no such file.
    public static func read(at path: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path),
            let token = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty
        else { throw SettingsError("the admin token file \(path) is unreadable or empty") }
        return token
    }
}
