//! Every user-visible string of the cockpit. zh-CN is the default; English is switchable and persisted in
//! `localStorage` under [`STORAGE_KEY`].

use citydeck_protocol::{Grade, IncidentClass, Refusal, Role, Stage};

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

    /// The choice saved earlier ([`crate::ipc::saved_setting`]), or zh-CN.
    pub fn load() -> Self {
        crate::ipc::saved_setting(STORAGE_KEY)
            .and_then(|v| Lang::parse(&v))
            .unwrap_or_default()
    }

    /// Keep this choice for the next start.
    pub fn save(self) {
        crate::ipc::save_setting(STORAGE_KEY, self.code());
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
    pub schematic_note: &'static str,
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
    schematic_note: "底图加载中 · 事件按经纬度示意",
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
    schematic_note: "Basemap pending · incidents placed by lon/lat",
    map_legend: "Grade",
    stale_banner: "Link to hub lost · showing cached data",
    loading: "Reading local cache…",
    err_no_shell_title: "Desktop shell not connected",
    err_no_shell_body: "window.__TAURI__ is missing; the cockpit must run inside the citydeck desktop app.",
    err_fetch_title: "Could not read cockpit data",
    hub: "Hub",
    last_seq: "Seq",
    generated_at: "Snapshot",
    incidents_shown: "open",
    source: "Source",
};

pub fn cockpit_strings(lang: Lang) -> &'static Strings {
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
/// The feed's pill while the operator reads further down: incidents reported since, held back above.
pub fn feed_held(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Zh => format!("↑ {n} 起新事件 · 回到最新"),
        Lang::En => format!("↑ {n} new · back to newest"),
    }
}

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

// ───────────────────────── wartime layout (issue 7, 平战转换) ─────────────────────────
// Strings of the wartime banner, response clock, command chain, task board, nearby resources and the exercise
// (drill) marks. Kept together in this block; `wartime_strings(lang)` is their `cockpit_strings(lang)`.

/// Fixed strings of the wartime layout.
pub struct WarStrings {
    pub started: &'static str,
    pub elapsed: &'static str,
    pub commander: &'static str,
    pub confirmed_by: &'static str,
    pub not_confirmed: &'static str,
    pub panel_clock: &'static str,
    pub panel_chain: &'static str,
    pub no_level: &'static str,
    pub overdue: &'static str,
    pub limit: &'static str,
    pub due_at: &'static str,
    pub chain_screens: &'static str,
    pub chain_waiting: &'static str,
    pub chain_all_acked: &'static str,
    pub chain_reason: &'static str,
    pub chain_started: &'static str,
    pub chain_this_screen: &'static str,
    pub panel_board: &'static str,
    pub board_unassigned: &'static str,
    pub board_trigger: &'static str,
    pub nearby_title: &'static str,
    pub nearby_empty: &'static str,
    pub no_focus_title: &'static str,
    pub no_focus_body: &'static str,
    pub map_focus_title: &'static str,
    pub legend_focus: &'static str,
    pub legend_rescue: &'static str,
    pub legend_medical: &'static str,
    pub legend_shelter: &'static str,
    pub legend_other: &'static str,
    pub legend_rings: &'static str,
    pub exercise_strip: &'static str,
    pub exercise_strip_sub: &'static str,
}

static WAR_ZH: WarStrings = WarStrings {
    started: "启动",
    elapsed: "已持续",
    commander: "指挥长",
    confirmed_by: "确认",
    not_confirmed: "未确认",
    panel_clock: "响应时限",
    panel_chain: "指挥链路",
    no_level: "未设定响应级别",
    overdue: "已超时",
    limit: "时限",
    due_at: "截止",
    chain_screens: "屏幕确认",
    chain_waiting: "未确认",
    chain_all_acked: "全部已确认",
    chain_reason: "触发原因",
    chain_started: "启动时间",
    chain_this_screen: "本屏",
    panel_board: "任务看板",
    board_unassigned: "待分派",
    board_trigger: "触发事件",
    nearby_title: "周边应急资源",
    nearby_empty: "周边暂无可调用资源",
    no_focus_title: "未指定触发事件",
    no_focus_body: "本次切换未关联事件，无法定位事发地与周边资源",
    map_focus_title: "事发地周边态势",
    legend_focus: "事发点",
    legend_rescue: "救援力量",
    legend_medical: "医疗资源",
    legend_shelter: "避难安置",
    legend_other: "其他事件",
    legend_rings: "范围圈",
    exercise_strip: "演习 EXERCISE",
    exercise_strip_sub: "非真实事件 · 演练数据与实战数据隔离",
};

static WAR_EN: WarStrings = WarStrings {
    started: "Started",
    elapsed: "Elapsed",
    commander: "Commander",
    confirmed_by: "Confirmed by",
    not_confirmed: "not confirmed",
    panel_clock: "Response deadlines",
    panel_chain: "Command chain",
    no_level: "No response level set",
    overdue: "Overdue",
    limit: "Limit",
    due_at: "due",
    chain_screens: "Screens acked",
    chain_waiting: "waiting for",
    chain_all_acked: "all acknowledged",
    chain_reason: "Trigger",
    chain_started: "Started at",
    chain_this_screen: "This screen",
    panel_board: "Task board",
    board_unassigned: "To dispatch",
    board_trigger: "Trigger",
    nearby_title: "Nearby resources",
    nearby_empty: "No resources nearby",
    no_focus_title: "No triggering incident set",
    no_focus_body: "The switch named no incident: the scene and its nearby resources cannot be located",
    map_focus_title: "Incident area",
    legend_focus: "Incident",
    legend_rescue: "Rescue",
    legend_medical: "Medical",
    legend_shelter: "Shelter",
    legend_other: "Other incidents",
    legend_rings: "Range rings",
    exercise_strip: "EXERCISE 演习",
    exercise_strip_sub: "Not a real event · drill data kept apart from live data",
};

pub fn wartime_strings(lang: Lang) -> &'static WarStrings {
    match lang {
        Lang::Zh => &WAR_ZH,
        Lang::En => &WAR_EN,
    }
}

/// "Ⅰ级响应" / "Level I response".
pub fn level_response(lang: Lang, grade: Grade) -> String {
    match lang {
        Lang::Zh => format!("{}响应", grade_short(lang, grade)),
        Lang::En => format!("Level {} response", grade_short(lang, grade)),
    }
}

/// Label of a response deadline by its id (`citydeck_domain::Deadline::id`); unknown ids show as they are.
pub fn deadline_label(lang: Lang, id: &str) -> &str {
    match (lang, id) {
        (Lang::Zh, "first_report") => "首报",
        (Lang::Zh, "written_report") => "书面报告",
        (Lang::Zh, "command_post") => "现场指挥部开设",
        (Lang::Zh, "follow_up") => "续报",
        (Lang::Zh, "info_release") => "权威信息发布",
        (Lang::Zh, "press_conference") => "新闻发布会",
        (Lang::En, "first_report") => "First report",
        (Lang::En, "written_report") => "Written report",
        (Lang::En, "command_post") => "Field command post",
        (Lang::En, "follow_up") => "Follow-up report",
        (Lang::En, "info_release") => "Official information",
        (Lang::En, "press_conference") => "Press conference",
        (_, other) => other,
    }
}

/// Which occurrence of a recurring deadline: "第2次" / "#2".
pub fn occurrence(lang: Lang, n: u32) -> String {
    match lang {
        Lang::Zh => format!("第{n}次"),
        Lang::En => format!("#{n}"),
    }
}

/// A deadline's allowance: "30 分钟", "1 小时", "24 小时" / "30 min", "1 h".
pub fn minutes_label(lang: Lang, min: u32) -> String {
    match (lang, min.is_multiple_of(60) && min >= 60) {
        (Lang::Zh, true) => format!("{} 小时", min / 60),
        (Lang::Zh, false) => format!("{min} 分钟"),
        (Lang::En, true) => format!("{} h", min / 60),
        (Lang::En, false) => format!("{min} min"),
    }
}

