//! The "report an incident" form (`#new-incident-form`), docked over the left column and the map's left edge
//! like the detail panel, and its "＋ 上报事件" button in the feed's title bar. A point picked on the map fills
//! the location; the incident goes to the local outbox as a `create_incident` with an id chosen here, so it
//! works offline and shows at once as a pending (unconfirmed) incident.

use chrono::{DateTime, Utc};
use citydeck_protocol::{Grade, IncidentClass, NewIncident, Op, Role};
use leptos::prelude::*;
use uuid::Uuid;

use crate::css::{class_css, grade_css};
use crate::i18n::{self, action_strings, Lang};
use crate::outbox;
use crate::overlay;
use crate::state::AppState;
use crate::time;
use crate::widgets::{CloseButton, ErrorLine, TextArea, TextInput};

/// The raw fields of the report form.
#[derive(Clone, Debug, PartialEq)]
pub struct IncidentForm {
    pub title: String,
    pub class: IncidentClass,
    pub grade: Grade,
    pub lon: String,
    pub lat: String,
    pub address: String,
    pub description: String,
}

/// The new incident the form describes, checked by the hub's own rules ([`citydeck_domain::parse_new_incident`]
/// on the request the form would send); the error names the field (`title`, `lon`, `lat`, …) and says what is
/// wrong in the UI's language, translated from the rules' refusal code ([`i18n::field_problem`]).
pub fn build_new_incident(
    lang: Lang,
    f: &IncidentForm,
    source: &str,
    occurred_at: Option<DateTime<Utc>>,
) -> Result<NewIncident, (String, String)> {
    citydeck_domain::parse_new_incident(&request(f, source, occurred_at))
        .map_err(|e| (e.field, i18n::field_problem(lang, &e.refusal)))
}

/// The `POST /incidents` body the form describes. A coordinate that is not a finite number goes as the text
/// typed, which the rules refuse as not a number.
fn request(f: &IncidentForm, source: &str, occurred_at: Option<DateTime<Utc>>) -> serde_json::Value {
    let coord = |v: &str| match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => serde_json::Value::from(x),
        _ => serde_json::Value::from(v),
    };
    serde_json::json!({
        "title": f.title,
        "class": f.class.as_str(),
        "grade": f.grade.as_str(),
        "lon": coord(&f.lon),
        "lat": coord(&f.lat),
        "source": source,
        "description": f.description,
        "address": f.address,
        "occurred_at": occurred_at,
    })
}

/// `source` of an incident reported from this desktop: field staff report from the scene.
pub fn report_source(role: Option<Role>) -> &'static str {
    match role {
        Some(Role::Field) => "现场上报",
        _ => "指挥舱上报",
    }
}

/// "＋ 上报事件" in the feed's title bar (hidden for read-only roles).
#[component]
pub fn NewIncidentButton() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let allowed = move || overlay::may_create(state.me().as_ref());
    view! {
        <Show when=allowed>
            <button
                type="button"
                class="new-incident-btn"
                id="new-incident-button"
                class=("active", move || state.form_open.get())
                on:click=move |_| {
                    state.selected.set(None);
                    state.picked.set(None);
                    state.form_open.set(true);
                }
            >
                {move || action_strings(lang.get()).new_button}
            </button>
        </Show>
    }
}

#[component]
pub fn NewIncidentForm() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <Show when=move || state.form_open.get()>
            <FormPanel />
        </Show>
    }
}

