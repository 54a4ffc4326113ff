use super::*;
use citydeck_protocol::{fixtures, GeoPoint, Stage};

/// A new incident (a fresh id) last changed at `seq`, reported `seq` seconds after 1 700 000 000.
fn incident(seq: ServerSeq, class: IncidentClass, grade: Grade, status: Stage) -> Incident {
    fixtures::incident(seq)
        .id(uuid::Uuid::now_v7())
        .class(class)
        .grade(grade)
        .status(status)
        .at(DateTime::from_timestamp(1_700_000_000 + seq as i64, 0).unwrap())
        .build()
}

fn created(seq: ServerSeq, inc: Incident) -> Event {
    Event {
        server_seq: seq,
        at: inc.created_at,
        actor: "operator".into(),
        body: EventBody::IncidentCreated { incident: inc },
    }
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_100, 0).unwrap()
}

#[test]
fn applies_in_order_and_skips_already_applied_events() {
    let mut c = Cache::open_in_memory().unwrap();
    let evs: Vec<Event> = (1..=3)
        .map(|s| {
            created(
                s,
                incident(s, IncidentClass::Accident, Grade::IV, Stage::Collected),
            )
        })
        .collect();
    assert_eq!(c.apply_events(&evs[..2], now()).unwrap(), 2);
    // a retried delivery overlapping what was applied: only the new one counts
    assert_eq!(c.apply_events(&evs, now()).unwrap(), 1);
    assert_eq!(c.apply_events(&evs, now()).unwrap(), 0);
    assert_eq!(c.last_seq().unwrap(), 3);
    assert_eq!(c.incident_count().unwrap(), 3);
    assert_eq!(c.last_sync_at().unwrap(), Some(now()));
}

#[test]
fn a_gap_is_refused_and_applies_nothing_of_the_batch() {
    let mut c = Cache::open_in_memory().unwrap();
    let e1 = created(
        1,
        incident(1, IncidentClass::Accident, Grade::IV, Stage::Collected),
    );
    let e3 = created(
        3,
        incident(3, IncidentClass::Accident, Grade::IV, Stage::Collected),
    );
    let err = c.apply_events(&[e1, e3], now()).unwrap_err();
    assert!(matches!(err, StoreError::Gap { last: 1, got: 3 }), "{err}");
    assert_eq!(c.last_seq().unwrap(), 0, "the batch is rolled back whole");
    assert_eq!(c.incident_count().unwrap(), 0);
}

#[test]
fn update_replaces_the_incident_and_closed_ones_leave_the_open_list() {
    let mut c = Cache::open_in_memory().unwrap();
    let inc = incident(1, IncidentClass::PublicHealth, Grade::II, Stage::Collected);
    let mut closed = inc.clone();
    closed.status = Stage::Closed;
    closed.seq = 2;
    let evs = vec![
        created(1, inc.clone()),
        Event {
            server_seq: 2,
            at: now(),
            actor: "x".into(),
            body: EventBody::IncidentUpdated { incident: closed },
        },
    ];
    c.apply_events(&evs, now()).unwrap();
    assert_eq!(c.incident_count().unwrap(), 1);
    assert!(c.open_incidents(10).unwrap().is_empty());
    assert_eq!(
        c.incident(&inc.id.to_string()).unwrap().unwrap().status,
        Stage::Closed
    );
}

#[test]
fn unknown_event_kinds_advance_the_seq() {
    let mut c = Cache::open_in_memory().unwrap();
    let ev = Event {
        server_seq: 1,
        at: now(),
        actor: "x".into(),
        body: EventBody::Unknown,
    };
    assert_eq!(c.apply_events(&[ev], now()).unwrap(), 1);
    assert_eq!(c.last_seq().unwrap(), 1);
}

#[test]
fn summary_counts_open_incidents_by_class_and_grade() {
    let mut c = Cache::open_in_memory().unwrap();
    let specs = [
        (IncidentClass::Accident, Grade::IV, Stage::Collected),
        (IncidentClass::Accident, Grade::III, Stage::Handling),
        (IncidentClass::NaturalDisaster, Grade::I, Stage::Assigned),
        (IncidentClass::SocialSecurity, Grade::IV, Stage::Closed),
    ];
    let evs: Vec<Event> = specs
        .iter()
        .enumerate()
        .map(|(i, (cl, g, st))| created(i as u64 + 1, incident(i as u64 + 1, *cl, *g, *st)))
        .collect();
    c.apply_events(&evs, now()).unwrap();
    let s = c.summary(now()).unwrap();
    assert_eq!(s.total_open, 3);
    let class = |k| s.by_class.iter().find(|(c, _)| *c == k).unwrap().1;
    let grade = |k| s.by_grade.iter().find(|(g, _)| *g == k).unwrap().1;
    assert_eq!(class(IncidentClass::Accident), 2);
    assert_eq!(class(IncidentClass::NaturalDisaster), 1);
    assert_eq!(class(IncidentClass::SocialSecurity), 0);
    assert_eq!(grade(Grade::IV), 1);
    assert_eq!(grade(Grade::I), 1);
    assert_eq!(s.last_hour, 4);
    let stage = |k| s.by_stage.iter().find(|(st, _)| *st == k).unwrap().1;
    assert_eq!(stage(Stage::Collected), 1);
    assert_eq!(stage(Stage::Handling), 1);
    assert_eq!(stage(Stage::Assigned), 1);
    assert!(s.by_stage.iter().all(|(st, _)| *st != Stage::Closed));
}

#[test]
fn reopening_a_file_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    {
        let mut c = Cache::open(&path).unwrap();
        c.apply_events(
            &[created(
                1,
                incident(1, IncidentClass::Accident, Grade::IV, Stage::Collected),
            )],
            now(),
        )
        .unwrap();
        c.set_hub_identity("http://hub").unwrap();
    }
    let c = Cache::open(&path).unwrap();
    assert_eq!(c.last_seq().unwrap(), 1);
    assert_eq!(c.hub_identity().unwrap().as_deref(), Some("http://hub"));
    assert_eq!(c.schema_version().unwrap(), latest_version());
}