/// Kind of a nearby response resource (`NearbyResource::kind`); unknown kinds show as they are.
pub fn resource_kind(lang: Lang, kind: &str) -> &str {
    match (lang, kind) {
        (Lang::Zh, "fire_station") => "消防站",
        (Lang::Zh, "police_station") => "派出所",
        (Lang::Zh, "hospital") => "医院",
        (Lang::Zh, "clinic") => "诊所",
        (Lang::Zh, "pharmacy") => "药店",
        (Lang::Zh, "metro_station") => "地铁站（人防）",
        (Lang::Zh, "railway_station") => "火车站",
        (Lang::Zh, "park") => "公园（避难场所）",
        (Lang::Zh, "square") => "广场（集结点）",
        (Lang::Zh, "school") => "学校（安置点）",
        (Lang::En, "fire_station") => "Fire station",
        (Lang::En, "police_station") => "Police station",
        (Lang::En, "hospital") => "Hospital",
        (Lang::En, "clinic") => "Clinic",
        (Lang::En, "pharmacy") => "Pharmacy",
        (Lang::En, "metro_station") => "Metro (civil defence)",
        (Lang::En, "railway_station") => "Railway station",
        (Lang::En, "park") => "Park (shelter area)",
        (Lang::En, "square") => "Square (assembly point)",
        (Lang::En, "school") => "School (shelter)",
        (_, other) => other,
    }
}

/// Rough travel time at 30 km/h: "约 3 分钟" / "~3 min".
pub fn eta(lang: Lang, minutes: u32) -> String {
    match lang {
        Lang::Zh => format!("约 {minutes} 分钟"),
        Lang::En => format!("~{minutes} min"),
    }
}

/// Distance: "320 m", "1.4 km" (SI units in both languages).
pub fn distance(m: f64) -> String {
    let m = m.max(0.0);
    if m < 950.0 {
        format!("{:.0} m", (m / 10.0).round() * 10.0)
    } else {
        format!("{:.1} km", m / 1000.0)
    }
}

// ───────────────────────── end of the wartime layout block ─────────────────────────

// ───────────────────────── offline actions (issue 6) ─────────────────────────
// Strings of the incident detail panel, the report form, the outbox badge and drawer and the conflict view;
// `action_strings(lang)` is their `cockpit_strings(lang)`.

/// Fixed strings of the offline actions.
pub struct ActionStrings {
    pub detail_title: &'static str,
    pub close: &'static str,
    pub chip_pending: &'static str,
    pub chip_applied: &'static str,
    pub chip_rejected: &'static str,
    pub chip_dropped: &'static str,
    pub unconfirmed: &'static str,
    pub unconfirmed_short: &'static str,
    pub this_desktop: &'static str,
    pub gone: &'static str,
    pub readonly: &'static str,
    pub not_signed_in: &'static str,
    pub f_stage: &'static str,
    pub f_location: &'static str,
    pub f_address: &'static str,
    pub f_occurred: &'static str,
    pub f_created: &'static str,
    pub f_updated: &'static str,
    pub f_assignee: &'static str,
    pub f_acked: &'static str,
    pub f_description: &'static str,
    pub f_version: &'static str,
    pub f_title: &'static str,
    pub f_class: &'static str,
    pub f_grade: &'static str,
    pub unassigned: &'static str,
    pub none: &'static str,
    pub notes: &'static str,
    pub no_notes: &'static str,
    pub photo: &'static str,
    pub last_note: &'static str,
    pub local_ops: &'static str,
    pub no_next: &'static str,
    pub ack: &'static str,
    pub acked: &'static str,
    pub next_stage: &'static str,
    pub assign: &'static str,
    pub assign_placeholder: &'static str,
    pub add_note: &'static str,
    pub note_placeholder: &'static str,
    pub photo_placeholder: &'static str,
    pub err_assignee: &'static str,
    pub err_note: &'static str,
    pub saved: &'static str,
    pub sending: &'static str,
    pub new_button: &'static str,
    pub new_title: &'static str,
    pub title_placeholder: &'static str,
    pub address_placeholder: &'static str,
    pub city_centre: &'static str,
    pub pick_hint: &'static str,
    pub picked_hint: &'static str,
    pub cancel: &'static str,
    pub submit_report: &'static str,
    pub form_offline: &'static str,
    pub op_create: &'static str,
    pub op_stage: &'static str,
    pub op_note: &'static str,
    pub op_note_photo: &'static str,
    pub op_ack: &'static str,
    pub op_assign: &'static str,
    pub op_evaluate: &'static str,
    pub op_verify: &'static str,
    pub op_split: &'static str,
    pub incident_word: &'static str,
    pub badge_pending: &'static str,
    pub badge_rejected: &'static str,
    pub outbox_title: &'static str,
    pub drawer_offline: &'static str,
    pub conflicts_title: &'static str,
    pub queue_title: &'static str,
    pub outbox_empty: &'static str,
    pub outbox_footer: &'static str,
    pub conflict_yours: &'static str,
    pub conflict_hub: &'static str,
    pub conflict_unknown: &'static str,
    pub conflict_reapply: &'static str,
    pub conflict_drop: &'static str,
}

static OFFLINE_ZH: ActionStrings = ActionStrings {
    detail_title: "事件详情",
    close: "关闭（Esc）",
    chip_pending: "待同步",
    chip_applied: "已同步",
    chip_rejected: "已被拒",
    chip_dropped: "已放弃",
    unconfirmed: "本机新建 · 待中枢确认",
    unconfirmed_short: "本机新建",
    this_desktop: "本机",
    gone: "该事件已不在在办列表（可能已结案），显示的是最后已知状态",
    readonly: "只读：当前账号仅可查看，不能处置",
    not_signed_in: "尚未连上中枢确认身份：操作照常保存在本机，同步时由中枢校验权限",
    f_stage: "环节",
    f_location: "位置",
    f_address: "地址",
    f_occurred: "发生时间",
    f_created: "创建",
    f_updated: "更新",
    f_assignee: "交办对象",
    f_acked: "已确认",
    f_description: "描述",
    f_version: "版本",
    f_title: "事件标题",
    f_class: "事件分类",
    f_grade: "事件等级",
    unassigned: "未交办",
    none: "无",
    notes: "现场备注",
    no_notes: "暂无备注",
    photo: "照片",
    last_note: "最近备注",
    local_ops: "本机操作",
    no_next: "已结案，无后续环节",
    ack: "确认",
    acked: "已确认",
    next_stage: "下一环节",
    assign: "交办",
    assign_placeholder: "交办对象，如 消防救援支队",
    add_note: "添加备注",
    note_placeholder: "现场情况、处置进展…",
    photo_placeholder: "照片编号或文件名（可选）",
    err_assignee: "请填写交办对象",
    err_note: "请填写备注内容或照片编号",
    saved: "已保存在本机，待同步",
    sending: "保存中…",
    new_button: "＋ 上报事件",
    new_title: "上报事件",
    title_placeholder: "地点 + 事件，如 Hakaniemi 地下通道积水",
    address_placeholder: "街道门牌或地名（可选）",
    city_centre: "城市中心",
    pick_hint: "点击地图可选取事发位置",
    picked_hint: "已从地图选取位置 · 再次点击地图可修改",
    cancel: "取消",
    submit_report: "保存并上报",
    form_offline: "当前离线：事件先保存在本机，恢复连接后自动上报",
    op_create: "上报事件",
    op_stage: "推进环节",
    op_note: "添加备注",
    op_note_photo: "添加备注（附照片）",
    op_ack: "确认",
    op_assign: "交办",
    op_evaluate: "评估反馈",
    op_verify: "核实",
    op_split: "拆出报告",
    incident_word: "事件",
    badge_pending: "待同步",
    badge_rejected: "被拒",
    outbox_title: "本机操作队列",
    drawer_offline: "当前离线：操作已保存在本机，恢复连接后按顺序自动同步",
    conflicts_title: "冲突 · 需要处理",
    queue_title: "待同步与被拒操作",
    outbox_empty: "所有操作均已同步",
    outbox_footer: "操作先写入本机，恢复连接后按顺序推送，中枢对每条操作只执行一次。",
    conflict_yours: "你的操作",
    conflict_hub: "中心现状",
    conflict_unknown: "本机尚未收到该事件的最新状态",
    conflict_reapply: "重新提交",
    conflict_drop: "放弃",
};

