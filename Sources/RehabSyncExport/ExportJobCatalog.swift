import Foundation

/// Every job under a directory (`Jobs/`), validated together: a bad file or two jobs with
/// the same name stop start-up with the file and field named.
public struct ExportJobCatalog: Sendable {
    public let jobs: [ExportJob]

    public init(jobs: [ExportJob]) {
        self.jobs = jobs
    }

    /// The job of that name, or a 404-shaped error.
    public func job(named name: String) throws(ExportError) -> ExportJob {
        guard let job = jobs.first(where: { $0.name == name }) else {
            throw ExportError("unknown_job", "no job named '\(name)'; known: \(jobs.map(\.name).joined(separator: ", "))", field: "job", status: 404)
        }
        return job
    }

    /// Loads every `*.json` file of `directory`, sorted by name. A missing directory is an
    /// empty catalog, so a server without export jobs starts.
    public static func load(directory: String, targets: Set<String>? = nil) throws(ExportError) -> ExportJobCatalog {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return ExportJobCatalog(jobs: []) }
        var jobs: [ExportJob] = []
        for name in names.filter({ $0.hasSuffix(".json") }).sorted() {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ExportError.invalid("(file)", "cannot be read", file: path)
            }
            let job = try ExportJob(json: Array(data), file: path)
            if jobs.contains(where: { $0.name == job.name }) {
                throw ExportError.invalid("name", "another file already declares the job '\(job.name)'", file: path)
            }
            if let targets, !targets.contains(job.target) {
                throw ExportError.invalid("target", "no target '\(job.target)' in the register configuration; known: \(targets.sorted().joined(separator: ", "))", file: path)
            }
            jobs.append(job)
        }
        return ExportJobCatalog(jobs: jobs)
    }
}
