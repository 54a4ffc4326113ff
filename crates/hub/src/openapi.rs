//! The served OpenAPI document: `GET /api/v1/openapi.json`.
//!
//! utoipa describes the operations and types from the handlers' annotations; this module adds what those
//! annotations cannot say, from the constants the hub enforces (so the document and the checks cannot drift):
//! the bounds of every field (lengths, ranges, "not blank", no NUL), the error answers every operation can give
//! (one shared [`ApiError`](citydeck_protocol::ApiError) body), the rules of a mode switch, and links between
//! operations. It is then written as **OpenAPI 3.0.3**: the form most generators take (progenitor, for one,
//! refuses 3.1 — `invalid version: 3.1.0`, and its `openapiv3` model has no `type: [T, "null"]`).
//!
//! `cargo xtask test` checks the served document with openapi-spec-validator and runs schemathesis against live
//! hubs on SQLite and PostgreSQL with every check; `citydeck-hub openapi` prints it.

use std::sync::LazyLock;

use citydeck_domain::incident::{
    MAX_SOURCE_CHARS, MAX_TEXT_CHARS, MAX_TITLE_CHARS, NOT_BLANK_PATTERN, NO_NUL_PATTERN,
};
use citydeck_protocol::{MAX_CREDENTIAL_CHARS, MAX_JSON_INT};
use serde_json::{json, Map, Value};
use utoipa::OpenApi;

use crate::api::{ApiDoc, MAX_PAGE};

/// The document as served, built once.
pub static DOCUMENT: LazyLock<String> =
    LazyLock::new(|| serde_json::to_string(&document()).expect("a JSON value serialises"));

/// The document a hub serves: [`DOCUMENT`], with the ids of the indicators it loaded (`--scenarios`) as the
/// values `POST /api/v1/readings` takes for a reading's `indicator` (any other id is refused, 422), so the
/// document promises only what the hub accepts. Without packs it is [`DOCUMENT`] itself.
/// The same ids are the values of the series endpoint's `{id}`.
pub fn served(indicator_ids: &[String]) -> String {
    if indicator_ids.is_empty() {
        return DOCUMENT.clone();
    }
    let mut doc = document();
    if let Some(p) = doc.pointer_mut("/components/schemas/Reading/properties/indicator") {
        p["enum"] = Value::from(indicator_ids.to_vec());
    }
    // and as the ids the series path names (any other is a 404)
    if let Some(params) = doc
        .pointer_mut("/paths/~1api~1v1~1indicators~1{id}~1series/get/parameters")
        .and_then(Value::as_array_mut)
    {
        for p in params.iter_mut().filter(|p| p["name"] == "id") {
            p["schema"]["enum"] = Value::from(indicator_ids.to_vec());
        }
    }
    serde_json::to_string(&doc).expect("a JSON value serialises")
}

/// The document as a JSON value.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("utoipa's document serialises");
    bound_fields(&mut doc);
    mode_switch_rules(&mut doc);
    error_answers(&mut doc);
    links(&mut doc);
    to_openapi_30(&mut doc);
    doc
}

fn schema_mut<'a>(doc: &'a mut Value, name: &str) -> &'a mut Map<String, Value> {
    doc["components"]["schemas"][name]
        .as_object_mut()
        .unwrap_or_else(|| panic!("schema {name} is in the document"))
}

fn property_mut<'a>(doc: &'a mut Value, schema: &str, field: &str) -> &'a mut Map<String, Value> {
    schema_mut(doc, schema)["properties"][field]
        .as_object_mut()
        .unwrap_or_else(|| panic!("{schema}.{field} is in the document"))
}

fn set(doc: &mut Value, schema: &str, field: &str, bounds: Value) {
    let p = property_mut(doc, schema, field);
    for (k, v) in bounds.as_object().expect("bounds are an object") {
        p.insert(k.clone(), v.clone());
    }
}

