//! The one seam between the hub's storage logic and its two engines.
//!
//! Every query of `db.rs` is written once, in the SQL both SQLite and PostgreSQL understand, with `?1, ?2, …`
//! placeholders (turned into `$1, $2, …` for PostgreSQL), and runs through [`Sql`]: on a SQLite connection
//! ([`Lite`]) or inside a PostgreSQL transaction / on a pooled client ([`PgTx`], [`PgConn`]). Values cross the
//! seam as integers, reals, text or NULL ([`P`] in, [`Val`] out): the PostgreSQL schema stores the same TEXT and
//! BIGINT columns as the SQLite one, so the logic (and its tests) is shared.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use crate::error::{DbError, DbResult};

/// A timestamp as stored: RFC 3339, UTC, microseconds (sorts as text on both engines).
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A stored timestamp back.
pub fn parse_ts(s: &str) -> DbResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| DbError::Corrupt(format!("timestamp {s:?}: {e}")))
}

/// A query parameter.
#[derive(Clone, Copy, Debug)]
pub enum P<'a> {
    Int(i64),
    Real(f64),
    Text(&'a str),
    Null,
}

impl<'a> From<&'a str> for P<'a> {
    fn from(s: &'a str) -> Self {
        P::Text(s)
    }
}

impl<'a> From<&'a String> for P<'a> {
    fn from(s: &'a String) -> Self {
        P::Text(s)
    }
}

impl From<i64> for P<'_> {
    fn from(i: i64) -> Self {
        P::Int(i)
    }
}

impl From<u64> for P<'_> {
    fn from(i: u64) -> Self {
        P::Int(i as i64)
    }
}

impl From<f64> for P<'_> {
    fn from(x: f64) -> Self {
        P::Real(x)
    }
}

impl From<u32> for P<'_> {
    fn from(i: u32) -> Self {
        P::Int(i64::from(i))
    }
}

impl<'a, T: Into<P<'a>>> From<Option<T>> for P<'a> {
    fn from(o: Option<T>) -> Self {
        o.map(Into::into).unwrap_or(P::Null)
    }
}

/// Builds a `&[P]` from values that convert into [`P`].
macro_rules! p {
    ($($v:expr),* $(,)?) => { &[$($crate::sql::P::from($v)),*] };
}
pub(crate) use p;

/// A column value.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// One result row.
#[derive(Debug)]
pub struct Row(pub Vec<Val>);

impl Row {
    fn take(&mut self, i: usize) -> DbResult<Val> {
        self.0
            .get_mut(i)
            .map(|v| std::mem::replace(v, Val::Null))
            .ok_or_else(|| DbError::Corrupt(format!("no column {i}")))
    }

    pub fn text(&mut self, i: usize) -> DbResult<String> {
        match self.take(i)? {
            Val::Text(s) => Ok(s),
            v => Err(DbError::Corrupt(format!(
                "column {i}: expected text, found {v:?}"
            ))),
        }
    }

    pub fn opt_text(&mut self, i: usize) -> DbResult<Option<String>> {
        match self.take(i)? {
            Val::Null => Ok(None),
            Val::Text(s) => Ok(Some(s)),
            v => Err(DbError::Corrupt(format!(
                "column {i}: expected text, found {v:?}"
            ))),
        }
    }

    pub fn int(&mut self, i: usize) -> DbResult<i64> {
        match self.take(i)? {
            Val::Int(n) => Ok(n),
            v => Err(DbError::Corrupt(format!(
                "column {i}: expected an integer, found {v:?}"
            ))),
        }
    }

    pub fn real(&mut self, i: usize) -> DbResult<f64> {
        match self.take(i)? {
            Val::Real(x) => Ok(x),
            Val::Int(n) => Ok(n as f64),
            v => Err(DbError::Corrupt(format!(
                "column {i}: expected a number, found {v:?}"
            ))),
        }
    }

    pub fn uint(&mut self, i: usize) -> DbResult<u64> {
        let n = self.int(i)?;
        u64::try_from(n).map_err(|_| DbError::Corrupt(format!("column {i}: negative {n}")))
    }

    pub fn opt_uint(&mut self, i: usize) -> DbResult<Option<u64>> {
        match self.take(i)? {
            Val::Null => Ok(None),
            Val::Int(n) => u64::try_from(n)
                .map(Some)
                .map_err(|_| DbError::Corrupt(format!("column {i}: negative {n}"))),
            v => Err(DbError::Corrupt(format!(
                "column {i}: expected an integer, found {v:?}"
            ))),
        }
    }
}