#[component]
fn FormPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let centre = state
        .snapshot
        .with_untracked(|s| s.as_ref().map(|s| s.city.center))
        .unwrap_or([0.0, 0.0]);
    let title = RwSignal::new(String::new());
    let class = RwSignal::new(IncidentClass::Accident);
    let grade = RwSignal::new(Grade::IV);
    let lon = RwSignal::new(format!("{:.5}", centre[0]));
    let lat = RwSignal::new(format!("{:.5}", centre[1]));
    let address = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let bad_field = RwSignal::new(None::<String>);

    // A point picked on the map fills the location.
    Effect::new(move |_| {
        if let Some((x, y)) = state.picked.get() {
            lon.set(format!("{x:.5}"));
            lat.set(format!("{y:.5}"));
        }
    });
    let close = move || {
        state.form_open.set(false);
        state.picked.set(None);
    };
    let submit = move || {
        let form = IncidentForm {
            title: title.get_untracked(),
            class: class.get_untracked(),
            grade: grade.get_untracked(),
            lon: lon.get_untracked(),
            lat: lat.get_untracked(),
            address: address.get_untracked(),
            description: description.get_untracked(),
        };
        let role = state.me().map(|m| m.role);
        match build_new_incident(lang.get_untracked(), &form, report_source(role), time::now_utc()) {
            Err((field, msg)) => {
                bad_field.set(Some(field));
                error.set(Some(msg));
            }
            Ok(incident) => {
                bad_field.set(None);
                let id = Uuid::now_v7();
                let op = Op::CreateIncident {
                    incident_id: Some(id),
                    incident,
                };
                outbox::submit(state, op, busy, error, move |_| {
                    state.form_open.set(false);
                    state.picked.set(None);
                    state.selected.set(Some(id));
                });
            }
        }
    };
    let invalid = move |f: &'static str| move || bad_field.with(|b| b.as_deref() == Some(f));
    let pick_state = move || {
        if state.picked.with(Option::is_some) {
            "picked"
        } else {
            "default"
        }
    };
    let offline = move || matches!(state.connection_key(), "offline" | "reconnecting");

    view! {
        <form
            class="detail ni-form"
            id="new-incident-form"
            novalidate=true
            on:submit=move |ev| {
                ev.prevent_default();
                submit();
            }
        >
            <header class="dt-head">
                <span class="ni-plus" aria-hidden="true">"＋"</span>
                <h2 class="dt-title">{move || action_strings(lang.get()).new_title}</h2>
                <CloseButton id="ni-close" on_close=close />
            </header>
            <div class="dt-body ni-body">
                <Show when=offline>
                    <div class="ni-offline" id="ni-offline">{move || action_strings(lang.get()).form_offline}</div>
                </Show>
                <label class="ni-label" for="ni-title">{move || action_strings(lang.get()).f_title}</label>
                <TextInput
                    id="ni-title"
                    value=title
                    maxlength="200"
                    placeholder=|s| s.title_placeholder
                    invalid=invalid("title")
                />
                <div class="ni-label">{move || action_strings(lang.get()).f_class}</div>
                <div class="ni-opts ni-opts-4" id="ni-class" role="radiogroup">
                    {IncidentClass::ALL
                        .into_iter()
                        .map(|c| {
                            view! {
                                <button
                                    type="button"
                                    class=format!("ni-opt {}", class_css(c))
                                    class=("selected", move || class.get() == c)
                                    data-class=c.as_str()
                                    aria-pressed=move || if class.get() == c { "true" } else { "false" }
                                    on:click=move |_| class.set(c)
                                >
                                    {move || i18n::class_label(lang.get(), c)}
                                </button>
                            }
                        })
                        .collect_view()}
                </div>
                <div class="ni-label">{move || action_strings(lang.get()).f_grade}</div>
                <div class="ni-opts ni-opts-4" id="ni-grade" role="radiogroup">
                    {Grade::ALL
                        .into_iter()
                        .map(|g| {
                            view! {
                                <button
                                    type="button"
                                    class=format!("ni-opt ni-grade {}", grade_css(g))
                                    class=("selected", move || grade.get() == g)
                                    data-grade=g.as_str()
                                    aria-pressed=move || if grade.get() == g { "true" } else { "false" }
                                    on:click=move |_| grade.set(g)
                                >
                                    <span class="ni-grade-mark">{move || i18n::grade_short(lang.get(), g)}</span>
                                    <span class="ni-grade-name">{move || i18n::grade_name(lang.get(), g)}</span>
                                </button>
                            }
                        })
                        .collect_view()}
                </div>
                <div class="ni-label">{move || action_strings(lang.get()).f_location}</div>
                <div class="ni-loc" id="ni-location" data-source=pick_state>
                    <TextInput id="ni-lon" value=lon axis="lon" invalid=invalid("lon") />
                    <span class="ni-unit">"°E"</span>
                    <TextInput id="ni-lat" value=lat axis="lat" invalid=invalid("lat") />
                    <span class="ni-unit">"°N"</span>
                    <button
                        type="button"
                        class="sm-btn"
                        id="ni-center"
                        on:click=move |_| {
                            state.picked.set(None);
                            lon.set(format!("{:.5}", centre[0]));
                            lat.set(format!("{:.5}", centre[1]));
                        }
                    >
                        {move || action_strings(lang.get()).city_centre}
                    </button>
                </div>
                <div class="ni-hint">
                    {move || {
                        if state.picked.with(Option::is_some) {
                            action_strings(lang.get()).picked_hint
                        } else {
                            action_strings(lang.get()).pick_hint
                        }
                    }}
                </div>
                <label class="ni-label" for="ni-address">{move || action_strings(lang.get()).f_address}</label>
                <TextInput id="ni-address" value=address maxlength="200" placeholder=|s| s.address_placeholder />
                <label class="ni-label" for="ni-description">{move || action_strings(lang.get()).f_description}</label>
                <TextArea id="ni-description" value=description rows="3" maxlength="4000" />
            </div>
            <footer class="dt-actions ni-actions">
                <ErrorLine error=error class="dt-error" id="ni-error" />
                <div class="ni-buttons">
                    <button type="button" class="act-btn" id="ni-cancel" on:click=move |_| close()>
                        {move || action_strings(lang.get()).cancel}
                    </button>
                    <button
                        type="submit"
                        class="act-btn act-primary"
                        id="ni-submit"
                        data-action="create"
                        disabled=move || busy.get()
                    >
                        {move || if busy.get() { action_strings(lang.get()).sending } else { action_strings(lang.get()).submit_report }}
                    </button>
                </div>
            </footer>
        </form>
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> IncidentForm {
        IncidentForm {
            title: "  Hakaniemi 地下通道积水 ".into(),
            class: IncidentClass::NaturalDisaster,
            grade: Grade::III,
            lon: "24.95120".into(),
            lat: " 60.17900".into(),
            address: "  ".into(),
            description: "行人绕行".into(),
        }
    }

    #[test]
    fn the_report_form_is_checked_by_the_hub_rules() {
        let n = build_new_incident(Lang::Zh, &form(), "现场上报", None).unwrap();
        assert_eq!(n.title, "Hakaniemi 地下通道积水");
        assert_eq!((n.lon, n.lat), (24.9512, 60.179));
        assert_eq!(n.address, None);
        assert_eq!(n.description.as_deref(), Some("行人绕行"));
        assert_eq!(n.source, "现场上报");

        let mut f = form();
        f.title = " ".into();
        assert_eq!(
            build_new_incident(Lang::Zh, &f, "x", None).unwrap_err().0,
            "title"
        );
        let mut f = form();
        f.lat = "91".into();
        assert_eq!(build_new_incident(Lang::En, &f, "x", None).unwrap_err().0, "lat");
        let mut f = form();
        f.lon = "east".into();
        assert_eq!(build_new_incident(Lang::En, &f, "x", None).unwrap_err().0, "lon");
        let mut f = form();
        f.title = "x".repeat(201);
        let (field, msg) = build_new_incident(Lang::En, &f, "x", None).unwrap_err();
        assert_eq!(field, "title");
        assert!(msg.contains("200"), "{msg}");
        let mut f = form();
        f.description = "x".repeat(4001);
        assert_eq!(
            build_new_incident(Lang::Zh, &f, "x", None).unwrap_err(),
            ("description".to_string(), "不能超过 4000 个字符".to_string())
        );
        let mut f = form();
        f.address = "x".repeat(201);
        assert_eq!(
            build_new_incident(Lang::Zh, &f, "x", None).unwrap_err(),
            ("address".to_string(), "不能超过 200 个字符".to_string())
        );
        assert_eq!(
            build_new_incident(Lang::En, &form(), " ", None).unwrap_err().0,
            "source"
        );
        let mut f = form();
        f.lon = "inf".into();
        assert_eq!(build_new_incident(Lang::En, &f, "x", None).unwrap_err().0, "lon");
        // The words come from the rules' refusal codes.
        let mut f = form();
        f.lat = "91".into();
        assert_eq!(
            build_new_incident(Lang::En, &f, "x", None).unwrap_err().1,
            "must be between -90 and 90"
        );
        let mut f = form();
        f.lon = "east".into();
        assert_eq!(
            build_new_incident(Lang::Zh, &f, "x", None).unwrap_err().1,
            "应为数字"
        );
        let mut f = form();
        f.title = " ".into();
        assert_eq!(
            build_new_incident(Lang::Zh, &f, "x", None).unwrap_err().1,
            "不能为空"
        );
        let mut f = form();
        f.title = "a\0b".into();
        let (field, msg) = build_new_incident(Lang::Zh, &f, "x", None).unwrap_err();
        assert_eq!(field, "title");
        assert!(
            msg.starts_with("「标题」无效"),
            "an uncoded problem in full: {msg}"
        );
        let at = DateTime::from_timestamp(1_800_000_000, 0);
        assert_eq!(
            build_new_incident(Lang::Zh, &form(), "x", at)
                .unwrap()
                .occurred_at,
            at
        );
    }

    #[test]
    fn field_staff_report_from_the_scene() {
        assert_eq!(report_source(Some(Role::Field)), "现场上报");
        assert_eq!(report_source(Some(Role::Operator)), "指挥舱上报");
        assert_eq!(report_source(None), "指挥舱上报");
    }
}