#[test]
fn a_database_from_a_newer_build_is_refused_not_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", latest_version() + 1)
            .unwrap();
    }
    match Cache::open(&path) {
        Err(StoreError::TooNew { found, .. }) => assert_eq!(found, latest_version() + 1),
        other => panic!("expected TooNew, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn every_migration_applies_to_an_empty_file_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    std::fs::write(&path, b"").unwrap();
    let c = Cache::open(&path).unwrap();
    assert_eq!(c.schema_version().unwrap(), latest_version());
    assert_eq!(c.last_seq().unwrap(), 0);
}

#[test]
fn binding_to_another_log_drops_confirmed_state_but_the_same_log_keeps_it() {
    let mut c = Cache::open_in_memory().unwrap();
    assert!(!c.bind_log("log-a").unwrap(), "first bind resets nothing");
    c.apply_events(
        &[created(
            1,
            incident(1, IncidentClass::Accident, Grade::IV, Stage::Collected),
        )],
        now(),
    )
    .unwrap();
    assert!(!c.bind_log("log-a").unwrap());
    assert_eq!(c.last_seq().unwrap(), 1);
    assert!(c.bind_log("log-b").unwrap(), "a different log resets");
    assert_eq!(c.last_seq().unwrap(), 0);
    assert_eq!(c.incident_count().unwrap(), 0);
    assert_eq!(c.log_id().unwrap().as_deref(), Some("log-b"));
}

#[test]
fn tracks_the_city_mode_and_screen_acks_from_the_log() {
    use citydeck_protocol::{ModeKind, ModeState, ScreenAck};
    let mut c = Cache::open_in_memory().unwrap();
    assert_eq!(c.mode().unwrap(), ModeState::initial());
    let mut m = ModeState::initial();
    m.mode = ModeKind::Wartime;
    m.level = Some(Grade::III);
    m.epoch = 1;
    m.reason = "暴雨".into();
    let ack = |screen: &str, epoch| ScreenAck {
        screen: screen.into(),
        epoch,
        by: "leader".into(),
        at: now(),
    };
    let evs = vec![
        Event {
            server_seq: 1,
            at: now(),
            actor: "commander".into(),
            body: EventBody::ModeChanged { mode: m.clone() },
        },
        Event {
            server_seq: 2,
            at: now(),
            actor: "leader".into(),
            body: EventBody::ScreenAcked {
                ack: ack("wall-2", 1),
            },
        },
        Event {
            server_seq: 3,
            at: now(),
            actor: "leader".into(),
            body: EventBody::ScreenAcked {
                ack: ack("wall-1", 1),
            },
        },
        Event {
            server_seq: 4,
            at: now(),
            actor: "leader".into(),
            body: EventBody::ScreenAcked {
                ack: ack("wall-2", 1),
            },
        },
    ];
    c.apply_events(&evs, now()).unwrap();
    let got = c.mode().unwrap();
    assert_eq!(got.mode, ModeKind::Wartime);
    assert_eq!(got.level, Some(Grade::III));
    assert_eq!(got.epoch, 1);
    let screens: Vec<&str> = got.acks.iter().map(|a| a.screen.as_str()).collect();
    assert_eq!(screens, vec!["wall-1", "wall-2"], "one ack per screen, sorted");
    // the next switch keeps the screens' acknowledgements: both now lag behind epoch 2
    let mut m2 = m.clone();
    m2.epoch = 2;
    m2.level = Some(Grade::II);
    let ev = Event {
        server_seq: 5,
        at: now(),
        actor: "commander".into(),
        body: EventBody::ModeChanged { mode: m2 },
    };
    c.apply_events(&[ev], now()).unwrap();
    let got = c.mode().unwrap();
    assert_eq!(got.epoch, 2);
    assert_eq!(got.acks.len(), 2);
    assert!(got.acks.iter().all(|a| a.epoch == 1));
}

#[test]
fn tracks_registered_screens_and_pending_proposals_and_forgets_them_with_the_log() {
    use citydeck_protocol::{ModeKind, ModeProposal, ModeState, ScreenAck};
    let mut c = Cache::open_in_memory().unwrap();
    c.bind_log("log-a").unwrap();
    let ev = |seq, body| Event {
        server_seq: seq,
        at: now(),
        actor: "commander".into(),
        body,
    };
    let proposal = |minutes: i64| ModeProposal {
        proposal_id: uuid::Uuid::now_v7(),
        proposer: "commander".into(),
        mode: ModeKind::Wartime,
        level: Some(Grade::I),
        reason: "特大地震".into(),
        incident_ids: vec![],
        created_at: now(),
        expires_at: now() + Duration::minutes(minutes),
    };
    let (p1, p2) = (proposal(2), proposal(5));
    c.apply_events(
        &[
            ev(
                1,
                EventBody::ScreenRegistered {
                    screen: "wall-2".into(),
                },
            ),
            ev(
                2,
                EventBody::ScreenRegistered {
                    screen: "leader-office".into(),
                },
            ),
            ev(
                3,
                EventBody::ScreenAcked {
                    ack: ScreenAck {
                        screen: "wall-1".into(),
                        epoch: 0,
                        by: "operator".into(),
                        at: now(),
                    },
                },
            ),
            ev(4, EventBody::ModeProposed { proposal: p1.clone() }),
            ev(5, EventBody::ModeProposed { proposal: p2.clone() }),
        ],
        now(),
    )
    .unwrap();
    let m = c.mode().unwrap();
    assert_eq!(m.screens, ["leader-office", "wall-1", "wall-2"]);
    assert_eq!(m.lagging_screens(), ["leader-office", "wall-2"], "never acked");
    assert_eq!(c.pending_proposals(now()).unwrap(), vec![p1.clone(), p2.clone()]);
    assert_eq!(
        c.pending_proposals(now() + Duration::minutes(3)).unwrap(),
        vec![p2.clone()],
        "an expired proposal no longer waits"
    );
    // p2 is confirmed: the switch names it, it leaves the list; the screens stay known and now lag
    let mut m2 = ModeState::initial();
    m2.mode = ModeKind::Wartime;
    m2.level = Some(Grade::I);
    m2.epoch = 1;
    m2.proposal_id = Some(p2.proposal_id);
    c.apply_events(&[ev(6, EventBody::ModeChanged { mode: m2 })], now())
        .unwrap();
    assert_eq!(c.pending_proposals(now()).unwrap(), vec![p1]);
    let m = c.mode().unwrap();
    assert_eq!(m.screens.len(), 3);
    assert_eq!(m.lagging_screens(), ["leader-office", "wall-1", "wall-2"]);
    // a replaced hub log: mode, screens and proposals are the old hub's and go with it
    assert!(c.bind_log("log-b").unwrap());
    assert_eq!(c.mode().unwrap(), ModeState::initial());
    assert!(c.pending_proposals(now()).unwrap().is_empty());
}

#[test]
fn the_current_mode_adopted_ahead_of_the_backlog_is_not_taken_back_by_older_events() {
    use citydeck_protocol::{ModeKind, ModeState, ScreenAck};
    let mut c = Cache::open_in_memory().unwrap();
    let ack = |screen: &str, epoch| ScreenAck {
        screen: screen.into(),
        epoch,
        by: "leader".into(),
        at: now(),
    };
    let mode_at = |epoch, level| {
        let mut m = ModeState::initial();
        m.mode = ModeKind::Wartime;
        m.level = Some(level);
        m.epoch = epoch;
        m
    };
    // the hub says: epoch 2 (level I), wall-1 acked 2, wall-2 registered
    let mut current = mode_at(2, Grade::I);
    current.acks = vec![ack("wall-1", 2)];
    current.screens = vec!["wall-1".into(), "wall-2".into()];
    assert!(c.adopt_mode(&current).unwrap());
    assert!(
        !c.adopt_mode(&current).unwrap(),
        "adopting the same state changes nothing"
    );
    // then the backlog replays epoch 1 and wall-1's old ack of epoch 1
    let ev = |seq, body| Event {
        server_seq: seq,
        at: now(),
        actor: "commander".into(),
        body,
    };
    c.apply_events(
        &[
            ev(
                1,
                EventBody::ModeChanged {
                    mode: mode_at(1, Grade::III),
                },
            ),
            ev(
                2,
                EventBody::ScreenAcked {
                    ack: ack("wall-1", 1),
                },
            ),
            ev(
                3,
                EventBody::ScreenAcked {
                    ack: ack("wall-2", 1),
                },
            ),
        ],
        now(),
    )
    .unwrap();
    let m = c.mode().unwrap();
    assert_eq!(
        (m.epoch, m.level),
        (2, Some(Grade::I)),
        "the older switch is ignored"
    );
    assert_eq!(m.acks, vec![ack("wall-1", 2), ack("wall-2", 1)]);
    assert_eq!(m.lagging_screens(), ["wall-2"]);
    // the next real switch still applies
    c.apply_events(
        &[ev(
            4,
            EventBody::ModeChanged {
                mode: mode_at(3, Grade::II),
            },
        )],
        now(),
    )
    .unwrap();
    assert_eq!(c.mode().unwrap().epoch, 3);
}

fn note_op(n: u128) -> citydeck_protocol::Op {
    citydeck_protocol::Op::AddNote {
        incident_id: uuid::Uuid::from_u128(n),
        text: format!("note {n}"),
        photo_ref: None,
    }
}

#[test]
fn the_outbox_queues_in_order_and_settles_each_answer() {
    use citydeck_protocol::{PushResult, PushStatus};
    let mut c = Cache::open_in_memory().unwrap();
    let client = c.client_id().unwrap();
    assert_eq!(c.client_id().unwrap(), client, "stable");
    let ids: Vec<_> = (1..=4).map(|n| c.enqueue(&note_op(n), now()).unwrap()).collect();
    assert_eq!(ids.iter().map(|x| x.1).collect::<Vec<_>>(), [1, 2, 3, 4]);
    let pending = c.pending_ops(3).unwrap();
    assert_eq!(pending.len(), 3);
    assert_eq!(pending[0].op, note_op(1));
    // The batch after one pushed but not settled yet.
    let next: Vec<_> = c
        .pending_ops_after(2, 10)
        .unwrap()
        .iter()
        .map(|o| o.client_seq)
        .collect();
    assert_eq!(next, [3, 4]);
    assert!(c.pending_ops_after(4, 10).unwrap().is_empty());
    let result = |i: usize, status, first, reason: Option<&str>| PushResult {
        op_id: ids[i].0,
        status,
        reason: reason.map(String::from),
        code: None,
        args: None,
        server_seq: (status == PushStatus::Applied).then_some(7),
        first_status: first,
    };
    c.settle(
        &[
            result(0, PushStatus::Applied, None, None),
            result(
                1,
                PushStatus::Rejected,
                None,
                Some("conflict: the incident is now at stage identified"),
            ),
            result(2, PushStatus::Duplicate, Some(PushStatus::Applied), None),
            result(
                3,
                PushStatus::Duplicate,
                Some(PushStatus::Rejected),
                Some("unknown incident"),
            ),
        ],
        now(),
    )
    .unwrap();
    assert!(
        c.pending_ops(10).unwrap().is_empty(),
        "a rejected action leaves the queue"
    );
    let counts = c.outbox_counts().unwrap();
    assert_eq!((counts.pending, counts.rejected), (0, 2));
    assert_eq!(c.outbox_applied_count().unwrap(), 2);
    let landed: Vec<_> = c
        .outbox_recent_applied(10)
        .unwrap()
        .iter()
        .map(|e| e.op_id)
        .collect();
    assert_eq!(landed, vec![ids[2].0, ids[0].0], "what landed, newest first");
    assert_eq!(c.outbox_recent_applied(1).unwrap().len(), 1);
    let open = c.outbox_open(10).unwrap();
    assert_eq!(open.len(), 2);
    assert!(open[0].conflict && !open[1].conflict);
    assert!(c.drop_rejected(ids[1].0).unwrap());
    assert!(!c.drop_rejected(ids[1].0).unwrap(), "once");
    assert!(
        !c.drop_rejected(ids[0].0).unwrap(),
        "an applied action cannot be dropped"
    );
    assert_eq!(c.outbox_counts().unwrap().rejected, 1);
}

#[test]
fn a_coded_rejection_keeps_its_code_and_arguments_and_a_conflict_is_known_by_its_code() {
    use citydeck_protocol::{PushResult, PushStatus, Refusal};
    let mut c = Cache::open_in_memory().unwrap();
    let ids: Vec<_> = (1..=3)
        .map(|n| c.enqueue(&note_op(n), now()).unwrap().0)
        .collect();
    let stale = Refusal::StaleStage {
        current: Stage::Handling,
        seen: Stage::Assigned,
    };
    let closed = Refusal::IncidentClosed;
    // A hub without codes: the words alone.
    let old = PushResult {
        op_id: ids[2],
        status: PushStatus::Rejected,
        reason: Some("conflict: the incident is now at stage closed".into()),
        code: None,
        args: None,
        server_seq: None,
        first_status: None,
    };
    c.settle(
        &[
            PushResult::rejected(ids[0], &stale),
            PushResult::rejected(ids[1], &closed),
            old,
        ],
        now(),
    )
    .unwrap();
    let open = c.outbox_open(10).unwrap();
    assert_eq!(open[0].code.as_deref(), Some("stale_stage"));
    assert_eq!(open[0].refusal(), Some(stale.clone()));
    assert_eq!(
        open[0].reason.as_deref(),
        Some(stale.message().as_str()),
        "the words stay beside the code"
    );
    assert!(open[0].conflict);
    assert_eq!(open[1].refusal(), Some(closed));
    assert!(
        !open[1].conflict,
        "a closed incident is refused, not offered for re-apply"
    );
    assert_eq!(open[2].code, None);
    assert_eq!(open[2].refusal(), None);
    assert!(
        open[2].conflict,
        "an old hub's conflict is still known by its words"
    );
}

#[test]
fn outbox_rows_from_before_codes_read_with_no_code() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        let tx = conn.transaction().unwrap();
        for (v, sql) in &MIGRATIONS[..6] {
            tx.execute_batch(sql).unwrap();
            tx.pragma_update(None, "user_version", v).unwrap();
        }
        tx.execute(
            "INSERT INTO outbox (client_seq, op_id, op, created_at, state, reason, conflict)
             VALUES (1, ?1, ?2, '2026-01-01T00:00:00.000000Z', 'rejected', 'unknown incident x', 0)",
            params![
                uuid::Uuid::now_v7().to_string(),
                serde_json::to_string(&note_op(1)).unwrap()
            ],
        )
        .unwrap();
        tx.commit().unwrap();
    }
    let c = Cache::open(&path).unwrap();
    assert_eq!(c.schema_version().unwrap(), latest_version());
    let open = c.outbox_open(10).unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].reason.as_deref(), Some("unknown incident x"));
    assert_eq!((open[0].code.as_deref(), open[0].args.as_ref()), (None, None));
}

