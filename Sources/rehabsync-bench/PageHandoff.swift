import Foundation

/// A bounded hand-off of fetched page bodies from the thread that fetches them to the
/// thread that decodes them, so that the network and the server work on the next page
/// while the client decodes this one. `nil` marks the end, or a failure the fetcher keeps.
final class PageHandoff: @unchecked Sendable {
    // @unchecked: every stored property is read and written under `condition`.
    private let condition = NSCondition()
    private var pages: [[UInt8]?] = []
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Waits while `capacity` pages are waiting, then adds `page`.
    func put(_ page: [UInt8]?) {
        condition.lock()
        defer { condition.unlock() }
        while pages.count >= capacity { condition.wait() }
        pages.append(page)
        condition.broadcast()
    }

    /// Waits for the next page; nil at the end.
    func take() -> [UInt8]? {
        condition.lock()
        defer { condition.unlock() }
        while pages.isEmpty { condition.wait() }
        let page = pages.removeFirst()
        condition.broadcast()
        return page
    }
}