static OFFLINE_EN: ActionStrings = ActionStrings {
    detail_title: "Incident details",
    close: "Close (Esc)",
    chip_pending: "Pending",
    chip_applied: "Synced",
    chip_rejected: "Rejected",
    chip_dropped: "Dropped",
    unconfirmed: "Created here · awaiting the hub",
    unconfirmed_short: "New here",
    this_desktop: "this desktop",
    gone: "No longer among the open incidents (probably closed): last known state",
    readonly: "Read-only: this account can view, not act",
    not_signed_in:
        "Not signed in to the hub yet: actions are saved here and the hub checks the role when they sync",
    f_stage: "Stage",
    f_location: "Location",
    f_address: "Address",
    f_occurred: "Occurred",
    f_created: "Created",
    f_updated: "Updated",
    f_assignee: "Assignee",
    f_acked: "Acknowledged by",
    f_description: "Description",
    f_version: "Version",
    f_title: "Title",
    f_class: "Class",
    f_grade: "Grade",
    unassigned: "not assigned",
    none: "none",
    notes: "Notes",
    no_notes: "No notes yet",
    photo: "Photo",
    last_note: "Last note",
    local_ops: "Actions from this desktop",
    no_next: "Closed: no further stage",
    ack: "Acknowledge",
    acked: "Acknowledged",
    next_stage: "Next stage",
    assign: "Assign",
    assign_placeholder: "Assignee, e.g. Fire & Rescue",
    add_note: "Add note",
    note_placeholder: "What is happening, what was done…",
    photo_placeholder: "Photo reference (optional)",
    err_assignee: "Name who to assign it to",
    err_note: "Write a note or give a photo reference",
    saved: "Saved on this desktop, pending sync",
    sending: "Saving…",
    new_button: "＋ Report incident",
    new_title: "Report an incident",
    title_placeholder: "Place + what, e.g. Hakaniemi underpass flooded",
    address_placeholder: "Street address or place (optional)",
    city_centre: "City centre",
    pick_hint: "Click the map to pick the location",
    picked_hint: "Location picked on the map · click again to change",
    cancel: "Cancel",
    submit_report: "Save & report",
    form_offline: "Offline: the report is saved here and sent when the link is back",
    op_create: "Report incident",
    op_stage: "Stage",
    op_note: "Add note",
    op_note_photo: "Add note (with photo)",
    op_ack: "Acknowledge",
    op_assign: "Assign to",
    op_evaluate: "Evaluate handling",
    op_verify: "Verify",
    op_split: "Split out report",
    incident_word: "incident",
    badge_pending: "Pending",
    badge_rejected: "Rejected",
    outbox_title: "Outbox",
    drawer_offline: "Offline: actions are kept here and sent in order when the link is back",
    conflicts_title: "Conflicts · your decision",
    queue_title: "Pending and rejected actions",
    outbox_empty: "Everything is synced",
    outbox_footer: "Actions are written here first and pushed in order; the hub applies each exactly once.",
    conflict_yours: "Your action",
    conflict_hub: "At the hub now",
    conflict_unknown: "This desktop has not received the incident's current state",
    conflict_reapply: "Submit again",
    conflict_drop: "Drop",
};

pub fn action_strings(lang: Lang) -> &'static ActionStrings {
    match lang {
        Lang::Zh => &OFFLINE_ZH,
        Lang::En => &OFFLINE_EN,
    }
}

/// The offline banner's second line: actions keep working and wait in the outbox.
pub fn offline_actions(lang: Lang, pending: u64) -> String {
    match (lang, pending) {
        (Lang::Zh, 0) => "离线：操作将保存在本机，恢复连接后自动同步".to_string(),
        (Lang::Zh, n) => format!("离线：操作将保存在本机，恢复连接后自动同步（待同步 {n} 条）"),
        (Lang::En, 0) => "Offline: actions are saved here and sync when the link is back".to_string(),
        (Lang::En, n) => {
            format!("Offline: actions are saved here and sync when the link is back ({n} pending)")
        }
    }
}

/// A field over the hub's length limit.
pub fn too_long(lang: Lang, max: usize) -> String {
    match lang {
        Lang::Zh => format!("不能超过 {max} 个字符"),
        Lang::En => format!("at most {max} characters"),
    }
}

/// More open actions than the drawer lists.
pub fn outbox_unlisted(lang: Lang, n: u64) -> String {
    match lang {
        Lang::Zh => format!("另有 {n} 条未列出"),
        Lang::En => format!("{n} more not listed"),
    }
}

// ───────────────────────── end of the offline actions block ─────────────────────────

/// Strings of the interactive map (layer switcher, legend, tooltips).
pub struct MapStrings {
    pub layers: &'static str,
    pub layer_incidents: &'static str,
    pub layer_resources: &'static str,
    pub layer_sensors: &'static str,
    pub layer_districts: &'static str,
    pub layer_heat: &'static str,
    pub legend_resources: &'static str,
    pub legend_sensors: &'static str,
    /// The key of the incidents' areas (CAP alerts' outlines), shown while the map holds one.
    pub legend_alert_areas: &'static str,
    pub cluster_hint: &'static str,
    pub basemap_fallback: &'static str,
    pub pick_hint: &'static str,
    pub team: &'static str,
    pub vehicle: &'static str,
}

static MAP_ZH: MapStrings = MapStrings {
    layers: "图层",
    layer_incidents: "事件",
    layer_resources: "救援力量",
    layer_sensors: "感知设备",
    layer_districts: "行政区划",
    layer_heat: "事件热力",
    legend_resources: "力量",
    legend_sensors: "设备",
    legend_alert_areas: "预警区域",
    cluster_hint: "点击放大",
    basemap_fallback: "底图不可用 · 仅显示叠加图层",
    pick_hint: "在地图上点击选择事发位置",
    team: "队伍",
    vehicle: "车辆",
};

static MAP_EN: MapStrings = MapStrings {
    layers: "Layers",
    layer_incidents: "Incidents",
    layer_resources: "Response units",
    layer_sensors: "Sensors",
    layer_districts: "Districts",
    layer_heat: "Incident heat",
    legend_resources: "Units",
    legend_sensors: "Sensors",
    legend_alert_areas: "Alert areas",
    cluster_hint: "click to zoom in",
    basemap_fallback: "Basemap unavailable · overlays only",
    pick_hint: "Click the map to pick the location",
    team: "team",
    vehicle: "vehicle",
};

pub fn map_strings(lang: Lang) -> &'static MapStrings {
    match lang {
        Lang::Zh => &MAP_ZH,
        Lang::En => &MAP_EN,
    }
}

/// Strings of the drill-down (三级贯通): the breadcrumb, the area panel and its measures.
pub struct DrillStrings {
    /// The area panel's title.
    pub areas: &'static str,
    pub measure_open: &'static str,
    pub measure_overdue: &'static str,
    pub measure_grade_i: &'static str,
    /// A level's name for its areas (the panel's subtitle: "下辖 7 个街道").
    pub districts: &'static str,
    pub streets: &'static str,
    /// The breadcrumb's tooltip on an area above the account's scope.
    pub above_scope: &'static str,
    /// The panel at an area with no areas below it.
    pub no_children: &'static str,
    /// Going up one level.
    pub up: &'static str,
    /// The area panel's note when none of the areas has any.
    pub none_counted: &'static str,
}

static DRILL_ZH: DrillStrings = DrillStrings {
    areas: "辖区态势",
    measure_open: "在办事件",
    measure_overdue: "督办",
    measure_grade_i: "Ⅰ级",
    districts: "区",
    streets: "街道",
    above_scope: "超出本账号辖区",
    no_children: "已到最下一级",
    up: "返回上级",
    none_counted: "各辖区均为 0",
};

static DRILL_EN: DrillStrings = DrillStrings {
    areas: "Areas",
    measure_open: "Open",
    measure_overdue: "Overdue",
    measure_grade_i: "Grade I",
    districts: "districts",
    streets: "streets",
    above_scope: "outside this account's area",
    no_children: "lowest level",
    up: "up one level",
    none_counted: "0 in every area",
};

pub fn drill_strings(lang: Lang) -> &'static DrillStrings {
    match lang {
        Lang::Zh => &DRILL_ZH,
        Lang::En => &DRILL_EN,
    }
}

/// "下辖 7 个街道" / "7 streets": how many areas the panel lists (`level`: [`DrillStrings::districts`] or
/// [`DrillStrings::streets`]).
pub fn child_count(lang: Lang, n: usize, level: &str) -> String {
    match lang {
        Lang::Zh => format!("下辖 {n} 个{level}"),
        Lang::En => format!("{n} {level}"),
    }
}

/// "23 起事件" / "23 incidents" (a cluster's tooltip).
pub fn cluster_count(lang: Lang, n: u64) -> String {
    match lang {
        Lang::Zh => format!("{n} 起事件"),
        Lang::En if n == 1 => "1 incident".to_string(),
        Lang::En => format!("{n} incidents"),
    }
}