#[test]
fn pending_actions_survive_a_replaced_hub_log_reopening_and_a_later_migration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let client;
    {
        let mut c = Cache::open(&path).unwrap();
        c.bind_log("log-a").unwrap();
        client = c.client_id().unwrap();
        for n in 0..100 {
            c.enqueue(&note_op(n), now()).unwrap();
        }
        assert!(c.bind_log("log-b").unwrap(), "replaced hub log");
        assert_eq!(
            c.pending_ops(1000).unwrap().len(),
            100,
            "bind_log keeps the outbox"
        );
    }
    // A future schema change rebuilding the outbox table must carry every pending op over.
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    let future = "CREATE TABLE outbox_new AS SELECT * FROM outbox; DROP TABLE outbox;
                  ALTER TABLE outbox_new RENAME TO outbox; ALTER TABLE outbox ADD COLUMN device TEXT;";
    let tx = conn.transaction().unwrap();
    tx.execute_batch(future).unwrap();
    tx.commit().unwrap();
    drop(conn);
    let c = Cache::open(&path).unwrap();
    assert_eq!(c.client_id().unwrap(), client, "same desktop identity");
    let pending = c.pending_ops(1000).unwrap();
    assert_eq!(pending.len(), 100);
    assert!(pending
        .iter()
        .enumerate()
        .all(|(i, p)| p.client_seq == i as u64 + 1 && p.op == note_op(i as u128)));
}

