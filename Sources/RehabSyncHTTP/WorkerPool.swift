import Dispatch
import Foundation
import Synchronization

/// The threads that run handlers, which may block on SQLite and disk, behind a bounded
/// queue of complete requests. The event loop submits; a worker runs the handler and posts
/// the response back, then wakes the loop.
///
/// A full queue refuses instead of blocking: the loop must never wait, and a client is
/// better told to retry (`503`) than left hanging.
///
/// Two lanes, served oldest first: `GET` and `HEAD` requests, and the rest. At most
/// `workerCount - reservedForReads` workers run requests of the second lane at once, so
/// that writes, which queue for the database's single writer, never hold every worker
/// while reads that need no writer wait.
final class WorkerPool: Sendable {
    /// A request for a worker, tagged with the loop and connection it came from.
    struct Job: Sendable {
        var loop: Int
        var descriptor: Int32
        var generation: UInt64
        var request: HTTPRequest
    }

    /// A handler's answer, for the loop to send.
    struct Completion: Sendable {
        var descriptor: Int32
        var generation: UInt64
        var response: HTTPResponse
    }

    /// A FIFO of jobs with their arrival tickets, popped from the front by index.
    private struct Lane {
        var jobs: [(ticket: UInt64, job: Job)] = []
        var head = 0

        var count: Int { jobs.count - head }
        var firstTicket: UInt64? { head < jobs.count ? jobs[head].ticket : nil }

        mutating func popFirst() -> Job {
            let job = jobs[head].job
            head += 1
            if head >= 64 && head * 2 >= jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            return job
        }
    }

    private struct State {
        var reads = Lane()
        var writes = Lane()
        var nextTicket: UInt64 = 0
        /// Answers waiting for each event loop to take them.
        var completions: [[Completion]]
        var running = 0
        var runningWrites = 0
        var closed = false

        var queued: Int { reads.count + writes.count }

        /// The oldest job a worker may take now, given the write limit.
        mutating func take(writeLimit: Int) -> (job: Job, isRead: Bool)? {
            let writeAllowed = runningWrites < writeLimit && writes.count > 0
            switch (reads.firstTicket, writeAllowed ? writes.firstTicket : nil) {
            case (let read?, let write?): return read < write ? (reads.popFirst(), true) : (writes.popFirst(), false)
            case (.some, nil): return (reads.popFirst(), true)
            case (nil, .some): return (writes.popFirst(), false)
            case (nil, nil): return nil
            }
        }
    }

    let capacity: Int
    private let writeLimit: Int
    private let state: Mutex<State>
    /// Counts jobs, plus one extra signal after closing so that every waiting worker wakes.
    private let available = DispatchSemaphore(value: 0)
    private let finished = DispatchGroup()
    private let handler: HTTPServer.Handler
    private let logger: Logger
    private let wakers: [@Sendable () -> Void]

    /// Starts `workerCount` threads. After posting an answer for loop `i`, a worker calls
    /// `wakers[i]`.
    init(workerCount: Int, capacity: Int, reservedForReads: Int = 0, handler: @escaping HTTPServer.Handler,
         logger: Logger, wakers: [@Sendable () -> Void]) {
        self.capacity = capacity
        state = Mutex(State(completions: Array(repeating: [], count: wakers.count)))
        writeLimit = max(1, workerCount - reservedForReads)
        self.handler = handler
        self.logger = logger
        self.wakers = wakers
        for index in 0..<workerCount {
            finished.enter()
            let thread = Thread { [self] in run() }
            thread.name = "http-worker-\(index)"
            thread.start()
        }
    }

    /// Requests waiting for a worker, and requests in handlers.
    var load: (queued: Int, running: Int) { state.withLock { ($0.queued, $0.running) } }

    /// Whether any job is queued or running.
    var isBusy: Bool { state.withLock { $0.queued > 0 || $0.running > 0 } }

    /// Queues a job unless the queue is full or closed; false means the caller answers.
    func submit(_ job: Job) -> Bool {
        let isRead = job.request.method == "GET" || job.request.method == "HEAD"
        let accepted = state.withLock { state -> Bool in
            guard !state.closed, state.queued < capacity else { return false }
            state.nextTicket += 1
            if isRead {
                state.reads.jobs.append((state.nextTicket, job))
            } else {
                state.writes.jobs.append((state.nextTicket, job))
            }
            return true
        }
        if accepted { available.signal() }
        return accepted
    }

    /// Takes every completion posted for `loop` since its last call.
    func takeCompletions(for loop: Int) -> [Completion] {
        state.withLock { state in
            defer { state.completions[loop].removeAll(keepingCapacity: true) }
            return state.completions[loop]
        }
    }

    /// Lets the workers finish the queue and then end.
    func close() {
        state.withLock { $0.closed = true }
        available.signal()
    }

    /// Waits for the workers to end; false if `timeout` passed first.
    func waitUntilFinished(timeout: Duration) -> Bool {
        finished.wait(timeout: .now() + timeout.dispatchInterval) == .success
    }

    private func run() {
        defer { finished.leave() }
        while true {
            available.wait()
            let next = state.withLock { state -> (job: Job, isRead: Bool)?? in
                if let taken = state.take(writeLimit: writeLimit) {
                    state.running += 1
                    if !taken.isRead { state.runningWrites += 1 }
                    return .some(taken)
                }
                return state.closed && state.queued == 0 ? .some(nil) : nil
            }
            // Nothing this worker may take now (a write waiting for a write slot): the
            // worker that frees the slot signals again.
            guard let next else { continue }
            guard let (job, isRead) = next else {
                // Woken by close(): pass the wake-up on so every waiting worker sees it.
                available.signal()
                return
            }
            let response = invokeHandler(job.request)
            let stillQueued = state.withLock { state -> Bool in
                state.running -= 1
                if !isRead { state.runningWrites -= 1 }
                state.completions[job.loop].append(Completion(descriptor: job.descriptor, generation: job.generation, response: response))
                return state.queued > 0
            }
            // A write may have been passed over while every write slot was taken.
            if stillQueued && !isRead { available.signal() }
            wakers[job.loop]()
        }
    }

    /// Runs the handler, turning thrown errors into responses. Unknown errors become a
    /// `500` naming only the request id: their text may hold internals or patient data.
    private func invokeHandler(_ request: HTTPRequest) -> HTTPResponse {
        do {
            return try handler(request)
        } catch let error as any HTTPResponseError {
            return error.response
        } catch {
            logger.error("handler failed", [("error_type", String(reflecting: type(of: error))),
                                            ("request_id", request.requestID)])
            return .error(status: .internalServerError, code: "internal_error",
                          message: "Internal error; quote request id \(request.requestID).")
        }
    }
}
