//! Every user-visible string of the cockpit. zh-CN is the default; English is switchable and persisted in
//! `localStorage` under [`STORAGE_KEY`].

use citydeck_protocol::{Grade, IncidentClass, Stage};

pub const STORAGE_KEY: &str = "citydeck.lang";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "zh-CN" | "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The choice stored in `localStorage`, or zh-CN.
    pub fn load() -> Self {
        web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
            .and_then(|v| Lang::parse(&v))
            .unwrap_or_default()
    }

    pub fn store(self) {
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(STORAGE_KEY, self.code());
        }
    }
}

/// Fixed strings. Parametrised texts are the functions below.
pub struct Strings {
    pub product: &'static str,
    pub product_sub: &'static str,
    pub mode_peacetime: &'static str,
    pub mode_wartime: &'static str,
    pub conn_connecting: &'static str,
    pub conn_online: &'static str,
    pub data_age: &'static str,
    pub never: &'static str,
    pub lang_switch_title: &'static str,
    pub panel_overview: &'static str,
    pub open_total: &'static str,
    pub last_hour: &'static str,
    pub unit_items: &'static str,
    pub panel_by_grade: &'static str,
    pub panel_by_class: &'static str,
    pub panel_by_stage: &'static str,
    pub panel_feed: &'static str,
    pub feed_empty: &'static str,
    pub map_title: &'static str,
    pub map_placeholder_note: &'static str,
    pub map_legend: &'static str,
    pub stale_banner: &'static str,
    pub loading: &'static str,
    pub err_no_shell_title: &'static str,
    pub err_no_shell_body: &'static str,
    pub err_fetch_title: &'static str,
    pub hub: &'static str,
    pub last_seq: &'static str,
    pub generated_at: &'static str,
    pub incidents_shown: &'static str,
    pub source: &'static str,
}

static ZH: Strings = Strings {
    product: "城市大脑 · 运行指挥驾驶舱",
    product_sub: "City Brain Command Cockpit",
    mode_peacetime: "平时",
    mode_wartime: "战时",
    conn_connecting: "连接中",
    conn_online: "在线",
    data_age: "数据时效",
    never: "—",
    lang_switch_title: "切换语言",
    panel_overview: "事件总览",
    open_total: "在办事件",
    last_hour: "近 1 小时新增",
    unit_items: "件",
    panel_by_grade: "事件分级",
    panel_by_class: "事件分类",
    panel_by_stage: "闭环处置环节",
    panel_feed: "实时事件流",
    feed_empty: "暂无在办事件",
    map_title: "城市运行态势",
    map_placeholder_note: "底图加载中 · 事件按经纬度示意",
    map_legend: "事件等级",
    stale_banner: "与中枢连接中断 · 当前为本地缓存数据",
    loading: "正在读取本地缓存…",
    err_no_shell_title: "未连接桌面外壳",
    err_no_shell_body: "未检测到 window.__TAURI__，驾驶舱需在 citydeck 桌面程序中运行。",
    err_fetch_title: "读取驾驶舱数据失败",
    hub: "中枢",
    last_seq: "序号",
    generated_at: "快照时间",
    incidents_shown: "条",
    source: "来源",
};

static EN: Strings = Strings {
    product: "City Brain · Command Cockpit",
    product_sub: "城市大脑 运行指挥驾驶舱",
    mode_peacetime: "Peacetime",
    mode_wartime: "Wartime",
    conn_connecting: "Connecting",
    conn_online: "Online",
    data_age: "Data age",
    never: "—",
    lang_switch_title: "Switch language",
    panel_overview: "Overview",
    open_total: "Open incidents",
    last_hour: "New in last hour",
    unit_items: "",
    panel_by_grade: "By grade",
    panel_by_class: "By class",
    panel_by_stage: "Closed-loop stage",
    panel_feed: "Live incident feed",
    feed_empty: "No open incidents",
    map_title: "City situation",
    map_placeholder_note: "Basemap pending · incidents placed by lon/lat",
    map_legend: "Grade",
    stale_banner: "Link to hub lost · showing cached data",
    loading: "Reading local cache…",
    err_no_shell_title: "Desktop shell not connected",
    err_no_shell_body: "window.__TAURI__ is missing; the cockpit must run inside the citydeck desktop app.",
    err_fetch_title: "Could not read cockpit data",
    hub: "Hub",
    last_seq: "Seq",
    generated_at: "Snapshot",
    incidents_shown: "shown",
    source: "Source",
};

pub fn t(lang: Lang) -> &'static Strings {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

pub fn class_label(lang: Lang, class: IncidentClass) -> &'static str {
    match (lang, class) {
        (Lang::Zh, IncidentClass::NaturalDisaster) => "自然灾害",
        (Lang::Zh, IncidentClass::Accident) => "事故灾难",
        (Lang::Zh, IncidentClass::PublicHealth) => "公共卫生",
        (Lang::Zh, IncidentClass::SocialSecurity) => "社会安全",
        (Lang::En, IncidentClass::NaturalDisaster) => "Natural disaster",
        (Lang::En, IncidentClass::Accident) => "Accident",
        (Lang::En, IncidentClass::PublicHealth) => "Public health",
        (Lang::En, IncidentClass::SocialSecurity) => "Social security",
    }
}

