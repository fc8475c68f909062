import Foundation
import RehabSyncStorage

#if canImport(Glibc)
import Glibc
#endif

/// A secret kept in a file only its owner may read: the administrator token and the
/// audit-log key. Created once with mode 0600, never widened, never overwritten.
enum SecretFile {
    /// Creates the file at `path` holding `text` and a newline. `what` names the secret in
    /// errors.
    static func create(at path: String, text: String, what: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        // A directory made for the secret is owner-only like the data directory.
        try OwnerOnlyFiles.createDirectory(atPath: directory.isEmpty ? "." : directory)
        // open(2) with O_EXCL and mode 0600: the file never exists with wider permissions,
        // and a file that appeared meanwhile is not overwritten.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw SettingsError("cannot create the \(what) file \(path): errno \(errno)") }
        defer { close(descriptor) }
        let bytes = Array((text + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else {
            throw SettingsError("cannot write the \(what) file \(path): errno \(errno)")
        }
    }

    /// The trimmed text at `path`, or nil if there is no such file. A file that others may
    /// read is refused: the secret would already have to be considered leaked.
    static func read(at path: String, what: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        if let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            throw SettingsError("the \(what) file \(path) is readable by others (mode \(String(mode, radix: 8))); chmod 600 it and consider replacing the secret")
        }
        guard let data = FileManager.default.contents(atPath: path),
            let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty
        else { throw SettingsError("the \(what) file \(path) is unreadable or empty") }
        return text
    }
}