/// The limits `domain` and the handlers enforce, written into the schemas.
fn bound_fields(doc: &mut Value) {
    let not_blank = |max: usize| json!({"maxLength": max, "minLength": 1, "pattern": NOT_BLANK_PATTERN});
    let text = |max: usize| json!({"maxLength": max, "pattern": NO_NUL_PATTERN});
    set(doc, "NewIncident", "title", not_blank(MAX_TITLE_CHARS));
    set(doc, "NewIncident", "source", not_blank(MAX_SOURCE_CHARS));
    set(doc, "NewIncident", "description", text(MAX_TEXT_CHARS));
    set(doc, "NewIncident", "address", text(MAX_TITLE_CHARS));
    set(doc, "NewIncident", "external_id", text(MAX_TITLE_CHARS));
    set(
        doc,
        "NewIncident",
        "lon",
        json!({"minimum": -180.0, "maximum": 180.0}),
    );
    set(
        doc,
        "NewIncident",
        "lat",
        json!({"minimum": -90.0, "maximum": 90.0}),
    );
    set(doc, "LoginRequest", "username", text(MAX_CREDENTIAL_CHARS));
    set(doc, "LoginRequest", "password", text(MAX_CREDENTIAL_CHARS));
    set(
        doc,
        "PushRequest",
        "ops",
        json!({"maxItems": crate::push::MAX_BATCH}),
    );
    set(
        doc,
        "PushOp",
        "client_seq",
        json!({"minimum": 0, "maximum": MAX_JSON_INT}),
    );
    set(
        doc,
        "ScreenAckRequest",
        "epoch",
        json!({"minimum": 0, "maximum": MAX_JSON_INT}),
    );
    set(
        doc,
        "ModeSwitchRequest",
        "reason",
        not_blank(citydeck_domain::mode::MAX_REASON_CHARS),
    );
    // Always sent, though older hubs and caches may lack them (so the types read them with a default).
    for (schema, field) in [
        ("Incident", "area_ids"),
        ("LoginResponse", "scope"),
        ("AreaSummary", "parent"),
    ] {
        let required = schema_mut(doc, schema)
            .entry("required")
            .or_insert_with(|| json!([]));
        if let Some(r) = required.as_array_mut() {
            r.push(json!(field));
        }
    }
    // Any JSON at all: the request as it was sent.
    schema_mut(doc, "ModeAuditEntry")["properties"]["request"] =
        json!({"description": "the request as sent (any JSON; null when it was not JSON)"});
    // Query parameters: `limit` 1..=MAX_PAGE, `after` 0..=MAX_JSON_INT (anything else is a 400).
    for_each_operation(doc, |_, _, op| {
        for p in op
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if p["name"] == "after" {
                // utoipa writes a `ServerSeq` parameter as a reference to `u64` (which generators then
                // have to merge with the bounds): say it inline.
                p["schema"] =
                    json!({"type": "integer", "format": "int64", "minimum": 0, "maximum": MAX_JSON_INT});
                continue;
            }
            let bounds = match p["name"].as_str() {
                Some("limit") => json!({"minimum": 1, "maximum": MAX_PAGE}),
                Some("name") => json!({"minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9._-]+$"}),
                _ => continue,
            };
            if let Some(s) = p["schema"].as_object_mut() {
                for (k, v) in bounds.as_object().expect("object") {
                    s.insert(k.clone(), v.clone());
                }
            }
        }
    });
}

/// Peacetime takes no level; wartime needs one. (Which switch is allowed from the city's current mode is a rule
/// of the state, not of the request: a switch to the mode the city is in already answers 409.)
fn mode_switch_rules(doc: &mut Value) {
    // 200 answers the new state, 202 a proposal waiting for a second commander. One schema for both, so that
    // a generator can give the operation one success type (progenitor cannot do two: `response_types.len() <= 1`).
    doc["components"]["schemas"]["ModeSwitchOutcome"] = json!({
        "description": "200: the new mode state; 202: a level-I proposal waiting for a second commander",
        "oneOf": [
            {"$ref": "#/components/schemas/ModeState"},
            {"$ref": "#/components/schemas/PendingConfirmation"}
        ]
    });
    for status in ["200", "202"] {
        doc["paths"]["/api/v1/mode"]["post"]["responses"][status]["content"]["application/json"]["schema"] =
            json!({"$ref": "#/components/schemas/ModeSwitchOutcome"});
    }
    let s = schema_mut(doc, "ModeSwitchRequest");
    s.insert(
        "oneOf".into(),
        json!([
            {"properties": {"mode": {"enum": ["peacetime"]}, "level": {"type": "null"}}},
            {"properties": {"mode": {"enum": ["wartime"]}}, "required": ["level"],
             "not": {"properties": {"level": {"type": "null"}}, "required": ["level"]}}
        ]),
    );
}

