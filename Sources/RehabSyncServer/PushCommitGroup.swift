import Dispatch
import RehabSyncStorage
import Synchronization

/// Pushes waiting for the single writer, stored together: one transaction and one sync
/// to disk for all of them, each push inside a savepoint of its own
/// (``RecordTransaction/savepoint(_:)``), so that a push refused there (403, 409, 422)
/// rolls back alone. No push is answered before the transaction has committed; if the
/// commit fails, every push of the group fails with it.
///
/// Whoever holds the leader's turn stores every push queued by then, its own included;
/// a push whose turn comes after its group was stored only picks up its outcome.
final class PushCommitGroup: Sendable {
    /// One push's writes, run on the leader's thread inside its transaction.
    typealias Body = @Sendable (inout RecordTransaction, Connection) throws -> SyncService.PushReceipt

    private final class Pending: Sendable {
        let body: Body
        /// Set by the leader under its turn, read by the push after it took the turn.
        let outcome = Mutex<Result<SyncService.PushReceipt, any Error>?>(nil)

        init(_ body: @escaping Body) {
            self.body = body
        }
    }

    private let queue = Mutex<[Pending]>([])
    /// A semaphore, as the pool's writer turn, so that waiters sleep rather than spin.
    private let leaderTurn = DispatchSemaphore(value: 1)

    /// Stores `body` with whatever other pushes are waiting, and returns its receipt once
    /// the transaction that holds it has committed.
    func commit(_ store: RecordStore, _ body: @escaping Body) throws -> SyncService.PushReceipt {
        let pending = Pending(body)
        queue.withLock { $0.append(pending) }
        leaderTurn.wait()
        defer { leaderTurn.signal() }
        if let outcome = pending.outcome.withLock({ $0 }) { return try outcome.get() }
        let group = queue.withLock { queued in
            defer { queued.removeAll() }
            return queued
        }
        for (member, outcome) in zip(group, storeTogether(store, group.map(\.body))) {
            member.outcome.withLock { $0 = outcome }
        }
        // Safe because every member of the group, this push included, has an outcome now.
        return try pending.outcome.withLock { $0 }!.get()
    }

    /// Runs `bodies` in one write transaction, each in a savepoint of its own, and
    /// returns each one's outcome as it stands after the commit: a refusal for a body
    /// that threw, the commit's error for all when the commit fails.
    func storeTogether(_ store: RecordStore, _ bodies: [Body]) -> [Result<SyncService.PushReceipt, any Error>] {
        do {
            return try store.write { transaction, connection in
                var outcomes: [Result<SyncService.PushReceipt, any Error>] = []
                outcomes.reserveCapacity(bodies.count)
                for body in bodies {
                    do {
                        outcomes.append(.success(try transaction.savepoint { try body(&$0, connection) }))
                    } catch {
                        // A storage fault may have ended the transaction, or a push's
                        // writes may not have been rolled back: then nothing of the group
                        // may go on (it would commit statement by statement, or commit
                        // the refused push's writes).
                        guard connection.isInTransaction, !transaction.isAbandoned else { throw error }
                        outcomes.append(.failure(error))
                    }
                }
                return outcomes
            }
        } catch {
            return bodies.map { _ in .failure(error) }
        }
    }
}
