//! Refusals in the user's language. A refusal comes with a stable code and its arguments (`Refusal`): the
//! cockpit translates the code ([`i18n::refusal`]). Actions rejected before codes existed, and codes this build
//! does not know, carry only the hub's English words: those are shown as they are, except the old reasons of
//! the domain rules, recognised and said in zh-CN ([`hub_reason`]) — never hiding a reason.

use citydeck_protocol::ipc::{CommandError, OutboxEntry};
use citydeck_protocol::{Refusal, Stage};

use crate::i18n::{self, Lang};

/// A refusal from its `code` and `args`, else from the English `reason` alone.
pub fn coded(lang: Lang, code: Option<&str>, args: Option<&serde_json::Value>, reason: &str) -> String {
    match code.and_then(|c| Refusal::from_parts(c, args)) {
        Some(r) => i18n::refusal(lang, &r),
        None => hub_reason(lang, reason),
    }
}

/// Why an action of the outbox was rejected, in `lang` (None when it was not).
pub fn entry_reason(lang: Lang, entry: &OutboxEntry) -> Option<String> {
    let reason = entry.reason.as_deref();
    if entry.code.is_none() && reason.is_none() {
        return None;
    }
    Some(coded(
        lang,
        entry.code.as_deref(),
        entry.args.as_ref(),
        reason.unwrap_or_default(),
    ))
}

/// A failed call into the shell, in `lang`: a refusal translated from its code, anything else in its words.
pub fn ipc_error(lang: Lang, e: &crate::ipc::IpcError) -> String {
    match e {
        crate::ipc::IpcError::Refused(refused) => command_error(lang, refused),
        other => other.to_string(),
    }
}

/// A desktop command's failure, in `lang`.
pub fn command_error(lang: Lang, e: &CommandError) -> String {
    coded(lang, Some(&e.code), e.args.as_ref(), &e.message)
}

fn stage(lang: Lang, s: &str) -> String {
    Stage::ALL
        .into_iter()
        .find(|st| st.as_str() == s)
        .map(|st| i18n::stage_label(lang, st).to_string())
        .unwrap_or_else(|| s.to_string())
}