#[test]
fn a_version_one_cache_upgrades_and_keeps_its_incidents() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0].1).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO incidents (id, seq, status, class, grade, created_at, body) VALUES ('x', 1, 'collected', 'accident', 'IV', '2026-01-01T00:00:00Z', '{}')",
            [],
        )
        .unwrap();
    }
    let mut c = Cache::open(&path).unwrap();
    assert_eq!(c.schema_version().unwrap(), latest_version());
    assert_eq!(c.incident_count().unwrap(), 1);
    c.enqueue(&note_op(1), now()).unwrap();
    assert_eq!(c.outbox_counts().unwrap().pending, 1);
}

#[test]
fn remembers_the_last_account_and_role_for_offline_starts() {
    use citydeck_protocol::Role;
    let c = Cache::open_in_memory().unwrap();
    assert_eq!(c.account().unwrap(), None);
    c.set_account("field", Role::Field).unwrap();
    assert_eq!(c.account().unwrap(), Some(("field".into(), Role::Field)));
    c.set_account("leader", Role::Leader).unwrap();
    assert_eq!(c.account().unwrap(), Some(("leader".into(), Role::Leader)));
}

#[test]
fn map_delta_gives_everything_first_then_only_what_changed() {
    let mut c = Cache::open_in_memory().unwrap();
    let a = incident(1, IncidentClass::PublicHealth, Grade::I, Stage::Collected);
    let b = incident(2, IncidentClass::PublicHealth, Grade::III, Stage::Collected);
    let gone = incident(3, IncidentClass::PublicHealth, Grade::IV, Stage::Collected);
    c.apply_events(
        &[
            created(1, a.clone()),
            created(2, b.clone()),
            created(3, gone.clone()),
        ],
        now(),
    )
    .unwrap();

    let first = c.map_delta(0).unwrap();
    assert!(first.full);
    assert_eq!(first.seq, 3);
    let ids: Vec<_> = first.upserts.iter().map(|p| p.id).collect();
    assert_eq!(ids, vec![a.id, b.id, gone.id]);
    assert_eq!(first.upserts[0].grade, Grade::I);
    assert_eq!((first.upserts[0].lon, first.upserts[0].lat), (24.94, 60.17));
    assert!(first.removed.is_empty());

    assert_eq!(
        c.map_delta(3).unwrap(),
        MapDelta {
            seq: 3,
            ..MapDelta::default()
        }
    );

    let mut moved = b.clone();
    moved.status = Stage::Assigned;
    moved.seq = 4;
    let mut closed = gone.clone();
    closed.status = Stage::Closed;
    closed.seq = 5;
    let update = |seq, incident| Event {
        server_seq: seq,
        at: now(),
        actor: "x".into(),
        body: EventBody::IncidentUpdated { incident },
    };
    c.apply_events(&[update(4, moved), update(5, closed)], now())
        .unwrap();
    let next = c.map_delta(3).unwrap();
    assert!(!next.full);
    assert_eq!(next.seq, 5);
    assert_eq!(next.upserts.len(), 1);
    assert_eq!(
        (next.upserts[0].id, next.upserts[0].stage),
        (b.id, Stage::Assigned)
    );
    assert_eq!(next.removed, vec![gone.id]);

    // A map that is ahead of the cache (the cache was reset onto another hub log) starts over.
    let reset = c.map_delta(99).unwrap();
    assert!(reset.full);
    assert_eq!(reset.upserts.len(), 2);
    assert!(reset.removed.is_empty());
}

