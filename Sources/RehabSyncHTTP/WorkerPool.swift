import Dispatch
import Foundation
import Synchronization

/// The threads that run handlers, which may block on SQLite and disk, behind a bounded
/// queue of complete requests. The event loop submits; a worker runs the handler and posts
/// the response back, then wakes the loop.
///
/// A full queue refuses instead of blocking: the loop must never wait, and a client is
/// better told to retry (`503`) than left hanging.
final class WorkerPool: Sendable {
    /// A request for a worker, tagged with the connection it came from.
    struct Job: Sendable {
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

    private struct State {
        var jobs: [Job] = []
        var jobsHead = 0
        var completions: [Completion] = []
        var running = 0
        var closed = false
    }

    let capacity: Int
    private let state = Mutex(State())
    /// Counts jobs, plus one extra signal after closing so that every waiting worker wakes.
    private let available = DispatchSemaphore(value: 0)
    private let finished = DispatchGroup()
    private let handler: HTTPServer.Handler
    private let logger: Logger
    private let wake: @Sendable () -> Void

    /// Starts `workerCount` threads. `wake` is called after each posted completion.
    init(workerCount: Int, capacity: Int, handler: @escaping HTTPServer.Handler, logger: Logger,
         wake: @escaping @Sendable () -> Void) {
        self.capacity = capacity
        self.handler = handler
        self.logger = logger
        self.wake = wake
        for index in 0..<workerCount {
            finished.enter()
            let thread = Thread { [self] in run() }
            thread.name = "http-worker-\(index)"
            thread.start()
        }
    }

    /// Requests waiting for a worker, and requests in handlers.
    var load: (queued: Int, running: Int) { state.withLock { ($0.jobs.count - $0.jobsHead, $0.running) } }

    /// Whether any job is queued or running.
    var isBusy: Bool { state.withLock { $0.jobs.count > $0.jobsHead || $0.running > 0 } }

    /// Queues a job unless the queue is full or closed; false means the caller answers.
    func submit(_ job: Job) -> Bool {
        let accepted = state.withLock { state -> Bool in
            guard !state.closed, state.jobs.count - state.jobsHead < capacity else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted { available.signal() }
        return accepted
    }

    /// Takes every completion posted since the last call.
    func takeCompletions() -> [Completion] {
        state.withLock { state in
            defer { state.completions.removeAll(keepingCapacity: true) }
            return state.completions
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
            let next = state.withLock { state -> Job?? in
                guard state.jobsHead < state.jobs.count else { return state.closed ? .some(nil) : nil }
                let job = state.jobs[state.jobsHead]
                state.jobsHead += 1
                if state.jobsHead >= 64 && state.jobsHead * 2 >= state.jobs.count {
                    state.jobs.removeFirst(state.jobsHead)
                    state.jobsHead = 0
                }
                state.running += 1
                return .some(job)
            }
            guard let job = next else { continue }
            guard let job else {
                // Woken by close(): pass the wake-up on so every waiting worker sees it.
                available.signal()
                return
            }
            let response = invokeHandler(job.request)
            state.withLock { state in
                state.running -= 1
                state.completions.append(Completion(descriptor: job.descriptor, generation: job.generation, response: response))
            }
            wake()
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
