//! The outbox's actions in words: what an action does, with its incident, and the state chip of an entry.

use std::collections::HashMap;

use citydeck_protocol::ipc::{OutboxEntry, OutboxState};
use citydeck_protocol::Op;
use uuid::Uuid;

use crate::i18n::{self, action_strings, Lang};
use crate::overlay::subject;

/// "0192f3a1" — how an incident without a known title is named.
pub fn short_id(id: Uuid) -> String {
    id.simple().to_string().chars().take(8).collect()
}

/// What the action does, without the incident: "添加备注", "推进环节 处置→反馈", "交办 消防救援支队".
pub fn op_label(lang: Lang, op: &Op) -> String {
    let s = action_strings(lang);
    match op {
        Op::CreateIncident { .. } => s.op_create.to_string(),
        Op::ChangeStage { from, to: target, .. } => {
            let to_l = i18n::stage_label(lang, *target);
            match from {
                Some(f) => format!("{} {} → {}", s.op_stage, i18n::stage_label(lang, *f), to_l),
                None => format!("{} → {}", s.op_stage, to_l),
            }
        }
        Op::AddNote { photo_ref, .. } => {
            if photo_ref.as_deref().is_some_and(|p| !p.trim().is_empty()) {
                s.op_note_photo.to_string()
            } else {
                s.op_note.to_string()
            }
        }
        Op::Acknowledge { .. } => s.op_ack.to_string(),
        Op::Assign { assignee, .. } => format!("{} {}", s.op_assign, assignee.trim()),
        Op::Evaluate { rating, .. } => {
            format!("{} {}", s.op_evaluate, "★".repeat(usize::from(*rating).min(5)))
        }
        Op::Verify { .. } => s.op_verify.to_string(),
        Op::SplitReport { report, .. } => format!("{} #{report}", s.op_split),
    }
}

/// The action in words with its incident: "添加备注 · Kamppi 地铁站火灾". `title` is the incident's title when
/// known (a new incident names itself).
pub fn describe_op(lang: Lang, op: &Op, title: Option<&str>) -> String {
    let name = match op {
        Op::CreateIncident { incident, .. } => incident.title.clone(),
        other => match (title, subject(other)) {
            (Some(t), _) => t.to_string(),
            (None, Some(id)) => format!("{} {}", action_strings(lang).incident_word, short_id(id)),
            (None, None) => String::new(),
        },
    };
    format!("{} · {name}", op_label(lang, op))
}

/// [`describe_op`] with the title from the session's title cache.
pub fn describe_entry(lang: Lang, entry: &OutboxEntry, titles: &HashMap<Uuid, String>) -> String {
    let title = subject(&entry.op)
        .and_then(|id| titles.get(&id))
        .map(String::as_str);
    describe_op(lang, &entry.op, title)
}

/// `data-state` and label of an outbox entry's chip.
pub fn state_key(state: OutboxState) -> &'static str {
    match state {
        OutboxState::Pending => "pending",
        OutboxState::Applied => "applied",
        OutboxState::Rejected => "rejected",
        OutboxState::Dropped => "dropped",
    }
}

pub fn state_label(lang: Lang, state: OutboxState) -> &'static str {
    let s = action_strings(lang);
    match state {
        OutboxState::Pending => s.chip_pending,
        OutboxState::Applied => s.chip_applied,
        OutboxState::Rejected => s.chip_rejected,
        OutboxState::Dropped => s.chip_dropped,
    }
}

/// `data-kind` of an action.
pub fn op_kind(op: &Op) -> &'static str {
    match op {
        Op::CreateIncident { .. } => "create_incident",
        Op::ChangeStage { .. } => "change_stage",
        Op::AddNote { .. } => "add_note",
        Op::Acknowledge { .. } => "acknowledge",
        Op::Assign { .. } => "assign",
        Op::Evaluate { .. } => "evaluate",
        Op::Verify { .. } => "verify",
        Op::SplitReport { .. } => "split_report",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::outbox::*;
    use citydeck_protocol::Stage;

    #[test]
    fn actions_read_as_words() {
        let t = Some("Kamppi 地铁站火灾");
        assert_eq!(
            describe_op(Lang::Zh, &note(1, "现场已封控", None), t),
            "添加备注 · Kamppi 地铁站火灾"
        );
        assert_eq!(
            describe_op(Lang::Zh, &note(1, "", Some("IMG_1.jpg")), t),
            "添加备注（附照片） · Kamppi 地铁站火灾"
        );
        assert_eq!(
            describe_op(Lang::Zh, &stage(1, Some(Stage::Handling), Stage::Feedback), t),
            "推进环节 处置 → 反馈 · Kamppi 地铁站火灾"
        );
        assert_eq!(
            describe_op(Lang::En, &stage(1, None, Stage::Closed), t),
            "Stage → Closed · Kamppi 地铁站火灾"
        );
        let assign = Op::Assign {
            incident_id: Uuid::from_u128(1),
            assignee: " 消防救援支队 ".into(),
            department: None,
        };
        assert_eq!(
            describe_op(Lang::Zh, &assign, t),
            "交办 消防救援支队 · Kamppi 地铁站火灾"
        );
        let ack = Op::Acknowledge {
            incident_id: Uuid::from_u128(0xabcdef12_0000_0000_0000_000000000000),
        };
        assert_eq!(
            describe_op(Lang::En, &ack, None),
            "Acknowledge · incident abcdef12"
        );
        assert_eq!(
            describe_op(Lang::Zh, &create(9, "Hakaniemi 积水"), None),
            "上报事件 · Hakaniemi 积水"
        );
        let mut titles = HashMap::new();
        titles.insert(Uuid::from_u128(1), "Kallio 起火".to_string());
        assert_eq!(
            describe_entry(
                Lang::Zh,
                &entry(
                    1,
                    Op::Acknowledge {
                        incident_id: Uuid::from_u128(1)
                    }
                ),
                &titles
            ),
            "确认 · Kallio 起火"
        );
    }
}