#[test]
fn map_delta_carries_an_alerts_outline_until_the_cancel_closes_it() {
    // The outline is read from the incident's body (no column): created with the alert's area, an update
    // replaces it, the cancel (which closes the incident) removes it with the point.
    let mut c = Cache::open_in_memory().unwrap();
    let vaduz = vec![
        [9.51, 47.13],
        [9.53, 47.13],
        [9.53, 47.15],
        [9.51, 47.15],
        [9.51, 47.13],
    ];
    let mut alert = incident(1, IncidentClass::NaturalDisaster, Grade::II, Stage::Collected);
    alert.outline = Some(vec![vaduz.clone()]);
    let plain = incident(2, IncidentClass::Accident, Grade::IV, Stage::Collected);
    c.apply_events(&[created(1, alert.clone()), created(2, plain.clone())], now())
        .unwrap();
    let first = c.map_delta(0).unwrap();
    let of = |d: &MapDelta, id| d.upserts.iter().find(|p| p.id == id).cloned();
    assert_eq!(of(&first, alert.id).unwrap().outline, Some(vec![vaduz.clone()]));
    assert_eq!(of(&first, plain.id).unwrap().outline, None);

    let key = citydeck_protocol::ingest::CapAlertKey {
        sender: "meteo@llv.li".into(),
        identifier: "LI-1".into(),
        sent: "2026-12-07T14:30:00+08:00".into(),
    };
    let wider = vec![[9.50, 47.12], [9.54, 47.12], [9.54, 47.16], [9.50, 47.12]];
    let mut updated = alert.clone();
    updated.seq = 3;
    updated.grade = Grade::I;
    updated.outline = Some(vec![wider.clone()]);
    let mut cancelled = updated.clone();
    cancelled.seq = 4;
    cancelled.status = Stage::Closed;
    let ev = |seq, body| Event {
        server_seq: seq,
        at: now(),
        actor: "feed".into(),
        body,
    };
    c.apply_events(
        &[ev(
            3,
            EventBody::AlertUpdated {
                incident_id: alert.id,
                incident: updated,
                alert: key.clone(),
            },
        )],
        now(),
    )
    .unwrap();
    let next = c.map_delta(2).unwrap();
    assert_eq!(next.upserts.len(), 1);
    assert_eq!(
        (next.upserts[0].grade, next.upserts[0].outline.clone()),
        (Grade::I, Some(vec![wider]))
    );
    c.apply_events(
        &[ev(
            4,
            EventBody::AlertCancelled {
                incident_id: alert.id,
                incident: cancelled,
                alert: key,
            },
        )],
        now(),
    )
    .unwrap();
    let gone = c.map_delta(3).unwrap();
    assert!(gone.upserts.is_empty());
    assert_eq!(gone.removed, vec![alert.id]);
    assert!(c
        .map_delta(0)
        .unwrap()
        .upserts
        .iter()
        .all(|p| p.outline.is_none()));
}

#[test]
fn sensor_sites_and_assigned_incidents_for_the_map() {
    let mut c = Cache::open_in_memory().unwrap();
    let mut a = incident(1, IncidentClass::Accident, Grade::II, Stage::Collected);
    a.source = "iot-sensor".into();
    a.address = Some("Kauppatori".into());
    let mut b = a.clone();
    b.id = uuid::Uuid::now_v7();
    b.seq = 2;
    b.status = Stage::Closed;
    let mut elsewhere = incident(3, IncidentClass::NaturalDisaster, Grade::IV, Stage::Closed);
    elsewhere.source = "iot-sensor".into();
    elsewhere.location.lon = 24.95;
    let mut assigned = incident(4, IncidentClass::Accident, Grade::III, Stage::Handling);
    assigned.assignee = Some("rescue-x-1".into());
    c.apply_events(
        &[
            created(1, a),
            created(2, b),
            created(3, elsewhere),
            created(4, assigned.clone()),
        ],
        now(),
    )
    .unwrap();
    let sites = c.sensor_sites(10).unwrap();
    assert_eq!(sites.len(), 2, "{sites:?}");
    let market = sites.iter().find(|s| s.lon == 24.94).unwrap();
    assert_eq!((market.state.as_str(), market.value), ("alarm", 1.0));
    assert_eq!(market.name, "Kauppatori");
    assert_eq!(sites.iter().find(|s| s.lon == 24.95).unwrap().state, "normal");
    let busy = c.current_jobs(&["rescue-x-1", "medical-9"]).unwrap();
    assert_eq!(busy.len(), 1);
    assert_eq!(busy[0].id, assigned.id);
}