/// A response unit's status (`available`, `dispatched`, `on_scene`, `returning`, `out_of_service`).
pub fn unit_status(lang: Lang, status: &str) -> String {
    let s = match (lang, status) {
        (Lang::Zh, "available") => "待命",
        (Lang::Zh, "dispatched") => "出动中",
        (Lang::Zh, "on_scene") => "已到场",
        (Lang::Zh, "returning") => "返回中",
        (Lang::Zh, "out_of_service") => "停用",
        (Lang::En, "available") => "Available",
        (Lang::En, "dispatched") => "Dispatched",
        (Lang::En, "on_scene") => "On scene",
        (Lang::En, "returning") => "Returning",
        (Lang::En, "out_of_service") => "Out of service",
        (_, other) => return other.to_string(),
    };
    s.to_string()
}

/// A response unit's group (`rescue`, `medical`, `police`, `utility`).
pub fn unit_group(lang: Lang, group: &str) -> String {
    let s = match (lang, group) {
        (Lang::Zh, "rescue") => "消防救援",
        (Lang::Zh, "medical") => "医疗急救",
        (Lang::Zh, "police") => "公安",
        (Lang::Zh, "utility") => "市政抢修",
        (Lang::En, "rescue") => "Fire & rescue",
        (Lang::En, "medical") => "Medical",
        (Lang::En, "police") => "Police",
        (Lang::En, "utility") => "Utilities",
        (_, other) => return other.to_string(),
    };
    s.to_string()
}

/// A sensor's state (`normal`, `warning`, `alarm`).
pub fn sensor_state(lang: Lang, state: &str) -> String {
    let s = match (lang, state) {
        (Lang::Zh, "normal") => "正常",
        (Lang::Zh, "warning") => "预警",
        (Lang::Zh, "alarm") => "告警",
        (Lang::En, "normal") => "Normal",
        (Lang::En, "warning") => "Warning",
        (Lang::En, "alarm") => "Alarm",
        (_, other) => return other.to_string(),
    };
    s.to_string()
}

/// A sensor's kind (`water_level`, `air_quality`, `traffic_flow`, `gas`, …).
pub fn sensor_kind(lang: Lang, kind: &str) -> String {
    let s = match (lang, kind) {
        (Lang::Zh, "water_level") => "水位",
        (Lang::Zh, "air_quality") => "空气质量",
        (Lang::Zh, "traffic_flow") => "交通流量",
        (Lang::Zh, "gas") => "燃气",
        (Lang::En, "water_level") => "Water level",
        (Lang::En, "air_quality") => "Air quality",
        (Lang::En, "traffic_flow") => "Traffic flow",
        (Lang::En, "gas") => "Gas",
        (_, other) => return other.replace('_', " "),
    };
    s.to_string()
}

/// A role's name.
pub fn role_label(lang: Lang, role: Role) -> &'static str {
    match (lang, role) {
        (Lang::Zh, Role::Operator) => "值班员",
        (Lang::Zh, Role::Commander) => "指挥长",
        (Lang::Zh, Role::Leader) => "领导",
        (Lang::Zh, Role::Field) => "现场人员",
        (Lang::Zh, Role::Admin) => "管理员",
        (Lang::Zh, Role::Feed) => "数据接入",
        (Lang::En, Role::Operator) => "operator",
        (Lang::En, Role::Commander) => "commander",
        (Lang::En, Role::Leader) => "leader",
        (Lang::En, Role::Field) => "field staff",
        (Lang::En, Role::Admin) => "administrator",
        (Lang::En, Role::Feed) => "data feed",
    }
}

/// A request field's name (`op.title` is the title of a pushed action); unknown ones as they are.
pub fn field_label(lang: Lang, field: &str) -> String {
    let name = field.strip_prefix("op.").unwrap_or(field);
    let zh = match name {
        "title" => "标题",
        "class" => "事件类别",
        "grade" => "事件等级",
        "lon" => "经度",
        "lat" => "纬度",
        "source" => "来源",
        "description" => "描述",
        "address" => "地址",
        "external_id" => "外部编号",
        "occurred_at" => "发生时间",
        "reason" => "原因",
        "mode" => "模式",
        "level" => "响应级别",
        "incident_ids" => "触发事件",
        "incident_id" => "事件编号",
        "body" => "请求内容",
        _ => return name.to_string(),
    };
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => name.replace('_', " "),
    }
}

fn expected_type(lang: Lang, expected: &str) -> String {
    let zh = match expected {
        "string" => "文字",
        "number" => "数字",
        "object" => "JSON 对象",
        "timestamp" => "RFC 3339 时间",
        "uuid" => "UUID",
        "integer" => "非负整数",
        "uuid_array" => "UUID 列表",
        other => other,
    };
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => expected.replace('_', " "),
    }
}

/// What is wrong with a request field, in words shown where the field is marked (so its name is not repeated),
/// from the refusal's code; any other refusal in full ([`refusal`]).
pub fn field_problem(lang: Lang, r: &Refusal) -> String {
    use Refusal::*;
    match (lang, r) {
        (Lang::Zh, FieldRequired { .. } | FieldEmpty { .. }) => "不能为空".into(),
        (Lang::En, FieldRequired { .. } | FieldEmpty { .. }) => "must not be empty".into(),
        (_, FieldTooLong { max, .. }) => too_long(lang, *max as usize),
        (Lang::Zh, FieldType { expected, .. }) => format!("应为{}", expected_type(lang, expected)),
        (Lang::En, FieldType { expected, .. }) => format!("must be a {}", expected_type(lang, expected)),
        (Lang::Zh, FieldOutOfRange { min, max, .. }) => format!("须在 {min} 到 {max} 之间"),
        (Lang::En, FieldOutOfRange { min, max, .. }) => format!("must be between {min} and {max}"),
        _ => refusal(lang, r),
    }
}