/// Short grade mark for badges: "Ⅰ级" / "I".
pub fn grade_short(lang: Lang, grade: Grade) -> &'static str {
    match (lang, grade) {
        (Lang::Zh, Grade::I) => "Ⅰ级",
        (Lang::Zh, Grade::II) => "Ⅱ级",
        (Lang::Zh, Grade::III) => "Ⅲ级",
        (Lang::Zh, Grade::IV) => "Ⅳ级",
        (Lang::En, Grade::I) => "I",
        (Lang::En, Grade::II) => "II",
        (Lang::En, Grade::III) => "III",
        (Lang::En, Grade::IV) => "IV",
    }
}

/// Severity word of a grade: "特别重大" / "Critical".
pub fn grade_name(lang: Lang, grade: Grade) -> &'static str {
    match (lang, grade) {
        (Lang::Zh, Grade::I) => "特别重大",
        (Lang::Zh, Grade::II) => "重大",
        (Lang::Zh, Grade::III) => "较大",
        (Lang::Zh, Grade::IV) => "一般",
        (Lang::En, Grade::I) => "Critical",
        (Lang::En, Grade::II) => "Severe",
        (Lang::En, Grade::III) => "Major",
        (Lang::En, Grade::IV) => "General",
    }
}

/// Full grade label: "Ⅰ级 特别重大" / "Grade I · Extremely severe".
pub fn grade_label(lang: Lang, grade: Grade) -> String {
    match lang {
        Lang::Zh => format!("{} {}", grade_short(lang, grade), grade_name(lang, grade)),
        Lang::En => format!("Grade {} · {}", grade_short(lang, grade), grade_name(lang, grade)),
    }
}

pub fn stage_label(lang: Lang, stage: Stage) -> &'static str {
    match (lang, stage) {
        (Lang::Zh, Stage::Collected) => "采集",
        (Lang::Zh, Stage::Identified) => "识别",
        (Lang::Zh, Stage::Assigned) => "交办",
        (Lang::Zh, Stage::Handling) => "处置",
        (Lang::Zh, Stage::Feedback) => "反馈",
        (Lang::Zh, Stage::Supervised) => "督办",
        (Lang::Zh, Stage::Closed) => "结案",
        (Lang::En, Stage::Collected) => "Collected",
        (Lang::En, Stage::Identified) => "Identified",
        (Lang::En, Stage::Assigned) => "Assigned",
        (Lang::En, Stage::Handling) => "Handling",
        (Lang::En, Stage::Feedback) => "Feedback",
        (Lang::En, Stage::Supervised) => "Supervised",
        (Lang::En, Stage::Closed) => "Closed",
    }
}

const WEEKDAYS_ZH: [&str; 7] = [
    "星期日",
    "星期一",
    "星期二",
    "星期三",
    "星期四",
    "星期五",
    "星期六",
];
const WEEKDAYS_EN: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

pub fn weekday(lang: Lang, day: u32) -> &'static str {
    let i = (day as usize) % 7;
    match lang {
        Lang::Zh => WEEKDAYS_ZH[i],
        Lang::En => WEEKDAYS_EN[i],
    }
}

/// "2 分钟前" / "2 min ago" for an age in whole seconds.
pub fn age_ago(lang: Lang, secs: i64) -> String {
    let secs = secs.max(0);
    match lang {
        Lang::Zh => match secs {
            0..=9 => "刚刚".to_string(),
            10..=59 => format!("{secs} 秒前"),
            60..=3599 => format!("{} 分钟前", secs / 60),
            3600..=86399 => format!("{} 小时前", secs / 3600),
            _ => format!("{} 天前", secs / 86400),
        },
        Lang::En => match secs {
            0..=9 => "just now".to_string(),
            10..=59 => format!("{secs} s ago"),
            60..=3599 => format!("{} min ago", secs / 60),
            3600..=86399 => format!("{} h ago", secs / 3600),
            _ => format!("{} d ago", secs / 86400),
        },
    }
}

/// Compact duration for the data-age badge: "3 s", "2 min", "1 h" (SI-style units in both languages, as on the
/// hall's other wall displays: "数据时效 3 s").
pub fn duration_short(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min", secs / 60),
        3600..=86399 => format!("{} h", secs / 3600),
        _ => format!("{} d", secs / 86400),
    }
}

pub fn conn_reconnecting(lang: Lang, attempt: u32) -> String {
    match lang {
        Lang::Zh => format!("重连中 · 第 {attempt} 次"),
        Lang::En => format!("Reconnecting · attempt {attempt}"),
    }
}

/// `since` is an already formatted local time, or None when the cockpit has not been online this run.
pub fn conn_offline(lang: Lang, since: Option<&str>) -> String {
    match (lang, since) {
        (Lang::Zh, Some(s)) => format!("离线 · 自 {s} 起"),
        (Lang::Zh, None) => "离线".to_string(),
        (Lang::En, Some(s)) => format!("Offline since {s}"),
        (Lang::En, None) => "Offline".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_naturally() {
        assert_eq!(age_ago(Lang::Zh, 125), "2 分钟前");
        assert_eq!(age_ago(Lang::En, 125), "2 min ago");
        assert_eq!(age_ago(Lang::En, -5), "just now");
        assert_eq!(duration_short(3), "3 s");
        assert_eq!(duration_short(150), "2 min");
    }

    #[test]
    fn grade_labels() {
        assert_eq!(grade_label(Lang::Zh, Grade::I), "Ⅰ级 特别重大");
        assert_eq!(grade_label(Lang::Zh, Grade::IV), "Ⅳ级 一般");
    }

    #[test]
    fn lang_codes_round_trip() {
        for l in [Lang::Zh, Lang::En] {
            assert_eq!(Lang::parse(l.code()), Some(l));
        }
    }
}
