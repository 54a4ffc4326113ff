//! The one schema-migration runner of citydeck's databases: the hub's (SQLite and PostgreSQL) and the desktop
//! cache's.
//!
//! A schema is a list of numbered migrations `(version, sql)`, versions 1, 2, 3, … in order, append-only (a
//! released migration is never edited). [`upgrade_from`] applies every migration newer than the database's
//! version, in order, each through the engine's own `apply` — which runs the SQL and records the new version in
//! one transaction, so a crash leaves the database at a version it really has — and refuses a database newer
//! than the list ([`TooNew`]: written by a newer build, never touched). [`sqlite`] is that runner with the
//! version kept in `PRAGMA user_version`.

/// The database's schema is newer than the migrations this build knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("schema version {found} is newer than this build understands ({supported})")]
pub struct TooNew {
    pub found: u32,
    pub supported: u32,
}

/// The version the last migration of `migrations` leaves (0 for none).
pub fn latest(migrations: &[(u32, &str)]) -> u32 {
    migrations.last().map_or(0, |m| m.0)
}

/// Upgrades a database at schema `version` with the migrations newer than it: calls `apply(v, sql)` for each,
/// in order, stopping at the first error. Returns the version reached. A `version` beyond the list is refused
/// with [`TooNew`] before anything is applied.
pub fn upgrade_from<E: From<TooNew>>(
    version: u32,
    migrations: &[(u32, &str)],
    mut apply: impl FnMut(u32, &str) -> Result<(), E>,
) -> Result<u32, E> {
    debug_assert!(
        migrations.iter().enumerate().all(|(i, m)| m.0 as usize == i + 1),
        "migrations are numbered 1, 2, 3, … in order"
    );
    let supported = latest(migrations);
    if version > supported {
        return Err(TooNew {
            found: version,
            supported,
        }
        .into());
    }
    for (v, sql) in migrations {
        if *v > version {
            apply(*v, sql)?;
        }
    }
    Ok(supported)
}

/// [`upgrade_from`] on SQLite: the version is `PRAGMA user_version`; each migration runs in its own exclusive
/// transaction, which also sets `user_version`.
pub fn sqlite<E: From<TooNew> + From<rusqlite::Error>>(
    conn: &mut rusqlite::Connection,
    migrations: &[(u32, &str)],
) -> Result<u32, E> {
    let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    upgrade_from(version, migrations, |v, sql| {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", v)?;
        tx.commit()?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &[(u32, &str)] = &[
        (1, "CREATE TABLE a (x INTEGER);"),
        (2, "ALTER TABLE a ADD COLUMN y TEXT;"),
        (3, "CREATE TABLE b (z TEXT);"),
    ];

    #[derive(Debug, PartialEq, thiserror::Error)]
    enum E {
        #[error(transparent)]
        TooNew(#[from] TooNew),
        #[error("{0}")]
        Sqlite(String),
    }

    impl From<rusqlite::Error> for E {
        fn from(e: rusqlite::Error) -> Self {
            E::Sqlite(e.to_string())
        }
    }

    #[test]
    fn applies_only_the_newer_migrations_in_order() {
        for from in 0..=3 {
            let mut seen = Vec::new();
            let reached = upgrade_from::<TooNew>(from, LIST, |v, _| {
                seen.push(v);
                Ok(())
            })
            .unwrap();
            assert_eq!(reached, 3);
            assert_eq!(seen, (from + 1..=3).collect::<Vec<_>>(), "from {from}");
        }
    }

    #[test]
    fn a_newer_database_is_refused_before_anything_runs() {
        let mut ran = false;
        let err = upgrade_from::<TooNew>(4, LIST, |_, _| {
            ran = true;
            Ok(())
        })
        .unwrap_err();
        assert_eq!(
            err,
            TooNew {
                found: 4,
                supported: 3
            }
        );
        assert!(!ran);
    }

    #[test]
    fn a_failing_migration_stops_the_run_at_the_last_good_version() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let broken: &[(u32, &str)] = &[LIST[0], (2, "ALTER TABLE nowhere ADD COLUMN y TEXT;"), LIST[2]];
        assert!(matches!(sqlite::<E>(&mut conn, broken), Err(E::Sqlite(_))));
        let version: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, 1);
        // the fixed list picks up where it stopped
        assert_eq!(sqlite::<E>(&mut conn, LIST).unwrap(), 3);
        conn.execute("INSERT INTO a (x, y) VALUES (1, 'one')", [])
            .unwrap();
        conn.execute("INSERT INTO b (z) VALUES ('two')", []).unwrap();
    }

    #[test]
    fn sqlite_records_user_version_and_refuses_a_newer_file() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        assert_eq!(sqlite::<E>(&mut conn, &LIST[..2]).unwrap(), 2);
        assert_eq!(sqlite::<E>(&mut conn, LIST).unwrap(), 3);
        let version: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, 3);
        assert_eq!(
            sqlite::<E>(&mut conn, &LIST[..2]).unwrap_err(),
            E::TooNew(TooNew {
                found: 3,
                supported: 2
            })
        );
    }
}
