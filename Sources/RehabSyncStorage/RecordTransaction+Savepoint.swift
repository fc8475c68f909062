import RehabSyncCore

extension RecordTransaction {
    /// Runs `body` inside a `SAVEPOINT`: if it throws, everything it did is rolled back,
    /// this transaction's clock, counter and sequence included, and the transaction goes
    /// on without it. Several requests can so share one transaction (and one sync to
    /// disk) and still each be all or nothing.
    ///
    /// When the error has ended the whole transaction (SQLite does so on some storage
    /// faults), there is nothing to go on with: the error is rethrown as it is and the
    /// caller's transaction fails. When the rollback to the savepoint fails, the body's
    /// writes could not be taken back: the whole transaction is rolled back and marked
    /// ``isAbandoned``, so that nothing of it commits, and the rollback's error is thrown.
    public mutating func savepoint<T>(_ body: (inout RecordTransaction) throws -> T) throws -> T {
        let connection = queries.connection
        let saved = (clockState, clockDirty, anyGrants)
        try connection.execute("SAVEPOINT request")
        do {
            let result = try body(&self)
            try connection.execute("RELEASE request")
            return result
        } catch {
            guard connection.isInTransaction else { throw error }
            do {
                try connection.execute("ROLLBACK TO request")
                try connection.execute("RELEASE request")
            } catch let rollbackError {
                isAbandoned = true
                if connection.isInTransaction { try? connection.execute("ROLLBACK") }
                throw rollbackError
            }
            (clockState, clockDirty, anyGrants) = saved
            throw error
        }
    }
}
