//! The hub's refusals in the user's language. The hub answers in English (its words are also the API's and the
//! audit log's); the cockpit recognises the reasons the domain rules give and says them in zh-CN, keeping the
//! hub's own words for anything it does not know (never hiding a reason).

use citydeck_protocol::Stage;

use crate::i18n::{self, Lang};

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