/// A refusal (the hub's, the desktop's or a rule's) in the user's language, from its code and arguments.
pub fn refusal(lang: Lang, r: &Refusal) -> String {
    use Refusal::*;
    let st = |s: &Stage| stage_label(lang, *s);
    let f = |field: &str| field_label(lang, field);
    match lang {
        Lang::Zh => match r {
            StaleStage { current, seen } => {
                format!(
                    "冲突：事件已被他人推进到「{}」（你看到的是「{}」）",
                    st(current),
                    st(seen)
                )
            }
            InvalidTransition { from, to } => format!("不允许从「{}」推进到「{}」", st(from), st(to)),
            IncidentClosed => "冲突：事件已被他人结案".into(),
            NoteEmpty => "备注需要文字或照片引用".into(),
            NoteTooLong { max } => format!("备注最多 {max} 个字符"),
            AssigneeLength { max } => format!("交办对象须为 1–{max} 个字符"),
            UnknownDepartment { department } => format!("没有名为 {department} 的部门"),
            UnknownFeed { feed } => format!("城市文件未声明数据源 {feed}"),
            ReportOutOfRange { report, reports } => {
                format!("无法拆出第 {report} 条报告：该事件共 {reports} 条（首条为来源，不能拆出）")
            }
            NotClosed => "只有已结案的事件才能评估".into(),
            NotAnUpdate => "新建事件不能作为更新提交".into(),
            NotFound { id: Some(id) } => format!("中心没有此事件（{id}）"),
            NotFound { id: None } => "未找到".into(),
            IncidentExists => "中心已有相同编号的事件".into(),
            DuplicateIncident { id } => format!("与中心已有事件重复（同一来源与编号：{id}）"),
            ClientSeqTaken { client_seq, op_id } => {
                format!("本机操作序号冲突：序号 {client_seq} 已被操作 {op_id} 使用")
            }
            BadOp { detail } => format!("操作内容无法识别：{detail}"),
            Forbidden { role } => format!("角色「{}」无权执行此操作", role_label(lang, *role)),
            OutOfScope { scope } => format!("超出本账号的管辖范围（{scope}）"),
            FieldRequired { field } => format!("「{}」为必填项", f(field)),
            FieldType { field, expected } => {
                format!("「{}」格式不对，应为{}", f(field), expected_type(lang, expected))
            }
            FieldEmpty { field } => format!("「{}」不能为空", f(field)),
            FieldTooLong { field, max } => format!("「{}」最多 {max} 个字符", f(field)),
            FieldOutOfRange { field, min, max } => format!("「{}」须在 {min} 到 {max} 之间", f(field)),
            FieldUnknown {
                field,
                value,
                expected,
            } => format!(
                "「{}」的值「{value}」无效，可选：{}",
                f(field),
                expected.join("、")
            ),
            InvalidField { field, detail } => format!("「{}」无效：{detail}", f(field)),
            ReasonRequired => "每次转换都须说明原因".into(),
            LevelRequired => "战时须选择响应级别（Ⅰ–Ⅳ级）".into(),
            LevelNotAllowed => "平时不设响应级别".into(),
            AlreadyInMode => "城市已处于该模式和级别".into(),
            OwnProposal { .. } => "Ⅰ级响应须由另一位指挥长确认，提议人不能自己确认".into(),
            ProposalSettled { status, .. } => match status.as_str() {
                "applied" => "该提议已生效".into(),
                other => format!("该提议已处理（{other}）"),
            },
            ProposalExpired { expires_at, .. } => {
                format!("该提议已于 {} 过期", expires_at.format("%Y-%m-%d %H:%M:%S UTC"))
            }
            ModeChanged { detail } => format!("提议之后城市模式已变化：{detail}"),
            EpochAhead { epoch, current } => format!("模式版本 {epoch} 尚不存在（当前 {current}）"),
            Unauthorized => "登录已失效，请重新登录".into(),
            BadCredentials => "用户名或密码错误".into(),
            BadRequest { detail } => format!("请求无法识别：{detail}"),
            StorageUnavailable => "中心存储暂不可用，请稍后再试".into(),
            NotRejected { .. } => "该操作不是被拒绝的操作（可能已处理）".into(),
            HubUnreachable { detail } => format!("无法连接指挥中心：{detail}"),
            Internal { detail } => format!("内部错误：{detail}"),
            Unknown => "中心拒绝".into(),
        },
        Lang::En => match r {
            StaleStage { current, seen } => format!(
                "Conflict: someone moved the incident to {} meanwhile (you saw {})",
                st(current),
                st(seen)
            ),
            InvalidTransition { from, to } => format!("Cannot move from {} to {}", st(from), st(to)),
            IncidentClosed => "Conflict: someone closed the incident meanwhile".into(),
            NoteEmpty => "A note needs text or a photo reference".into(),
            NoteTooLong { max } => format!("A note is at most {max} characters"),
            AssigneeLength { max } => format!("The assignee must be 1–{max} characters"),
            UnknownDepartment { department } => format!("There is no department {department}"),
            UnknownFeed { feed } => format!("The city declares no feed {feed}"),
            ReportOutOfRange { report, reports } => {
                format!("Report {report} cannot be split out: the incident has {reports} (the first, its origin, stays)")
            }
            NotClosed => "Only a closed incident can be evaluated".into(),
            NotAnUpdate => "A new incident cannot be sent as an update".into(),
            NotFound { id: Some(id) } => format!("The hub has no such incident ({id})"),
            NotFound { id: None } => "Not found".into(),
            IncidentExists => "The hub already has an incident with this id".into(),
            DuplicateIncident { id } => {
                format!("Duplicate of an incident the hub has (same source and id: {id})")
            }
            ClientSeqTaken { client_seq, op_id } => {
                format!("This desktop's action number {client_seq} is already used by action {op_id}")
            }
            BadOp { detail } => format!("The action cannot be read: {detail}"),
            Forbidden { role } => format!("The {} role may not do this", role_label(lang, *role)),
            OutOfScope { scope } => format!("Outside this account's area ({scope})"),
            FieldRequired { field } => format!("{} is required", f(field)),
            FieldType { field, expected } => {
                format!("{} must be a {}", f(field), expected_type(lang, expected))
            }
            FieldEmpty { field } => format!("{} must not be empty", f(field)),
            FieldTooLong { field, max } => format!("{} is at most {max} characters", f(field)),
            FieldOutOfRange { field, min, max } => {
                format!("{} must be between {min} and {max}", f(field))
            }
            FieldUnknown {
                field,
                value,
                expected,
            } => format!("{} “{value}” is not one of {}", f(field), expected.join(", ")),
            InvalidField { field, detail } => format!("{}: {detail}", f(field)),
            ReasonRequired => "Every switch needs a reason".into(),
            LevelRequired => "Wartime needs a response level (I–IV)".into(),
            LevelNotAllowed => "Peacetime has no response level".into(),
            AlreadyInMode => "The city is already in that mode and level".into(),
            OwnProposal { .. } => "Level I needs a second commander: the proposer cannot confirm".into(),
            ProposalSettled { status, .. } => format!("The proposal was already {status}"),
            ProposalExpired { expires_at, .. } => {
                format!(
                    "The proposal expired at {}",
                    expires_at.format("%Y-%m-%d %H:%M:%S UTC")
                )
            }
            ModeChanged { detail } => format!("The city's mode changed since the proposal: {detail}"),
            EpochAhead { epoch, current } => {
                format!("Mode epoch {epoch} does not exist yet (current {current})")
            }
            Unauthorized => "The login expired; sign in again".into(),
            BadCredentials => "Wrong username or password".into(),
            BadRequest { detail } => format!("The request cannot be read: {detail}"),
            StorageUnavailable => "The hub's storage is unavailable; try again shortly".into(),
            NotRejected { .. } => "That action is not a rejected one (it may be settled already)".into(),
            HubUnreachable { detail } => format!("The hub cannot be reached: {detail}"),
            Internal { detail } => format!("Internal error: {detail}"),
            Unknown => "Refused by the hub".into(),
        },
    }
}

// ───────────────────────── vital signs (城市运行数字体征, issue 21) ─────────────────────────

/// Strings of the vital-sign panels, the scenario selector and the large chart.
pub struct VitalStrings {
    /// The panel group's title.
    pub panel: &'static str,
    /// The header selector's label.
    pub scenario: &'static str,
    /// The selector's tooltip while wartime shows the triggering indicator's scenario.
    pub wartime_scenario: &'static str,
    /// The mark on the panel of the indicator that raised the wartime focus.
    pub trigger: &'static str,
    pub no_reading: &'static str,
    /// The group before the hub ever listed an indicator.
    pub no_indicators: &'static str,
    pub offline: &'static str,
    pub day: &'static str,
    pub week: &'static str,
    pub month: &'static str,
    pub close: &'static str,
    pub loading: &'static str,
    /// The large chart without the hub.
    pub chart_offline: &'static str,
    pub no_points: &'static str,
    pub latest: &'static str,
    /// The trend arrow's tooltip.
    pub trend_hour: &'static str,
    pub higher_worse: &'static str,
    pub lower_worse: &'static str,
    /// A panel's tooltip.
    pub open_chart: &'static str,
    /// The sparkline's span.
    pub last_day: &'static str,
    /// A sparkline with no reading in its 24 h.
    pub none_today: &'static str,
    /// The panel's title note while wartime shows the triggering indicator's scenario.
    pub wartime_short: &'static str,
}

static VITAL_ZH: VitalStrings = VitalStrings {
    panel: "城市运行体征",
    scenario: "场景",
    wartime_scenario: "战时：显示触发指标所属场景",
    trigger: "触发",
    no_reading: "暂无读数",
    no_indicators: "尚未收到体征指标",
    offline: "离线",
    day: "日",
    week: "周",
    month: "月",
    close: "关闭",
    loading: "加载中…",
    chart_offline: "离线：仅显示本机缓存的最近 24 小时",
    no_points: "此区间无读数",
    latest: "最新",
    trend_hour: "较 1 小时前",
    higher_worse: "越高越危险",
    lower_worse: "越低越危险",
    open_chart: "点击查看日 / 周 / 月趋势",
    last_day: "近 24 小时",
    none_today: "24 小时内无读数",
    wartime_short: "战时联动",
};

static VITAL_EN: VitalStrings = VitalStrings {
    panel: "City vital signs",
    scenario: "Scenario",
    wartime_scenario: "Wartime: the triggering indicator's scenario",
    trigger: "Trigger",
    no_reading: "No reading yet",
    no_indicators: "No vital signs received yet",
    offline: "Offline",
    day: "Day",
    week: "Week",
    month: "Month",
    close: "Close",
    loading: "Loading…",
    chart_offline: "Offline: the last 24 h cached on this desktop",
    no_points: "No readings in this range",
    latest: "Latest",
    trend_hour: "vs 1 h ago",
    higher_worse: "higher is worse",
    lower_worse: "lower is worse",
    open_chart: "Click for the day / week / month trend",
    last_day: "last 24 h",
    none_today: "no reading in 24 h",
    wartime_short: "Wartime",
};