fn for_each_operation(doc: &mut Value, mut f: impl FnMut(&str, &str, &mut Map<String, Value>)) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if let Some(op) = op.as_object_mut() {
                f(path, method, op);
            }
        }
    }
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}}
    })
}

/// Every error an operation can answer, with the shared error body. Statuses the handlers' annotations name
/// already keep their descriptions.
fn error_answers(doc: &mut Value) {
    for_each_operation(doc, |path, _, op| {
        let secured = op
            .get("security")
            .is_some_and(|s| s.as_array().is_some_and(|a| !a.is_empty()));
        let has_body = op.contains_key("requestBody");
        let has_params = op
            .get("parameters")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        let mut add = |status: &str, description: &str| {
            let responses = op
                .entry("responses")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("responses is an object");
            responses
                .entry(status)
                .or_insert_with(|| error_response(description));
            // An annotation that named the status without a body gets the shared one.
            if let Some(r) = responses.get_mut(status).and_then(Value::as_object_mut) {
                if !r.contains_key("content") && status.starts_with(['4', '5']) {
                    r.insert("content".into(), error_response("")["content"].clone());
                }
            }
        };
        if has_params {
            add("400", "a query or path parameter is not what the document says");
        }
        if has_body {
            add("400", "the body is not JSON");
            add("413", "the body is larger than the hub takes (2 MiB)");
            add("415", "the body is not sent as application/json");
            add("422", "a field is wrong: `field` names it");
        }
        if secured {
            add("401", "no bearer token, or one that is unknown or expired");
        }
        if path != "/api/v1/health" || secured {
            add("503", "the hub's storage is unavailable; try again");
        }
        add("500", "the hub failed; it is logged");
    });
}

/// Links for clients and stateful testing: an incident created is read back by its id; an area listed is read
/// with its outline; a level-I proposal is confirmed by its id.
fn links(doc: &mut Value) {
    let get_incident = json!({"GetIncident": {
        "operationId": "get_incident",
        "parameters": {"id": "$response.body#/id"},
        "description": "the incident just reported"
    }});
    let get_area = json!({"GetArea": {
        "operationId": "get_area",
        "parameters": {"id": "$response.body#/areas/0/id"},
        "description": "the first area listed (the city, when the hub has areas)"
    }});
    let confirm_mode = json!({"ConfirmMode": {
        "operationId": "confirm_mode",
        "requestBody": {"proposal_id": "$response.body#/proposal_id"},
        "description": "a second commander confirms the proposal"
    }});
    for (path, method, status, link) in [
        ("/api/v1/incidents", "post", "200", &get_incident),
        ("/api/v1/incidents", "post", "201", &get_incident),
        ("/api/v1/areas", "get", "200", &get_area),
        ("/api/v1/mode", "post", "202", &confirm_mode),
    ] {
        if let Some(r) = doc["paths"][path][method]["responses"][status].as_object_mut() {
            r.insert("links".into(), link.clone());
        }
    }
}

/// Rewrites utoipa's OpenAPI 3.1 into 3.0.3: `type: [T, "null"]` → `type: T, nullable: true`, a `oneOf`/`anyOf`
/// with a null branch → the other branch, nullable; `type: "null"` alone → `enum: [null]`; `$ref` with siblings
/// → `allOf: [$ref]`; `const` → `enum`; 3.1-only fields dropped.
pub fn to_openapi_30(doc: &mut Value) {
    doc["openapi"] = json!("3.0.3");
    if let Some(license) = doc["info"]["license"].as_object_mut() {
        license.remove("identifier");
    }
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
        for s in schemas.values_mut() {
            schema_30(s);
        }
    }
    for_each_operation(doc, |_, _, op| {
        for p in op
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(s) = p.get_mut("schema") {
                schema_30(s);
            }
        }
        let content_schemas = |b: &mut Value| {
            if let Some(content) = b.get_mut("content").and_then(Value::as_object_mut) {
                for media in content.values_mut() {
                    if let Some(s) = media.get_mut("schema") {
                        schema_30(s);
                    }
                }
            }
        };
        if let Some(b) = op.get_mut("requestBody") {
            content_schemas(b);
        }
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            responses.values_mut().for_each(content_schemas);
        }
    });
}