#[test]
fn a_team_is_where_its_latest_open_job_is_found_by_one_index_probe() {
    let mut c = Cache::open_in_memory().unwrap();
    let job = |seq: u64, team: &str, stage: Stage| {
        let mut i = incident(seq, IncidentClass::Accident, Grade::II, stage);
        i.assignee = Some(team.into());
        i
    };
    let (older, newer, closed) = (
        job(1, "rescue-1", Stage::Assigned),
        job(2, "rescue-1", Stage::Handling),
        job(3, "police-2", Stage::Assigned),
    );
    let evs: Vec<Event> = [&older, &newer, &closed]
        .iter()
        .map(|i| created(i.seq, (*i).clone()))
        .collect();
    c.apply_events(&evs, now()).unwrap();
    let mut done = closed.clone();
    done.seq = 4;
    done.status = Stage::Closed;
    let update = Event {
        server_seq: 4,
        at: now(),
        actor: "operator".into(),
        body: EventBody::IncidentUpdated { incident: done },
    };
    c.apply_events(&[update], now()).unwrap();
    let jobs = c.current_jobs(&["rescue-1", "police-2", "nobody"]).unwrap();
    assert_eq!(
        jobs.iter().map(|i| i.id).collect::<Vec<_>>(),
        [newer.id],
        "rescue-1's latest open job; police-2's is closed; nobody has none"
    );
    let plan: String = c
        .conn
        .query_row(
            "EXPLAIN QUERY PLAN SELECT body FROM incidents WHERE assignee = ?1 AND status != 'closed' \
             ORDER BY seq DESC LIMIT 1",
            ["rescue-1"],
            |r| r.get(3),
        )
        .unwrap();
    assert!(plan.contains("incidents_open_assignee"), "{plan}");
}

#[test]
fn a_version_2_cache_gains_the_map_columns_from_its_incident_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let mut assigned = incident(1, IncidentClass::Accident, Grade::II, Stage::Assigned);
    assigned.assignee = Some("rescue-1".into());
    assigned.location = GeoPoint {
        lon: 24.95,
        lat: 60.17,
    };
    let mut sensor = incident(2, IncidentClass::NaturalDisaster, Grade::III, Stage::Collected);
    sensor.source = "iot-sensor".into();
    {
        // A cache written by the version-2 schema.
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        for (v, sql) in &MIGRATIONS[..2] {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", v).unwrap();
        }
        let tx = conn.transaction().unwrap();
        for i in [&assigned, &sensor] {
            tx.execute(
                "INSERT INTO incidents (id, seq, status, class, grade, created_at, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    i.id.to_string(),
                    i.seq,
                    i.status.as_str(),
                    i.class.as_str(),
                    i.grade.as_str(),
                    ts(i.created_at),
                    serde_json::to_string(i).unwrap()
                ],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    let c = Cache::open(&path).unwrap();
    assert_eq!(c.schema_version().unwrap(), latest_version());
    let a = c.current_jobs(&["rescue-1"]).unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].id, assigned.id);
    let sites = c.sensor_sites(10).unwrap();
    assert_eq!(sites.len(), 1, "{sites:?}");
    assert_eq!(c.counts_in_area([24.94, 60.16, 24.96, 60.18]).unwrap(), (2, 2));
    assert_eq!(c.counts_in_area([25.0, 60.0, 25.1, 60.1]).unwrap(), (0, 0));
}

#[test]
fn open_incidents_are_newest_reported_first_and_an_update_does_not_move_one() {
    let mut c = Cache::open_in_memory().unwrap();
    let incs: Vec<Incident> = (1..=3)
        .map(|s| incident(s, IncidentClass::Accident, Grade::IV, Stage::Collected))
        .collect();
    let evs: Vec<Event> = incs.iter().map(|i| created(i.seq, i.clone())).collect();
    c.apply_events(&evs, now()).unwrap();
    // The oldest report changes (seq 4) and the second one closes (seq 5).
    let mut changed = incs[0].clone();
    changed.seq = 4;
    changed.assignee = Some("team-1".into());
    changed.updated_at = now();
    let mut closed = incs[1].clone();
    closed.seq = 5;
    closed.status = Stage::Closed;
    let updates = [changed, closed].map(|inc| Event {
        server_seq: inc.seq,
        at: now(),
        actor: "operator".into(),
        body: EventBody::IncidentUpdated { incident: inc },
    });
    c.apply_events(&updates, now()).unwrap();
    let titles: Vec<String> = c
        .open_incidents(10)
        .unwrap()
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert_eq!(titles, ["incident 3", "incident 1"]);
    assert_eq!(c.open_incidents(1).unwrap()[0].title, "incident 3");
}