pub fn vital_strings(lang: Lang) -> &'static VitalStrings {
    match lang {
        Lang::Zh => &VITAL_ZH,
        Lang::En => &VITAL_EN,
    }
}

/// How a case's handling ended (评估反馈).
pub fn handling_result(lang: Lang, r: citydeck_protocol::HandlingResult) -> &'static str {
    use citydeck_protocol::HandlingResult::*;
    match (lang, r) {
        (Lang::Zh, Resolved) => "已妥善处置",
        (Lang::Zh, PartlyResolved) => "部分解决",
        (Lang::Zh, FalseAlarm) => "误报 / 不属实",
        (Lang::Zh, Transferred) => "移交其他部门",
        (Lang::En, Resolved) => "Resolved",
        (Lang::En, PartlyResolved) => "Partly resolved",
        (Lang::En, FalseAlarm) => "False alarm",
        (Lang::En, Transferred) => "Transferred",
    }
}

/// A closed case's evaluation in its facts: "已妥善处置 · ★★★★☆ · commander".
pub fn evaluation_text(lang: Lang, e: &citydeck_protocol::HandlingEvaluation) -> String {
    let stars: String = (1..=5u8).map(|k| if k <= e.rating { '★' } else { '☆' }).collect();
    let mut out = format!("{} · {stars} · {}", handling_result(lang, e.result), e.by);
    if let Some(c) = &e.comment {
        out.push_str(" · ");
        out.push_str(c);
    }
    out
}

/// A warning level's colour name ("黄色" / "Yellow"; "正常" / "Normal").
pub fn vital_level(lang: Lang, level: citydeck_protocol::indicators::IndicatorLevel) -> &'static str {
    use citydeck_protocol::indicators::IndicatorLevel::*;
    match (lang, level) {
        (Lang::Zh, Normal) => "正常",
        (Lang::Zh, Blue) => "蓝色",
        (Lang::Zh, Yellow) => "黄色",
        (Lang::Zh, Orange) => "橙色",
        (Lang::Zh, Red) => "红色",
        (Lang::En, Normal) => "Normal",
        (Lang::En, Blue) => "Blue",
        (Lang::En, Yellow) => "Yellow",
        (Lang::En, Orange) => "Orange",
        (Lang::En, Red) => "Red",
    }
}

/// A panel's level badge: "黄色预警" / "Yellow warning", "正常" / "Normal".
pub fn vital_level_label(lang: Lang, level: citydeck_protocol::indicators::IndicatorLevel) -> String {
    use citydeck_protocol::indicators::IndicatorLevel::Normal;
    match (lang, level) {
        (_, Normal) => vital_level(lang, level).to_string(),
        (Lang::Zh, l) => format!("{}预警", vital_level(lang, l)),
        (Lang::En, l) => format!("{} warning", vital_level(lang, l)),
    }
}

/// A pack's or an indicator's name in the UI's language.
pub fn name_of(lang: Lang, name: &citydeck_protocol::indicators::LocalizedName) -> String {
    match lang {
        Lang::Zh => name.zh.clone(),
        Lang::En => name.en.clone(),
    }
}

/// The panel group's note while the hub is not heard: "离线 · 缓存于 3 分钟前" / "Offline · cached 3 min ago".
/// Under the tiles, the indicators left out by level: "另有 291 项：黄色 2 · 正常 288 · 暂无读数 1" / "291 more:
/// Yellow 2 · Normal 288 · No reading yet 1".
pub fn vitals_more(
    lang: Lang,
    rest: &[(Option<citydeck_protocol::indicators::IndicatorLevel>, usize)],
) -> String {
    let n: usize = rest.iter().map(|(_, n)| n).sum();
    let parts: Vec<String> = rest
        .iter()
        .map(|(l, k)| {
            let name = match l {
                Some(l) => vital_level(lang, *l),
                None => vital_strings(lang).no_reading,
            };
            format!("{name} {k}")
        })
        .collect();
    match lang {
        Lang::Zh => format!("另有 {n} 项：{}", parts.join(" · ")),
        Lang::En => format!("{n} more: {}", parts.join(" · ")),
    }
}

pub fn vitals_cached(lang: Lang, age_secs: i64) -> String {
    match lang {
        Lang::Zh => format!("离线 · 缓存于 {}", age_ago(lang, age_secs)),
        Lang::En => format!("Offline · cached {}", age_ago(lang, age_secs)),
    }
}

/// The large chart's resolution: "每 2 分钟一点" / "one point per 2 min".
pub fn vital_step(lang: Lang, secs: u64) -> String {
    let d = duration_short(secs as i64);
    match lang {
        Lang::Zh => format!("每 {d} 一点"),
        Lang::En => format!("one point per {d}"),
    }
}

// ───────────────────────── the closed loop's clock and departments (issue 24) ─────────────────────────
// The 督办 list, the departments' backlog, the countdowns of feed rows and task cards, and the detail panel's
// department, deadline and escalation.

pub struct LoopStrings {
    pub panel_supervision: &'static str,
    pub supervision_empty: &'static str,
    pub panel_backlog: &'static str,
    pub backlog_empty: &'static str,
    pub col_department: &'static str,
    pub col_open: &'static str,
    pub col_overdue: &'static str,
    pub col_escalated: &'static str,
    /// 考核榜: the tab, its columns, its states.
    pub tab_backlog: &'static str,
    pub tab_scores: &'static str,
    pub panel_scores: &'static str,
    pub col_assigned: &'static str,
    pub col_closed: &'static str,
    pub col_on_time: &'static str,
    pub col_reopened: &'static str,
    pub scores_empty: &'static str,
    pub scores_offline: &'static str,
    pub no_department: &'static str,
    /// The tag of an overdue row (督办).
    pub tag_overdue: &'static str,
    pub f_department: &'static str,
    pub f_deadline: &'static str,
    pub f_escalation: &'static str,
    pub no_limit: &'static str,
    /// The 交办 form's department selector.
    pub assign_department: &'static str,
    pub assign_no_department: &'static str,
    /// 评估反馈: the detail's fact, the form's label, its rating and button.
    pub f_evaluation: &'static str,
    pub eval_label: &'static str,
    pub eval_rating: &'static str,
    pub eval_no_rating: &'static str,
    pub eval_submit: &'static str,
    /// The closing button's tooltip when a rating is picked: the evaluation goes with it.
    pub eval_with_close: &'static str,
}

static LOOP_ZH: LoopStrings = LoopStrings {
    panel_supervision: "超时督办",
    supervision_empty: "暂无超时事件",
    panel_backlog: "部门积压",
    backlog_empty: "暂无在办事件",
    col_department: "部门",
    col_open: "在办",
    col_overdue: "超时",
    col_escalated: "升级",
    tab_backlog: "积压",
    tab_scores: "考核榜",
    panel_scores: "考核榜 · 近 24 小时",
    col_assigned: "交办",
    col_closed: "结案",
    col_on_time: "按时率",
    col_reopened: "返工",
    scores_empty: "暂无考核数据",
    scores_offline: "离线",
    no_department: "未交办部门",
    tag_overdue: "督办",
    f_department: "责任部门",
    f_deadline: "环节时限",
    f_escalation: "督办升级",
    no_limit: "不限时",
    assign_department: "交办部门",
    assign_no_department: "不指定部门",
    f_evaluation: "评估反馈",
    eval_label: "评估反馈",
    eval_rating: "评分",
    eval_no_rating: "不评分",
    eval_submit: "提交评估",
    eval_with_close: "结案时一并提交评估",
};

static LOOP_EN: LoopStrings = LoopStrings {
    panel_supervision: "Overdue",
    supervision_empty: "Nothing overdue",
    panel_backlog: "Backlog by department",
    backlog_empty: "No open incidents",
    col_department: "Department",
    col_open: "Open",
    col_overdue: "Overdue",
    col_escalated: "Escalated",
    tab_backlog: "Backlog",
    tab_scores: "Scoreboard",
    panel_scores: "Scoreboard · last 24 h",
    col_assigned: "Assigned",
    col_closed: "Closed",
    col_on_time: "On time",
    col_reopened: "Reworked",
    scores_empty: "No scores yet",
    scores_offline: "offline",
    no_department: "No department",
    tag_overdue: "Overdue",
    f_department: "Department",
    f_deadline: "Stage deadline",
    f_escalation: "Escalated",
    no_limit: "No limit",
    assign_department: "Department",
    assign_no_department: "No department",
    f_evaluation: "Evaluation",
    eval_label: "Evaluate handling",
    eval_rating: "Rating",
    eval_no_rating: "No rating",
    eval_submit: "Submit evaluation",
    eval_with_close: "The evaluation is sent with the closing",
};

