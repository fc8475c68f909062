import Foundation

/// Fetches and decodes pull pages on a thread of its own, one page ahead of the replica
/// that stores them, so that the server, the wire and the check of every state work on
/// the next page while this one is joined and committed. Decoding is pure (it reads the
/// body and nothing else), so doing it here changes nothing of what is stored or when.
///
/// It never touches the replica's file, so a page fetched ahead and never stored leaves
/// the cursor where it was. The next page is asked for at the cursor the decoded page
/// names; when a page fails to decode, or says there is nothing more, the thread stops
/// after handing that page (or its error) over. Every page carries the cursor it was
/// asked for, and the replica uses a page only when that is the cursor it holds, so a
/// wrong guess costs a fetch and never a record.
///
/// At most one page waits here besides the one being fetched, so memory stays flat.
final class PullPrefetcher: @unchecked Sendable {
    // @unchecked: every stored property below is read and written under `condition`.
    private let condition = NSCondition()
    private var waiting: (since: Int64, page: Result<Fetched, ReplicaError>)?
    private var stopping = false
    private var running = true

    /// Starts fetching pages from `cursor` on.
    init(_ transport: SyncTransport, from cursor: Int64, pageRecords: Int) {
        let thread = Thread { [self] in
            fetch(transport, from: cursor, pageRecords: pageRecords)
        }
        thread.name = "rehabsync pull prefetch"
        thread.start()
    }

    /// A page, decoded, and the newest change sequence the server named beside it.
    struct Fetched: Sendable {
        let page: PullPage
        let latestSequence: Int64?
    }

    /// The page fetched at `cursor`, waiting for it if it is on its way; nil when this
    /// fetcher has stopped without it (it fetched from another cursor, or a page's opening
    /// bytes did not name the next cursor), and the caller fetches it itself.
    func page(at cursor: Int64) throws(ReplicaError) -> Fetched? {
        condition.lock()
        defer { condition.unlock() }
        while waiting == nil, running { condition.wait() }
        guard let (since, body) = waiting, since == cursor else { return nil }
        waiting = nil
        condition.broadcast()
        return try body.get()
    }

    /// Stops fetching and waits for the thread to end (after the request in flight, which
    /// the transport's own timeouts bound), so that no request outlives the sync.
    func stop() {
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
    }

    private func fetch(_ transport: SyncTransport, from start: Int64, pageRecords: Int) {
        var since = start
        defer {
            condition.lock()
            running = false
            condition.broadcast()
            condition.unlock()
        }
        while true {
            let body: Result<Fetched, ReplicaError>
            do throws(ReplicaError) {
                let response = try transport.response("GET", "/v1/sync/pull?since=\(since)&limit=\(pageRecords)")
                // Header names arrive lowercased.
                let latest = response.headers["x-rehabsync-latest-sequence"].flatMap { Int64($0) }
                let page: PullPage
                do {
                    // A device that has pulled before mostly receives records it holds.
                    page = try PullPage(decoding: response.body, cursor: since, joiningHeld: start > 0)
                } catch {
                    throw ReplicaError.unreachable("the server sent a malformed pull page: \(error)")
                }
                body = .success(Fetched(page: page, latestSequence: latest))
            } catch {
                body = .failure(error)
            }
            condition.lock()
            while waiting != nil, !stopping { condition.wait() }
            let stopped = stopping
            if !stopped { waiting = (since, body) }
            condition.broadcast()
            condition.unlock()
            guard !stopped, case .success(let fetched) = body, fetched.page.hasMore else { return }
            since = fetched.page.nextCursor
        }
    }
}