#[test]
fn the_summary_is_one_pass_over_an_index_and_counts_like_the_rows_say() {
    let mut c = Cache::open_in_memory().unwrap();
    // 140 incidents cycling through every class, grade and stage (closed ones included), in three batches.
    let all: Vec<Incident> = (1..=140u64)
        .map(|n| {
            let k = n as usize;
            incident(
                n,
                IncidentClass::ALL[k % IncidentClass::ALL.len()],
                Grade::ALL[(k / 3) % Grade::ALL.len()],
                Stage::ALL[(k / 2) % Stage::ALL.len()],
            )
        })
        .collect();
    for chunk in all.chunks(50) {
        let evs: Vec<Event> = chunk.iter().map(|i| created(i.seq, i.clone())).collect();
        c.apply_events(&evs, now()).unwrap();
    }
    let s = c.summary(now()).unwrap();
    let open: Vec<&Incident> = all.iter().filter(|i| i.status != Stage::Closed).collect();
    assert_eq!(s.total_open, open.len() as u64);
    for (cl, n) in &s.by_class {
        assert_eq!(
            *n,
            open.iter().filter(|i| i.class == *cl).count() as u64,
            "{cl:?}"
        );
    }
    for (g, n) in &s.by_grade {
        assert_eq!(*n, open.iter().filter(|i| i.grade == *g).count() as u64, "{g:?}");
    }
    assert_eq!(s.by_stage.len(), Stage::ALL.len() - 1);
    for (st, n) in &s.by_stage {
        assert_eq!(
            *n,
            open.iter().filter(|i| i.status == *st).count() as u64,
            "{st:?}"
        );
    }
    assert_eq!(s.last_hour, 140);
    let plan = |sql: &str| -> String {
        let mut stmt = c.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(3)).unwrap();
        rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("; ")
    };
    let counts = plan(
        "SELECT status, class, grade, COUNT(*) FROM incidents WHERE status != 'closed' \
         GROUP BY status, class, grade",
    );
    assert!(counts.contains("COVERING INDEX incidents_counts"), "{counts}");
    assert!(!counts.contains("TEMP B-TREE"), "{counts}");
    let hour = plan("SELECT COUNT(*) FROM incidents WHERE created_at >= '2026-01-01T00:00:00Z'");
    assert!(hour.contains("COVERING INDEX incidents_created"), "{hour}");
}

/// An area spanning `w`..`w + 0.25` (exact in binary, so the JSON round trip is exact too).
fn area_detail(
    id: &str,
    level: citydeck_protocol::AreaLevel,
    parent: Option<&str>,
    w: f64,
) -> citydeck_protocol::AreaDetail {
    citydeck_protocol::AreaDetail {
        area: citydeck_protocol::AreaSummary {
            id: id.into(),
            name: format!("Gemeinde {id}"),
            level,
            parent: parent.map(str::to_string),
            bbox: [w, 47.0, w + 0.25, 47.5],
            name_zh: None,
            name_en: None,
        },
        geometry: serde_json::json!({
            "type": "MultiPolygon",
            "coordinates": [[[[w, 47.0], [w + 0.25, 47.0], [w + 0.25, 47.5], [w, 47.0]]]],
        }),
    }
}

#[test]
fn areas_are_kept_in_the_hubs_order_with_their_outlines_and_replaced_whole() {
    use citydeck_protocol::AreaLevel::*;
    let mut c = Cache::open_in_memory().unwrap();
    assert!(c.areas().unwrap().is_empty());
    assert_eq!(c.area_outlines().unwrap()["features"], serde_json::json!([]));
    let first = vec![
        area_detail("city", City, None, 9.5),
        area_detail("osm-r2", District, Some("city"), 9.75),
        area_detail("osm-r1", District, Some("city"), 9.5),
        area_detail("osm-r9", Street, Some("osm-r1"), 9.625),
    ];
    let summaries =
        |d: &[citydeck_protocol::AreaDetail]| d.iter().map(|d| d.area.clone()).collect::<Vec<_>>();
    assert!(!c.areas_match(&summaries(&first)).unwrap());
    assert!(c.areas_match(&[]).unwrap(), "no areas on either side");
    c.replace_areas(&first).unwrap();
    assert!(c.areas_match(&summaries(&first)).unwrap());
    assert!(!c.areas_match(&summaries(&first[..3])).unwrap(), "one gone");
    let mut renamed = summaries(&first);
    renamed[1].name = "Oberland".into();
    assert!(!c.areas_match(&renamed).unwrap(), "one renamed");
    let ids: Vec<_> = c.areas().unwrap().into_iter().map(|a| a.id).collect();
    assert_eq!(
        ids,
        ["city", "osm-r2", "osm-r1", "osm-r9"],
        "the hub's order, not the ids'"
    );
    assert_eq!(c.area("osm-r9").unwrap().as_ref(), Some(&first[3]));
    assert_eq!(c.area("nowhere").unwrap(), None);
    let outlines = c.area_outlines().unwrap();
    assert_eq!(outlines["type"], "FeatureCollection");
    let f = &outlines["features"][3];
    assert_eq!(f["properties"]["id"], "osm-r9");
    assert_eq!(f["properties"]["level"], "street");
    assert_eq!(f["properties"]["parent"], "osm-r1");
    assert_eq!(f["geometry"], first[3].geometry);

    // a new list replaces the old one whole: a street gone from the hub is gone here
    c.replace_areas(&first[..3]).unwrap();
    assert_eq!(c.areas().unwrap().len(), 3);
    assert_eq!(c.area("osm-r9").unwrap(), None);
}

#[test]
fn a_changed_scope_starts_the_confirmed_state_afresh_but_keeps_areas_and_outbox() {
    let mut c = Cache::open_in_memory().unwrap();
    assert_eq!(c.scope().unwrap(), None);
    assert!(
        !c.bind_scope(None).unwrap(),
        "an unscoped account on a new cache resets nothing"
    );
    c.replace_areas(&[area_detail("city", citydeck_protocol::AreaLevel::City, None, 9.5)])
        .unwrap();
    c.apply_events(
        &[created(
            1,
            incident(1, IncidentClass::Accident, Grade::IV, Stage::Collected),
        )],
        now(),
    )
    .unwrap();
    assert!(!c.bind_scope(None).unwrap(), "the same scope keeps the cache");
    assert_eq!(c.incident_count().unwrap(), 1);

    // a cache from before scopes (whole city) used by a street account: everything it held goes
    assert!(c.bind_scope(Some("osm-r9")).unwrap());
    assert_eq!(c.scope().unwrap().as_deref(), Some("osm-r9"));
    assert_eq!((c.incident_count().unwrap(), c.last_seq().unwrap()), (0, 0));
    assert_eq!(
        c.areas().unwrap().len(),
        1,
        "the areas are the city's, whatever the scope"
    );
    c.apply_events(
        &[created(
            7,
            incident(7, IncidentClass::Accident, Grade::IV, Stage::Collected),
        )],
        now(),
    )
    .unwrap();
    assert_eq!(
        (c.incident_count().unwrap(), c.last_seq().unwrap()),
        (1, 7),
        "a scoped feed skips the seqs outside the scope"
    );
    assert!(!c.bind_scope(Some("osm-r9")).unwrap());
    assert_eq!(c.incident_count().unwrap(), 1, "the same scope keeps the cache");
    assert!(c.bind_scope(Some("osm-r1")).unwrap(), "another scope resets");
    assert!(
        c.bind_scope(None).unwrap(),
        "and so does the whole city after a scope"
    );
    assert_eq!(c.scope().unwrap(), None);
}