pub fn loop_strings(lang: Lang) -> &'static LoopStrings {
    match lang {
        Lang::Zh => &LOOP_ZH,
        Lang::En => &LOOP_EN,
    }
}

/// A stage deadline's countdown: "剩余 04:12" / "04:12 left" (`clock`: the formatted time left).
pub fn due_left(lang: Lang, clock: &str) -> String {
    match lang {
        Lang::Zh => format!("剩余 {clock}"),
        Lang::En => format!("{clock} left"),
    }
}

/// How long past its deadline: "超时 04:12" / "04:12 over".
pub fn due_over(lang: Lang, clock: &str) -> String {
    match lang {
        Lang::Zh => format!("超时 {clock}"),
        Lang::En => format!("{clock} over"),
    }
}

/// The rung of an escalated case, short: "升级 2" / "rung 2".
pub fn rung_short(lang: Lang, rung: u32) -> String {
    match lang {
        Lang::Zh => format!("升级 {rung}"),
        Lang::En => format!("rung {rung}"),
    }
}

/// Where 督办 has taken a case: "督办 → 市应急指挥中心（第 2 级）" / "Escalated → City Emergency Command (rung 2)"
/// (`to`: the department's name, or the area's, or None).
pub fn escalated_to(lang: Lang, to: Option<&str>, rung: u32) -> String {
    match (lang, to) {
        (Lang::Zh, Some(to)) => format!("督办 → {to}（第 {rung} 级）"),
        (Lang::Zh, None) => format!("督办升级（第 {rung} 级）"),
        (Lang::En, Some(to)) => format!("Escalated → {to} (rung {rung})"),
        (Lang::En, None) => format!("Escalated (rung {rung})"),
    }
}

// ───── grade-I alarm (issue 24: a grade-I alarm nobody misses) ─────

pub struct AlarmStrings {
    /// The banner's mark.
    pub title: &'static str,
    /// 确认: acknowledge the alarm for every screen (operator, commander, admin).
    pub ack: &'static str,
    /// 静音: silence this screen only (leader, field).
    pub mute: &'static str,
    /// The acknowledgement is in the outbox: the alarm stays until the hub's acknowledgement arrives.
    pub ack_pending: &'static str,
    /// The acknowledgement waits for the link to come back.
    pub ack_offline: &'static str,
    /// This screen was muted; the banner stays until someone acknowledges.
    pub muted: &'static str,
    /// Sound is blocked until someone touches the screen (the webview's autoplay rule).
    pub audio_blocked: &'static str,
    /// The banner's tooltip: clicking opens the incident.
    pub open_hint: &'static str,
}

static ALARM_ZH: AlarmStrings = AlarmStrings {
    title: "Ⅰ级警报",
    ack: "确认",
    mute: "静音",
    ack_pending: "已确认，等待中枢确认；确认送达前警报持续",
    ack_offline: "离线：确认已存入本机待同步，恢复连接后送达；在此之前警报持续",
    muted: "本屏已静音 · 待值班员确认",
    audio_blocked: "声音被浏览器阻止：点击屏幕任意处以启用警报声",
    open_hint: "点击查看事件详情",
};

static ALARM_EN: AlarmStrings = AlarmStrings {
    title: "GRADE I ALARM",
    ack: "Acknowledge",
    mute: "Mute",
    ack_pending: "Acknowledged; waiting for the hub — the alarm sounds until it confirms",
    ack_offline: "Offline: the acknowledgement is queued on this machine and sent on reconnect; the alarm sounds until then",
    muted: "Muted on this screen · awaiting an operator's acknowledgement",
    audio_blocked: "Sound blocked by the webview: touch the screen anywhere to enable the siren",
    open_hint: "Click to open the incident",
};

pub fn alarm_strings(lang: Lang) -> &'static AlarmStrings {
    match lang {
        Lang::Zh => &ALARM_ZH,
        Lang::En => &ALARM_EN,
    }
}

/// The banner's count when several incidents alarm: "共 3 起未确认" / "3 unacknowledged".
pub fn alarm_count(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Zh => format!("共 {n} 起未确认"),
        Lang::En => format!("{n} unacknowledged"),
    }
}

// ───── CAP alerts (issue 22: many sources) ─────

/// The detail panel's 预警信息 section of an incident raised by a CAP alert.
pub struct AlertStrings {
    /// The section's heading.
    pub title: &'static str,
    /// The agency that issued it (`senderName`, else `sender`).
    pub f_agency: &'static str,
    pub f_identifier: &'static str,
    pub f_severity: &'static str,
    pub f_urgency: &'static str,
    pub f_certainty: &'static str,
    pub f_expires: &'static str,
    /// The alert carried an XML signature, which citydeck does not check.
    pub signed: &'static str,
    pub signed_hint: &'static str,
    pub unsigned: &'static str,
    pub unsigned_hint: &'static str,
    /// The same alert in its other languages (the headline of every other `<info>`).
    pub other_languages: &'static str,
    /// The `Update` messages applied, oldest first.
    pub updates: &'static str,
    /// A `Cancel` withdrew it.
    pub cancelled: &'static str,
    pub expired: &'static str,
}

static ALERT_ZH: AlertStrings = AlertStrings {
    title: "预警信息",
    f_agency: "发布机构",
    f_identifier: "预警编号",
    f_severity: "严重程度",
    f_urgency: "紧急程度",
    f_certainty: "确定程度",
    f_expires: "失效时间",
    signed: "已签名（未验证签名）",
    signed_hint: "消息带有 XML 数字签名；本系统未核验签名，不能据此确认发布者身份",
    unsigned: "无签名",
    unsigned_hint: "消息未带数字签名",
    other_languages: "其他语言",
    updates: "更新记录",
    cancelled: "已撤销",
    expired: "已失效",
};

static ALERT_EN: AlertStrings = AlertStrings {
    title: "Alert",
    f_agency: "Issued by",
    f_identifier: "Alert ID",
    f_severity: "Severity",
    f_urgency: "Urgency",
    f_certainty: "Certainty",
    f_expires: "Expires",
    signed: "Signed (signature not verified)",
    signed_hint:
        "The message carries an XML signature; citydeck does not verify it, so it does not prove who sent it",
    unsigned: "Unsigned",
    unsigned_hint: "The message carries no digital signature",
    other_languages: "Other languages",
    updates: "Updates",
    cancelled: "Cancelled",
    expired: "Expired",
};

pub fn alert_strings(lang: Lang) -> &'static AlertStrings {
    match lang {
        Lang::Zh => &ALERT_ZH,
        Lang::En => &ALERT_EN,
    }
}

/// A CAP `severity` in the UI's language (English: the CAP word); a value this build does not know as it came.
pub fn cap_severity(lang: Lang, v: &str) -> String {
    let zh = match v {
        "Extreme" => "特别严重",
        "Severe" => "严重",
        "Moderate" => "较重",
        "Minor" => "一般",
        "Unknown" => "未知",
        _ => return v.to_string(),
    };
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => v.to_string(),
    }
}

/// A CAP `urgency` in the UI's language.
pub fn cap_urgency(lang: Lang, v: &str) -> String {
    let zh = match v {
        "Immediate" => "立即",
        "Expected" => "预期",
        "Future" => "未来",
        "Past" => "已过去",
        "Unknown" => "未知",
        _ => return v.to_string(),
    };
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => v.to_string(),
    }
}

/// A CAP `certainty` in the UI's language.
pub fn cap_certainty(lang: Lang, v: &str) -> String {
    let zh = match v {
        "Observed" => "已发生",
        "Likely" => "很可能",
        "Possible" => "可能",
        "Unlikely" => "不太可能",
        "Unknown" => "未知",
        _ => return v.to_string(),
    };
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => v.to_string(),
    }
}