/// `reason` as the user should read it in `lang`.
pub fn hub_reason(lang: Lang, reason: &str) -> String {
    if lang == Lang::En {
        return reason.to_string();
    }
    let r = reason.trim();
    // conflict: the incident is now at stage X (you saw Y); it was changed meanwhile
    if let Some(rest) = r.strip_prefix("conflict: the incident is now at stage ") {
        if let Some((now, rest)) = rest.split_once(" (you saw ") {
            if let Some((saw, _)) = rest.split_once(')') {
                return format!(
                    "冲突：事件已被他人推进到「{}」（你看到的是「{}」）",
                    stage(lang, now),
                    stage(lang, saw)
                );
            }
        }
    }
    // stage change X → Y is not allowed
    if let Some(rest) = r.strip_prefix("stage change ") {
        if let Some((pair, _)) = rest.split_once(" is not allowed") {
            if let Some((from, to)) = pair.split_once(" → ") {
                return format!("不允许从「{}」推进到「{}」", stage(lang, from), stage(lang, to));
            }
        }
    }
    if r == "the incident was closed meanwhile" {
        return "冲突：事件已被他人结案".into();
    }
    if let Some(id) = r.strip_prefix("unknown incident ") {
        return format!("中心没有此事件（{id}）");
    }
    if r == "an incident with this id exists already" {
        return "中心已有相同编号的事件".into();
    }
    if let Some(rest) = r.strip_prefix("duplicate of incident ") {
        let id = rest.split_whitespace().next().unwrap_or_default();
        return format!("与中心已有事件重复（同一来源与编号：{id}）");
    }
    if let Some(rest) = r.strip_prefix("role ") {
        if let Some(role) = rest.strip_suffix(" may not do this") {
            return format!("角色「{role}」无权执行此操作");
        }
    }
    if r == "a note needs text or a photo reference" {
        return "备注需要文字或照片引用".into();
    }
    if let Some(n) = r
        .strip_prefix("a note is at most ")
        .and_then(|x| x.strip_suffix(" characters"))
    {
        return format!("备注最多 {n} 个字符");
    }
    if let Some(n) = r
        .strip_prefix("assignee must be 1-")
        .and_then(|x| x.strip_suffix(" characters"))
    {
        return format!("交办对象须为 1–{n} 个字符");
    }
    if let Some(rest) = r.strip_prefix("client_seq ") {
        if rest.contains(" is already used by op ") {
            return format!("本机操作序号冲突：{r}");
        }
    }
    format!("中心拒绝：{r}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_words_in_both_languages() {
        for r in Refusal::examples() {
            let zh = i18n::refusal(Lang::Zh, &r);
            let en = i18n::refusal(Lang::En, &r);
            assert!(!zh.is_empty() && !en.is_empty(), "{r:?}");
            assert_ne!(zh, en, "{r:?} is translated");
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{} in zh-CN: {zh}",
                r.code()
            );
        }
    }

    #[test]
    fn codes_are_translated_with_their_arguments() {
        let r = Refusal::StaleStage {
            current: Stage::Handling,
            seen: Stage::Assigned,
        };
        let e = CommandError::from(r.clone());
        let zh = command_error(Lang::Zh, &e);
        assert!(zh.starts_with("冲突"), "{zh}");
        assert!(zh.contains(i18n::stage_label(Lang::Zh, Stage::Handling)), "{zh}");
        assert!(zh.contains(i18n::stage_label(Lang::Zh, Stage::Assigned)), "{zh}");
        let en = command_error(Lang::En, &e);
        assert!(en.contains("Handling") && en.contains("Assigned"), "{en}");
        let forbidden = CommandError::from(Refusal::Forbidden {
            role: citydeck_protocol::Role::Leader,
        });
        assert_eq!(command_error(Lang::Zh, &forbidden), "角色「领导」无权执行此操作");
        let field = CommandError::from(Refusal::FieldTooLong {
            field: "op.title".into(),
            max: 200,
        });
        assert_eq!(command_error(Lang::Zh, &field), "「标题」最多 200 个字符");
    }

    #[test]
    fn without_a_known_code_the_words_are_shown() {
        // An action rejected before codes existed: its reason, recognised in zh-CN as before.
        assert_eq!(
            coded(Lang::Zh, None, None, "the incident was closed meanwhile"),
            "冲突：事件已被他人结案"
        );
        // A code from a newer hub: the hub's words.
        assert_eq!(
            coded(Lang::Zh, Some("drill_locked"), None, "drills are locked"),
            "中心拒绝：drills are locked"
        );
        assert_eq!(
            coded(Lang::En, Some("drill_locked"), None, "drills are locked"),
            "drills are locked"
        );
        // Arguments that do not fit the code: the words too.
        assert_eq!(
            coded(
                Lang::En,
                Some("stale_stage"),
                Some(&serde_json::json!({"current": 3})),
                "conflict: stale"
            ),
            "conflict: stale"
        );
    }

    #[test]
    fn known_reasons_in_chinese_with_their_stages() {
        let zh = Lang::Zh;
        let c = hub_reason(
            zh,
            "conflict: the incident is now at stage handling (you saw assigned); it was changed meanwhile",
        );
        assert!(c.starts_with("冲突"), "{c}");
        assert!(c.contains(i18n::stage_label(zh, Stage::Handling)), "{c}");
        assert!(c.contains(i18n::stage_label(zh, Stage::Assigned)), "{c}");
        let s = hub_reason(zh, "stage change closed → handling is not allowed");
        assert!(
            s.contains(i18n::stage_label(zh, Stage::Closed)) && s.starts_with("不允许"),
            "{s}"
        );
        assert_eq!(
            hub_reason(zh, "the incident was closed meanwhile"),
            "冲突：事件已被他人结案"
        );
        assert!(hub_reason(zh, "role leader may not do this").contains("leader"));
        assert_eq!(
            hub_reason(zh, "a note is at most 2000 characters"),
            "备注最多 2000 个字符"
        );
    }

    #[test]
    fn unknown_reasons_keep_the_hubs_words_and_english_is_untouched() {
        assert_eq!(hub_reason(Lang::Zh, "disk full"), "中心拒绝：disk full");
        let r =
            "conflict: the incident is now at stage handling (you saw assigned); it was changed meanwhile";
        assert_eq!(hub_reason(Lang::En, r), r);
        // A malformed conflict text falls back to the hub's words rather than a half translation.
        assert_eq!(
            hub_reason(Lang::Zh, "conflict: the incident is now at stage"),
            "中心拒绝：conflict: the incident is now at stage"
        );
    }
}