fn is_null_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
}

fn schema_30(v: &mut Value) {
    let Some(obj) = v.as_object_mut() else {
        return;
    };
    // Children first.
    for key in ["properties", "patternProperties"] {
        if let Some(props) = obj.get_mut(key).and_then(Value::as_object_mut) {
            for p in props.values_mut() {
                schema_30(p);
            }
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child) = obj.get_mut(key) {
            if child.is_object() {
                schema_30(child);
            }
        }
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = obj.get_mut(key).and_then(Value::as_array_mut) {
            for c in list.iter_mut() {
                schema_30(c);
            }
        }
    }
    if let Some(c) = obj.remove("const") {
        obj.insert("enum".into(), json!([c]));
    }
    obj.remove("$schema");
    if let Some(examples) = obj.remove("examples") {
        if let Some(first) = examples.as_array().and_then(|a| a.first()) {
            obj.insert("example".into(), first.clone());
        }
    }
    match obj.get("type").cloned() {
        Some(Value::Array(types)) => {
            let rest: Vec<Value> = types
                .iter()
                .filter(|t| t.as_str() != Some("null"))
                .cloned()
                .collect();
            let nullable = rest.len() < types.len();
            match rest.as_slice() {
                [one] => {
                    obj.insert("type".into(), one.clone());
                }
                [] => {
                    obj.remove("type");
                }
                many => {
                    obj.remove("type");
                    obj.insert(
                        "anyOf".into(),
                        Value::Array(many.iter().map(|t| json!({"type": t})).collect()),
                    );
                }
            }
            if nullable {
                obj.insert("nullable".into(), json!(true));
            }
        }
        Some(Value::String(t)) if t == "null" => {
            obj.remove("type");
            obj.insert("nullable".into(), json!(true));
            obj.insert("enum".into(), json!([null]));
        }
        _ => {}
    }
    for key in ["oneOf", "anyOf"] {
        let Some(list) = obj.get(key).and_then(Value::as_array) else {
            continue;
        };
        // After the children's rewrite a null branch reads {"nullable": true, "enum": [null]}.
        let is_null = |c: &Value| {
            is_null_schema(c)
                || (c.get("enum") == Some(&json!([null])) && c.get("nullable") == Some(&json!(true)))
        };
        if !list.iter().any(is_null) {
            continue;
        }
        let rest: Vec<Value> = list.iter().filter(|c| !is_null(c)).cloned().collect();
        obj.remove(key);
        obj.insert("nullable".into(), json!(true));
        if rest.len() == 1 {
            obj.insert("allOf".into(), Value::Array(rest));
        } else {
            obj.insert(key.into(), Value::Array(rest));
        }
    }
    if obj.contains_key("$ref") && obj.len() > 1 {
        let r = obj.remove("$ref").expect("checked");
        obj.insert("allOf".into(), json!([{"$ref": r}]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_types_become_openapi_30() {
        let mut v = json!({"type": ["string", "null"], "maxLength": 3});
        schema_30(&mut v);
        assert_eq!(v, json!({"type": "string", "nullable": true, "maxLength": 3}));

        let mut v = json!({"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Grade"}]});
        schema_30(&mut v);
        assert_eq!(
            v,
            json!({"nullable": true, "allOf": [{"$ref": "#/components/schemas/Grade"}]})
        );

        let mut v = json!({"$ref": "#/components/schemas/Grade", "description": "d"});
        schema_30(&mut v);
        assert_eq!(
            v,
            json!({"allOf": [{"$ref": "#/components/schemas/Grade"}], "description": "d"})
        );

        let mut v = json!({"properties": {"level": {"type": "null"}, "k": {"const": "x"}}});
        schema_30(&mut v);
        assert_eq!(
            v,
            json!({"properties": {"level": {"nullable": true, "enum": [null]}, "k": {"enum": ["x"]}}})
        );
    }

    fn no_31_left(v: &Value, at: &str) {
        match v {
            Value::Object(o) => {
                if let Some(t) = o.get("type") {
                    assert!(t.is_string(), "{at}: type {t}");
                    assert_ne!(t, "null", "{at}");
                }
                assert!(!o.contains_key("const"), "{at}");
                if o.contains_key("$ref") {
                    assert_eq!(o.len(), 1, "{at}: $ref with siblings");
                }
                for (k, c) in o {
                    no_31_left(c, &format!("{at}/{k}"));
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    no_31_left(c, &format!("{at}/{i}"));
                }
            }
            _ => {}
        }
    }

    #[test]
    fn the_document_is_openapi_30_with_the_enforced_bounds() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.0.3");
        no_31_left(&doc["components"], "#/components");
        no_31_left(&doc["paths"], "#/paths");
        let title = &doc["components"]["schemas"]["NewIncident"]["properties"]["title"];
        assert_eq!(title["maxLength"], MAX_TITLE_CHARS);
        assert_eq!(title["pattern"], NOT_BLANK_PATTERN);
        let seq = &doc["components"]["schemas"]["PushOp"]["properties"]["client_seq"];
        assert_eq!(seq["maximum"], MAX_JSON_INT);
        // every query parameter is in the query, with its bounds
        let events = &doc["paths"]["/api/v1/events"]["get"];
        for p in events["parameters"].as_array().unwrap() {
            assert_eq!(p["in"], "query", "{p}");
        }
        let limit = events["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "limit")
            .unwrap();
        assert_eq!(limit["schema"]["maximum"], MAX_PAGE);
        // every error answer has the shared body
        for status in ["400", "401", "500", "503"] {
            assert_eq!(
                events["responses"][status]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ApiError",
                "{status}"
            );
        }
        let create = &doc["paths"]["/api/v1/incidents"]["post"]["responses"];
        for status in ["400", "401", "403", "413", "415", "422"] {
            assert!(create[status].is_object(), "POST /incidents lacks {status}");
        }
    }

    /// The generated client (`crates/openapi-client`) is built from a copy of the document; it must be this one.
    /// `CITYDECK_BLESS=1 cargo test -p citydeck-hub openapi` rewrites the copy after a change to the API.
    #[test]
    fn the_client_is_generated_from_the_served_document() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi-client/openapi.json");
        let served = serde_json::to_string_pretty(&document()).unwrap() + "\n";
        if std::env::var_os("CITYDECK_BLESS").is_some() {
            std::fs::write(&path, &served).unwrap();
        }
        let copy = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            copy == served,
            "crates/openapi-client/openapi.json differs from the served document: run \
             `CITYDECK_BLESS=1 cargo test -p citydeck-hub openapi` and commit it"
        );
    }

    /// The patterns the document gives say what `domain` checks, on the characters where regex dialects and
    /// Rust's `trim` could disagree.
    #[test]
    fn not_blank_pattern_agrees_with_check_text() {
        // `\uXXXX` (ECMA-262, Python) is `\x{XXXX}` in Rust's regex syntax.
        let mut rust = String::new();
        let mut rest = NOT_BLANK_PATTERN;
        while let Some(i) = rest.find("\\u") {
            rust.push_str(&rest[..i]);
            rust.push_str(&format!("\\x{{{}}}", &rest[i + 2..i + 6]));
            rest = &rest[i + 6..];
        }
        rust.push_str(rest);
        let re = regex::Regex::new(&rust).unwrap();
        for s in [
            "a", " a ", "\u{3000}", "\u{85}", "\u{feff}", "\u{1c}", "\t\n", "", "x\u{0}", "火灾", "\u{200b}",
            "\u{a0}b",
        ] {
            let domain_ok = citydeck_domain::incident::check_text("t", s, 100).is_ok_and(|t| !t.is_empty());
            assert_eq!(re.is_match(s), domain_ok, "{s:?}");
        }
    }
}