/// Time left to an alert's expiry: "2 h 后失效" / "in 2 h".
pub fn alert_expires_in(lang: Lang, secs: i64) -> String {
    match lang {
        Lang::Zh => format!("{} 后失效", duration_short(secs)),
        Lang::En => format!("in {}", duration_short(secs)),
    }
}

/// Where an incident came from (issue 22): the feed's quality badge and source count, the detail panel's 来源.
pub struct SourceStrings {
    /// The detail panel's section heading.
    pub title: &'static str,
    /// The first report's mark (the incident's origin).
    pub origin: &'static str,
    /// Before the incident's quality.
    pub quality: &'static str,
    /// Before who verified it.
    pub verified_by: &'static str,
    /// 核实: the button and its tooltip.
    pub verify: &'static str,
    pub verify_hint: &'static str,
    /// 拆出: the button, and its second click's ask.
    pub split: &'static str,
    pub split_confirm: &'static str,
    pub split_hint: &'static str,
    /// The map's quality filter: its label and its three choices.
    pub filter_label: &'static str,
    pub filter_all: &'static str,
    pub filter_corroborated: &'static str,
    pub filter_official: &'static str,
}

static SOURCE_ZH: SourceStrings = SourceStrings {
    title: "来源",
    origin: "首报",
    quality: "可信度",
    verified_by: "核实人",
    verify: "核实",
    verify_hint: "确认事件属实：可信度升为权威",
    split: "拆出",
    split_confirm: "确认拆出？",
    split_hint: "此报告并非同一事件：拆出为新事件",
    filter_label: "可信度",
    filter_all: "全部",
    filter_corroborated: "印证以上",
    filter_official: "仅权威",
};

static SOURCE_EN: SourceStrings = SourceStrings {
    title: "Sources",
    origin: "origin",
    quality: "Quality",
    verified_by: "Verified by",
    verify: "Verify",
    verify_hint: "Confirm the incident is real: its quality becomes official",
    split: "Split out",
    split_confirm: "Split it out?",
    split_hint: "This report is another event: make it an incident of its own",
    filter_label: "Quality",
    filter_all: "All",
    filter_corroborated: "Corroborated+",
    filter_official: "Official only",
};

pub fn source_strings(lang: Lang) -> &'static SourceStrings {
    match lang {
        Lang::Zh => &SOURCE_ZH,
        Lang::En => &SOURCE_EN,
    }
}

/// An incident's or a report's quality (issue 22).
pub fn quality_label(lang: Lang, q: citydeck_protocol::ingest::Quality) -> &'static str {
    use citydeck_protocol::ingest::Quality;
    match (lang, q) {
        (Lang::Zh, Quality::Unverified) => "未核实",
        (Lang::Zh, Quality::Corroborated) => "多源印证",
        (Lang::Zh, Quality::Official) => "权威",
        (Lang::En, Quality::Unverified) => "unverified",
        (Lang::En, Quality::Corroborated) => "corroborated",
        (Lang::En, Quality::Official) => "official",
    }
}

/// How many sources reported an incident (shown from two on).
pub fn source_count(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Zh => format!("{n} 源"),
        Lang::En => format!("{n} sources"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vital_sign_texts() {
        use citydeck_protocol::indicators::IndicatorLevel;
        assert_eq!(vital_level_label(Lang::Zh, IndicatorLevel::Yellow), "黄色预警");
        assert_eq!(vital_level_label(Lang::En, IndicatorLevel::Red), "Red warning");
        assert_eq!(vital_level_label(Lang::Zh, IndicatorLevel::Normal), "正常");
        assert_eq!(vitals_cached(Lang::Zh, 180), "离线 · 缓存于 3 分钟前");
        assert_eq!(vitals_cached(Lang::En, 180), "Offline · cached 3 min ago");
        assert_eq!(vital_step(Lang::Zh, 120), "每 2 min 一点");
        assert_eq!(vital_step(Lang::En, 3600), "one point per 1 h");
    }

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
    fn wartime_labels() {
        assert_eq!(deadline_label(Lang::Zh, "command_post"), "现场指挥部开设");
        assert_eq!(deadline_label(Lang::En, "something_new"), "something_new");
        assert_eq!(resource_kind(Lang::Zh, "metro_station"), "地铁站（人防）");
        assert_eq!(minutes_label(Lang::Zh, 30), "30 分钟");
        assert_eq!(minutes_label(Lang::Zh, 1440), "24 小时");
        assert_eq!(minutes_label(Lang::En, 90), "90 min");
        assert_eq!(level_response(Lang::Zh, Grade::I), "Ⅰ级响应");
        assert_eq!(distance(344.0), "340 m");
        assert_eq!(distance(1449.0), "1.4 km");
    }

    #[test]
    fn offline_banner_counts_pending_actions() {
        assert_eq!(
            offline_actions(Lang::Zh, 3),
            "离线：操作将保存在本机，恢复连接后自动同步（待同步 3 条）"
        );
        assert_eq!(
            offline_actions(Lang::Zh, 0),
            "离线：操作将保存在本机，恢复连接后自动同步"
        );
        assert!(offline_actions(Lang::En, 2).ends_with("(2 pending)"));
        assert_eq!(outbox_unlisted(Lang::Zh, 4), "另有 4 条未列出");
    }

    #[test]
    fn closed_loop_texts() {
        assert_eq!(due_left(Lang::Zh, "04:12"), "剩余 04:12");
        assert_eq!(due_left(Lang::En, "04:12"), "04:12 left");
        assert_eq!(due_over(Lang::Zh, "01:05"), "超时 01:05");
        assert_eq!(rung_short(Lang::En, 3), "rung 3");
        assert_eq!(
            escalated_to(Lang::Zh, Some("应急管理局"), 2),
            "督办 → 应急管理局（第 2 级）"
        );
        assert_eq!(escalated_to(Lang::En, None, 2), "Escalated (rung 2)");
        assert_eq!(loop_strings(Lang::Zh).tag_overdue, "督办");
    }

    #[test]
    fn an_evaluation_reads_result_stars_and_who() {
        let e = citydeck_protocol::HandlingEvaluation {
            result: citydeck_protocol::HandlingResult::FalseAlarm,
            rating: 3,
            comment: Some("现场核实无火情".into()),
            by: "commander".into(),
            at: chrono::Utc::now(),
        };
        assert_eq!(
            evaluation_text(Lang::Zh, &e),
            "误报 / 不属实 · ★★★☆☆ · commander · 现场核实无火情"
        );
        assert!(evaluation_text(Lang::En, &e).starts_with("False alarm · ★★★☆☆"));
    }

    #[test]
    fn alarm_texts() {
        assert_eq!(alarm_count(Lang::Zh, 3), "共 3 起未确认");
        assert_eq!(alarm_count(Lang::En, 2), "2 unacknowledged");
        assert_eq!(alarm_strings(Lang::Zh).ack, "确认");
        assert_eq!(alarm_strings(Lang::En).mute, "Mute");
    }

    #[test]
    fn cap_words_in_both_languages() {
        assert_eq!(cap_severity(Lang::Zh, "Extreme"), "特别严重");
        assert_eq!(cap_severity(Lang::Zh, "Severe"), "严重");
        assert_eq!(cap_severity(Lang::Zh, "Moderate"), "较重");
        assert_eq!(cap_severity(Lang::Zh, "Minor"), "一般");
        assert_eq!(cap_severity(Lang::En, "Severe"), "Severe");
        assert_eq!(cap_urgency(Lang::Zh, "Immediate"), "立即");
        assert_eq!(cap_urgency(Lang::Zh, "Expected"), "预期");
        assert_eq!(cap_certainty(Lang::Zh, "Observed"), "已发生");
        assert_eq!(cap_certainty(Lang::Zh, "Likely"), "很可能");
        assert_eq!(cap_certainty(Lang::Zh, "Possible"), "可能");
        assert_eq!(
            cap_certainty(Lang::Zh, "Whatever"),
            "Whatever",
            "an unknown word as it came"
        );
        assert_eq!(alert_expires_in(Lang::Zh, 7200), "2 h 后失效");
        assert_eq!(alert_expires_in(Lang::En, 90), "in 1 min");
        assert!(alert_strings(Lang::Zh).signed.contains("未验证"));
        assert!(alert_strings(Lang::En).signed.contains("not verified"));
    }

    #[test]
    fn lang_codes_round_trip() {
        for l in [Lang::Zh, Lang::En] {
            assert_eq!(Lang::parse(l.code()), Some(l));
        }
    }
}
