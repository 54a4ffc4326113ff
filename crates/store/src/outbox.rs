//! The outbox: every user action is written here (in its own committed transaction, `synchronous=FULL`) before
//! anything else happens, with an `op_id` (UUIDv7) and this client's `client_seq`. The sync engine pushes the
//! pending ones in order; the hub applies each `(client_id, op_id)` once, so pushing again after a crash or a
//! lost answer is safe. A rejected action leaves the queue (it never blocks the ones behind it) and stays
//! visible with the hub's reason; a conflict can be re-applied (a new action) or dropped.

use chrono::{DateTime, Utc};
use citydeck_protocol::ipc::{OutboxCounts, OutboxEntry, OutboxState};
use citydeck_protocol::{Op, PushOp, PushResult, PushStatus};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

use crate::{parse_ts, put_meta, ts, Cache, Result, StoreError};

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

type Row = (
    u64,
    String,
    String,
    String,
    String,
    Option<String>,
    bool,
    Option<u64>,
    Option<String>,
    Option<String>,
);

fn state_str(s: OutboxState) -> &'static str {
    match s {
        OutboxState::Pending => "pending",
        OutboxState::Applied => "applied",
        OutboxState::Rejected => "rejected",
        OutboxState::Dropped => "dropped",
    }
}

fn parse_state(s: &str) -> Result<OutboxState> {
    Ok(match s {
        "pending" => OutboxState::Pending,
        "applied" => OutboxState::Applied,
        "rejected" => OutboxState::Rejected,
        "dropped" => OutboxState::Dropped,
        other => return Err(StoreError::Corrupt(format!("outbox state {other:?}"))),
    })
}

fn parse_entry(row: Row) -> Result<OutboxEntry> {
    let (client_seq, op_id, op, created_at, state, reason, conflict, server_seq, code, args) = row;
    Ok(OutboxEntry {
        client_seq,
        op_id: Uuid::parse_str(&op_id).map_err(|e| StoreError::Corrupt(format!("op_id: {e}")))?,
        op: serde_json::from_str(&op).map_err(|e| StoreError::Corrupt(format!("op: {e}")))?,
        created_at: parse_ts(&created_at)?,
        state: parse_state(&state)?,
        reason,
        conflict,
        server_seq,
        code,
        // Arguments that do not parse are dropped: the reason is shown instead of the code.
        args: args.and_then(|a| serde_json::from_str(&a).ok()),
    })
}

const COLUMNS: &str = "client_seq, op_id, op, created_at, state, reason, conflict, server_seq, code, args";