/// A connection or transaction the storage logic runs its statements on.
pub trait Sql {
    /// Runs a statement that returns no rows; the number of rows it changed.
    fn exec(&mut self, sql: &str, params: &[P<'_>]) -> DbResult<u64>;
    /// Runs a query; all its rows.
    fn rows(&mut self, sql: &str, params: &[P<'_>]) -> DbResult<Vec<Row>>;
    /// The first row of a query, if any.
    fn row(&mut self, sql: &str, params: &[P<'_>]) -> DbResult<Option<Row>> {
        Ok(self.rows(sql, params)?.into_iter().next())
    }
    /// Told about every event appended in this transaction (PostgreSQL notifies the other replicas of it).
    fn appended(&mut self, _seq: u64) {}
    /// True on PostgreSQL: for the few statements the engines spell differently (the spatial index).
    fn is_postgres(&self) -> bool {
        false
    }
}

// ---- SQLite ----

impl rusqlite::ToSql for P<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match self {
            P::Int(i) => ToSqlOutput::Owned(Value::Integer(*i)),
            P::Real(x) => ToSqlOutput::Owned(Value::Real(*x)),
            P::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            P::Null => ToSqlOutput::Owned(Value::Null),
        })
    }
}

/// A SQLite connection (or the connection of an open transaction).
pub struct Lite<'a>(pub &'a rusqlite::Connection);

impl Sql for Lite<'_> {
    fn exec(&mut self, sql: &str, params: &[P<'_>]) -> DbResult<u64> {
        let mut st = self.0.prepare_cached(sql)?;
        Ok(st.execute(rusqlite::params_from_iter(params.iter()))? as u64)
    }

    fn rows(&mut self, sql: &str, params: &[P<'_>]) -> DbResult<Vec<Row>> {
        use rusqlite::types::ValueRef;
        let mut st = self.0.prepare_cached(sql)?;
        let n = st.column_count();
        let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut vals = Vec::with_capacity(n);
            for i in 0..n {
                vals.push(match r.get_ref(i)? {
                    ValueRef::Null => Val::Null,
                    ValueRef::Integer(n) => Val::Int(n),
                    ValueRef::Real(x) => Val::Real(x),
                    ValueRef::Text(t) => Val::Text(
                        std::str::from_utf8(t)
                            .map_err(|e| DbError::Corrupt(format!("column {i}: {e}")))?
                            .to_string(),
                    ),
                    v => return Err(DbError::Corrupt(format!("column {i}: unexpected {v:?}"))),
                });
            }
            out.push(Row(vals));
        }
        Ok(out)
    }
}

// ---- PostgreSQL ----

impl postgres::types::ToSql for P<'_> {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::Type;
        match self {
            P::Int(i) if *ty == Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
            P::Int(i) if *ty == Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
            P::Int(i) => i.to_sql(ty, out),
            P::Real(x) => x.to_sql(ty, out),
            P::Text(s) => s.to_sql(ty, out),
            P::Null => Ok(postgres::types::IsNull::Yes),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// `?1` → `$1` (the queries hold no other `?`).
pub fn pg_sql(sql: &str) -> Cow<'_, str> {
    if sql.contains('?') {
        Cow::Owned(sql.replace('?', "$"))
    } else {
        Cow::Borrowed(sql)
    }
}

fn pg_params<'a>(params: &'a [P<'a>]) -> Vec<&'a (dyn postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|p| p as &(dyn postgres::types::ToSql + Sync))
        .collect()
}

fn pg_row(r: &postgres::Row) -> DbResult<Row> {
    use postgres::types::Type;
    let mut vals = Vec::with_capacity(r.len());
    for (i, c) in r.columns().iter().enumerate() {
        let t = c.type_();
        let v = if *t == Type::INT8 {
            r.try_get::<_, Option<i64>>(i)?.map(Val::Int)
        } else if *t == Type::INT4 {
            r.try_get::<_, Option<i32>>(i)?.map(|n| Val::Int(n.into()))
        } else if *t == Type::INT2 {
            r.try_get::<_, Option<i16>>(i)?.map(|n| Val::Int(n.into()))
        } else if *t == Type::FLOAT8 {
            r.try_get::<_, Option<f64>>(i)?.map(Val::Real)
        } else if *t == Type::BOOL {
            r.try_get::<_, Option<bool>>(i)?.map(|b| Val::Int(b.into()))
        } else if matches!(*t, Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME) {
            r.try_get::<_, Option<String>>(i)?.map(Val::Text)
        } else {
            return Err(DbError::Corrupt(format!(
                "column {}: unsupported type {t}",
                c.name()
            )));
        };
        vals.push(v.unwrap_or(Val::Null));
    }
    Ok(Row(vals))
}

/// A PostgreSQL write transaction; remembers the highest seq it appended (notified at commit).
pub struct PgTx<'a> {
    pub tx: postgres::Transaction<'a>,
    pub last_seq: Option<u64>,
}

impl Sql for PgTx<'_> {
    fn exec(&mut self, sql: &str, params: &[P<'_>]) -> DbResult<u64> {
        Ok(self.tx.execute(&*pg_sql(sql), &pg_params(params))?)
    }

    fn rows(&mut self, sql: &str, params: &[P<'_>]) -> DbResult<Vec<Row>> {
        self.tx
            .query(&*pg_sql(sql), &pg_params(params))?
            .iter()
            .map(pg_row)
            .collect()
    }

    fn appended(&mut self, seq: u64) {
        self.last_seq = Some(self.last_seq.map_or(seq, |s| s.max(seq)));
    }

    fn is_postgres(&self) -> bool {
        true
    }
}

/// A PostgreSQL client outside a transaction (each statement commits on its own).
pub struct PgConn<'a>(pub &'a mut postgres::Client);

impl Sql for PgConn<'_> {
    fn exec(&mut self, sql: &str, params: &[P<'_>]) -> DbResult<u64> {
        Ok(self.0.execute(&*pg_sql(sql), &pg_params(params))?)
    }

    fn rows(&mut self, sql: &str, params: &[P<'_>]) -> DbResult<Vec<Row>> {
        self.0
            .query(&*pg_sql(sql), &pg_params(params))?
            .iter()
            .map(pg_row)
            .collect()
    }

    fn is_postgres(&self) -> bool {
        true
    }
}