#[test]
fn migration_8_adds_areas_to_a_version_7_cache_keeping_its_incidents() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        let tx = conn.transaction().unwrap();
        for (v, sql) in &MIGRATIONS[..7] {
            tx.execute_batch(sql).unwrap();
            tx.pragma_update(None, "user_version", v).unwrap();
        }
        tx.execute(
            "INSERT INTO incidents (id, seq, status, class, grade, created_at, body, source, assignee, lon, lat)
             VALUES ('x', 1, 'collected', 'accident', 'IV', '2026-01-01T00:00:00.000000Z', ?1, 'test', NULL, 9.5, 47.1)",
            [serde_json::to_string(&incident(1, IncidentClass::Accident, Grade::IV, Stage::Collected)).unwrap()],
        )
        .unwrap();
        tx.commit().unwrap();
    }
    let c = Cache::open(&path).unwrap();
    assert_eq!(c.schema_version().unwrap(), latest_version());
    assert_eq!(c.incident_count().unwrap(), 1);
    assert!(c.areas().unwrap().is_empty());
}

fn seqs(c: &Cache) -> Vec<ServerSeq> {
    let mut st = c.conn.prepare("SELECT seq FROM incidents ORDER BY seq").unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn new_at(s: ServerSeq) -> Event {
    created(
        s,
        incident(s, IncidentClass::Accident, Grade::IV, Stage::Collected),
    )
}

#[test]
fn a_scoped_cache_takes_increasing_seqs_with_gaps_and_skips_what_it_has() {
    let mut c = Cache::open_in_memory().unwrap();
    c.bind_scope(Some("osm-r38")).unwrap();
    assert_eq!(
        c.apply_events(&[new_at(2), new_at(5), new_at(9)], now()).unwrap(),
        3
    );
    assert_eq!(c.last_seq().unwrap(), 9);
    // a retried delivery overlapping what was applied (the same gaps): only the new one counts
    assert_eq!(
        c.apply_events(&[new_at(5), new_at(9), new_at(12)], now())
            .unwrap(),
        1
    );
    // a repeat of the event just applied is skipped too
    assert_eq!(c.apply_events(&[new_at(14), new_at(14)], now()).unwrap(), 1);
    assert_eq!(c.last_seq().unwrap(), 14);
    assert_eq!(seqs(&c), vec![2, 5, 9, 12, 14]);
}

#[test]
fn a_scoped_cache_refuses_a_batch_out_of_order_and_applies_nothing_of_it() {
    let mut c = Cache::open_in_memory().unwrap();
    c.bind_scope(Some("osm-r38")).unwrap();
    c.apply_events(&[new_at(3)], now()).unwrap();
    let err = c
        .apply_events(&[new_at(4), new_at(8), new_at(6)], now())
        .unwrap_err();
    assert!(matches!(err, StoreError::OutOfOrder { last: 8, got: 6 }), "{err}");
    assert_eq!(c.last_seq().unwrap(), 3, "the batch is rolled back whole");
    assert_eq!(seqs(&c), vec![3]);
}

#[test]
fn an_unscoped_cache_still_refuses_a_gap_even_with_a_page_bound() {
    let mut c = Cache::open_in_memory().unwrap();
    assert_eq!(c.scope().unwrap(), None);
    c.apply_events(&[new_at(1)], now()).unwrap();
    let err = c.apply_page(&[new_at(3)], 3, now()).unwrap_err();
    assert!(matches!(err, StoreError::Gap { last: 1, got: 3 }), "{err}");
    assert_eq!(c.last_seq().unwrap(), 1);
    // and out of order in one batch is, as ever, an already-applied event skipped (the log has no holes)
    assert_eq!(c.apply_events(&[new_at(2), new_at(1)], now()).unwrap(), 1);
    assert_eq!(c.last_seq().unwrap(), 2);
}

#[test]
fn a_page_bound_moves_a_scoped_cache_forward_only_and_is_ignored_unscoped() {
    let mut c = Cache::open_in_memory().unwrap();
    c.bind_scope(Some("osm-r38")).unwrap();
    // a short page: two events of the scope, the hub's head read at 20
    assert_eq!(c.apply_page(&[new_at(4), new_at(11)], 20, now()).unwrap(), 2);
    assert_eq!(c.last_seq().unwrap(), 20);
    // an empty short page moves it on to the head as well
    assert_eq!(c.apply_page(&[], 26, now()).unwrap(), 0);
    assert_eq!(c.last_seq().unwrap(), 26);
    // never back: a bound behind the position, or 0 (a full page), changes nothing
    c.apply_page(&[], 22, now()).unwrap();
    c.apply_page(&[], 0, now()).unwrap();
    assert_eq!(c.last_seq().unwrap(), 26);
    // events at or before the bound the cache moved to are already covered: skipped
    assert_eq!(c.apply_events(&[new_at(25)], now()).unwrap(), 0);
    // a page whose events pass its bound (read after the head) keeps the last event's seq
    c.apply_page(&[new_at(30)], 28, now()).unwrap();
    assert_eq!(c.last_seq().unwrap(), 30);
    assert_eq!(seqs(&c), vec![4, 11, 30]);

    // unscoped: the position moves only with the events applied
    let mut u = Cache::open_in_memory().unwrap();
    assert_eq!(u.apply_page(&[new_at(1)], 20, now()).unwrap(), 1);
    assert_eq!(u.last_seq().unwrap(), 1);
    u.apply_page(&[], 20, now()).unwrap();
    assert_eq!(u.last_seq().unwrap(), 1);
    assert_eq!(u.last_sync_at().unwrap(), Some(now()));
}