impl Cache {
    /// This desktop's identity towards the hub (created with the cache file, never changes).
    pub fn client_id(&self) -> Result<Uuid> {
        if let Some(id) = self.meta("client_id")? {
            return Uuid::parse_str(&id).map_err(|e| StoreError::Corrupt(format!("client_id: {e}")));
        }
        let id = Uuid::new_v4();
        self.conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('client_id', ?1)",
            [id.to_string()],
        )?;
        // Another connection may have won the race: read back what is stored.
        let stored = self.meta("client_id")?.unwrap_or_else(|| id.to_string());
        Uuid::parse_str(&stored).map_err(|e| StoreError::Corrupt(format!("client_id: {e}")))
    }

    /// Records a user action: committed (durably) before this returns. Returns `(op_id, client_seq)`.
    pub fn enqueue(&mut self, op: &Op, now: DateTime<Utc>) -> Result<(Uuid, u64)> {
        Ok(self.enqueue_batch(std::slice::from_ref(op), now)?[0])
    }

    /// Records several actions in one transaction (all or none), in order.
    pub fn enqueue_batch(&mut self, ops: &[Op], now: DateTime<Utc>) -> Result<Vec<(Uuid, u64)>> {
        self.client_id()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut next: u64 = tx.query_row("SELECT COALESCE(MAX(client_seq), 0) + 1 FROM outbox", [], |r| {
            r.get(0)
        })?;
        let mut out = Vec::with_capacity(ops.len());
        {
            let mut st = tx.prepare_cached(
                "INSERT INTO outbox (client_seq, op_id, op, created_at, state) VALUES (?1, ?2, ?3, ?4, 'pending')",
            )?;
            let at = ts(now);
            for op in ops {
                let json = serde_json::to_string(op).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let op_id = Uuid::now_v7();
                st.execute(params![next, op_id.to_string(), json, at])?;
                out.push((op_id, next));
                next += 1;
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// The oldest `limit` pending actions, in `client_seq` order, as pushed.
    pub fn pending_ops(&self, limit: u32) -> Result<Vec<PushOp>> {
        self.pending_ops_after(0, limit)
    }

    /// The next `limit` pending actions with a `client_seq` above `after`, oldest first: the batch after one
    /// that is pushed but not settled yet (the sync engine pushes it while the previous answer is recorded).
    pub fn pending_ops_after(&self, after: u64, limit: u32) -> Result<Vec<PushOp>> {
        let mut st = self.conn.prepare_cached(
            "SELECT client_seq, op_id, op FROM outbox WHERE state = 'pending' AND client_seq > ?1
             ORDER BY client_seq LIMIT ?2",
        )?;
        let rows = st.query_map(params![after, limit], |r| {
            Ok((
                r.get::<_, u64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (client_seq, op_id, op) = row?;
            Ok(PushOp {
                op_id: Uuid::parse_str(&op_id).map_err(|e| StoreError::Corrupt(format!("op_id: {e}")))?,
                client_seq,
                op: serde_json::from_str(&op).map_err(|e| StoreError::Corrupt(format!("op: {e}")))?,
            })
        })
        .collect()
    }

    /// Records the hub's answers to a push, in one transaction. Unknown op ids are ignored.
    pub fn settle(&mut self, results: &[PushResult], now: DateTime<Utc>) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut update = tx.prepare_cached(
                "UPDATE outbox SET state = ?2, reason = ?3, conflict = ?4, server_seq = ?5, settled_at = ?6,
                 code = ?7, args = ?8
             WHERE op_id = ?1 AND state = 'pending'",
            )?;
            for r in results {
                let outcome = match (r.status, r.first_status) {
                    (PushStatus::Applied, _) | (PushStatus::Duplicate, Some(PushStatus::Applied) | None) => {
                        OutboxState::Applied
                    }
                    (PushStatus::Rejected, _) | (PushStatus::Duplicate, Some(_)) => OutboxState::Rejected,
                };
                // A conflict by its code; from a hub without codes, by its words.
                let conflict = outcome == OutboxState::Rejected
                    && match r.refusal() {
                        Some(refusal) => refusal.is_conflict(),
                        None => r.reason.as_deref().is_some_and(|m| m.starts_with("conflict")),
                    };
                let rejected = outcome == OutboxState::Rejected;
                update.execute(params![
                    r.op_id.to_string(),
                    state_str(outcome),
                    r.reason,
                    conflict,
                    r.server_seq,
                    ts(now),
                    r.code.as_ref().filter(|_| rejected),
                    r.args.as_ref().filter(|_| rejected).map(|a| a.to_string()),
                ])?;
            }
        }
        put_meta(&tx, "last_push_at", &ts(now))?;
        tx.commit()?;
        Ok(())
    }

    pub fn outbox_counts(&self) -> Result<OutboxCounts> {
        let count = |state: &str| -> Result<u64> {
            Ok(self
                .conn
                .query_row("SELECT COUNT(*) FROM outbox WHERE state = ?1", [state], |r| {
                    r.get(0)
                })?)
        };
        Ok(OutboxCounts {
            pending: count("pending")?,
            rejected: count("rejected")?,
        })
    }

    /// How many actions the hub has applied (all time).
    pub fn outbox_applied_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM outbox WHERE state = 'applied'", [], |r| {
                r.get(0)
            })?)
    }

    /// The actions that need the user's eye: pending and rejected ones, oldest first, at most `limit`.
    pub fn outbox_open(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM outbox WHERE state IN ('pending', 'rejected') ORDER BY client_seq LIMIT ?1"
        ))?;
        let rows = st.query_map([limit], entry)?;
        rows.map(|r| parse_entry(r?)).collect()
    }

    /// The `limit` actions the hub applied most recently (newest first), so the user sees what landed.
    pub fn outbox_recent_applied(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM outbox WHERE state = 'applied' ORDER BY client_seq DESC LIMIT ?1"
        ))?;
        let rows = st.query_map([limit], entry)?;
        rows.map(|r| parse_entry(r?)).collect()
    }

    pub fn outbox_entry(&self, op_id: Uuid) -> Result<Option<OutboxEntry>> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM outbox WHERE op_id = ?1"),
                [op_id.to_string()],
                entry,
            )
            .optional()?
            .map(parse_entry)
            .transpose()
    }

    /// The user drops a rejected action. Returns false if it is not (or no longer) rejected.
    pub fn drop_rejected(&mut self, op_id: Uuid) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE outbox SET state = 'dropped' WHERE op_id = ?1 AND state = 'rejected'",
            [op_id.to_string()],
        )? == 1)
    }
}
