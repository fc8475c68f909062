import Foundation
import RehabSyncCrypto

#if canImport(Glibc)
import Glibc
#endif

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
        // open(2) with O_EXCL and mode 0600: the file never exists with wider permissions,
        // and a file that appeared meanwhile is not overwritten.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw SettingsError("cannot create the admin token file \(path): errno \(errno)") }
        defer { close(descriptor) }
        let bytes = Array((token + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else {
            throw SettingsError("cannot write the admin token file \(path): errno \(errno)")
        }
        return (token, true)
    }

    /// The token at `path`, or nil if there is no such file. A file that others may read
    /// is refused: the token would already have to be considered leaked.
    public static func read(at path: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        if let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            throw SettingsError("the admin token file \(path) is readable by others (mode \(String(mode, radix: 8))); chmod 600 it and consider replacing the token")
        }
        guard let data = FileManager.default.contents(atPath: path),
            let token = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty
        else { throw SettingsError("the admin token file \(path) is unreadable or empty") }
        return token
    }
}
