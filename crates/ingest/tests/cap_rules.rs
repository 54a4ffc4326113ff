//! The CAP 1.2 checks, one rule at a time, on a valid alert changed in one place; and the mapping tables.

use citydeck_ingest::cap::{self, CapError, MsgType, Scope};
use citydeck_ingest::map;
use citydeck_protocol::{Grade, IncidentClass};

/// A complete valid alert (the shape of the specification's examples), `{prefix}` for the namespace prefix.
fn alert_with(info: &str, head_extra: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>43b080713727</identifier>
  <sender>hsas@dhs.gov</sender>
  <sent>2003-04-02T14:39:01-05:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>{head_extra}
  {info}
</alert>"#
    )
}

const INFO: &str = r#"<info>
    <category>Met</category>
    <event>SEVERE THUNDERSTORM</event>
    <responseType>Shelter</responseType>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Observed</certainty>
    <eventCode><valueName>SAME</valueName><value>SVR</value></eventCode>
    <expires>2003-06-17T16:00:00-07:00</expires>
    <senderName>NATIONAL WEATHER SERVICE SACRAMENTO CA</senderName>
    <headline>SEVERE THUNDERSTORM WARNING</headline>
    <description>AT 254 PM PDT... A SEVERE THUNDERSTORM WAS LOCATED 9 MILES NORTHEAST OF EMIGRANT GAP.</description>
    <instruction>TAKE COVER IN A SUBSTANTIAL SHELTER UNTIL THE STORM PASSES.</instruction>
    <contact>BARUFFALDI/JUSKIE</contact>
    <area>
      <areaDesc>EXTREME NORTH CENTRAL TUOLUMNE COUNTY IN CALIFORNIA</areaDesc>
      <polygon>38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89 38.47,-120.14</polygon>
      <geocode><valueName>SAME</valueName><value>006109</value></geocode>
    </area>
  </info>"#;

fn valid() -> String {
    alert_with(INFO, "")
}

fn invalid_field(xml: &str) -> String {
    match cap::parse(xml.as_bytes()) {
        Err(CapError::Invalid { field, .. }) => field,
        other => panic!("expected a 422 naming an element, got {other:?}"),
    }
}

#[test]
fn a_valid_alert_reads_whole() {
    let a = cap::parse(valid().as_bytes()).unwrap();
    assert_eq!(a.identifier, "43b080713727");
    assert_eq!(a.sender, "hsas@dhs.gov");
    assert_eq!(a.sent.to_rfc3339(), "2003-04-02T14:39:01-05:00");
    assert_eq!(a.msg_type, MsgType::Alert);
    assert_eq!(a.scope, Scope::Public);
    assert!(!a.signed);
    let info = &a.infos[0];
    assert_eq!(info.language, "en-US", "the schema's default language");
    assert_eq!(info.event_codes[0].value, "SVR");
    assert_eq!(info.areas[0].polygons[0].len(), 5);
    assert_eq!(
        info.areas[0].polygons[0][0],
        (-120.14, 38.47),
        "(lon, lat) from lat,lon"
    );
    assert_eq!(info.areas[0].geocodes[0].value, "006109");
}

#[test]
fn each_broken_rule_names_its_element() {
    let cases: Vec<(String, &str)> = vec![
        (valid().replace("Observed", "Very Likely"), "info[0].certainty"),
        (
            valid().replace("<severity>Severe", "<severity>Bad"),
            "info[0].severity",
        ),
        (
            valid().replace("<urgency>Immediate", "<urgency>Now"),
            "info[0].urgency",
        ),
        (
            valid().replace("<category>Met", "<category>Weather"),
            "info[0].category[0]",
        ),
        (
            valid().replace("<responseType>Shelter", "<responseType>Run"),
            "info[0].responseType[0]",
        ),
        (valid().replace("<status>Actual", "<status>Real"), "status"),
        (valid().replace("<msgType>Alert", "<msgType>Warning"), "msgType"),
        (valid().replace("<scope>Public", "<scope>Everyone"), "scope"),
        // the date-time form: no Z, no missing offset, a real date
        (
            valid().replace("2003-04-02T14:39:01-05:00", "2003-04-02T14:39:01Z"),
            "sent",
        ),
        (
            valid().replace("2003-04-02T14:39:01-05:00", "2003-04-02T14:39:01"),
            "sent",
        ),
        (
            valid().replace("2003-04-02T14:39:01-05:00", "2003-02-30T14:39:01-05:00"),
            "sent",
        ),
        (
            valid().replace("2003-06-17T16:00:00-07:00", "tomorrow"),
            "info[0].expires",
        ),
        // required elements
        (
            valid().replace("<identifier>43b080713727</identifier>", ""),
            "identifier",
        ),
        (
            valid().replace("<event>SEVERE THUNDERSTORM</event>", ""),
            "info[0].event",
        ),
        (
            valid().replace("<certainty>Observed</certainty>", ""),
            "info[0].certainty",
        ),
        (
            valid().replace(
                "<areaDesc>EXTREME NORTH CENTRAL TUOLUMNE COUNTY IN CALIFORNIA</areaDesc>",
                "",
            ),
            "info[0].area[0].areaDesc",
        ),
        // order and repetition
        (
            valid().replace(
                "<status>Actual</status>\n  <msgType>Alert</msgType>",
                "<msgType>Alert</msgType>\n  <status>Actual</status>",
            ),
            "status",
        ),
        (
            valid().replace(
                "<scope>Public</scope>",
                "<scope>Public</scope><scope>Public</scope>",
            ),
            "scope",
        ),
        (
            valid().replace("<contact>", "<colour>red</colour><contact>"),
            "info[0].colour",
        ),
        // identifiers
        (valid().replace("43b080713727", "43b 080713727"), "identifier"),
        (valid().replace("hsas@dhs.gov", "hsas,dhs.gov"), "sender"),
        // geometry
        (
            valid().replace(
                "38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89 38.47,-120.14",
                "38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89",
            ),
            "info[0].area[0].polygon[0]",
        ),
        (
            valid().replace(
                "38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89 38.47,-120.14",
                "38.47,-120.14 38.34,-119.95 38.47,-120.14",
            ),
            "info[0].area[0].polygon[0]",
        ),
        (
            valid().replace("38.34,-119.95", "98.34,-119.95"),
            "info[0].area[0].polygon[0]",
        ),
        (
            valid().replace("<geocode>", "<circle>38.5,-120.0</circle><geocode>"),
            "info[0].area[0].circle[0]",
        ),
        (
            valid().replace("<geocode>", "<circle>38.5,-120.0 -3</circle><geocode>"),
            "info[0].area[0].circle[0]",
        ),
        (
            valid().replace("</area>", "<ceiling>300</ceiling></area>"),
            "info[0].area[0].ceiling",
        ),
        // the prose rules
        (alert_with(INFO, "\n  <references></references>"), "references"),
        (
            alert_with(INFO, "\n  <references>hsas@dhs.gov,x</references>"),
            "references",
        ),
        (valid().replace("<msgType>Alert", "<msgType>Update"), "references"),
        (valid().replace("<msgType>Alert", "<msgType>Cancel"), "references"),
        (
            valid().replace("<scope>Public", "<scope>Restricted"),
            "restriction",
        ),
        (valid().replace("<scope>Public", "<scope>Private"), "addresses"),
        // the version
        (valid().replace("cap:1.2", "cap:1.1"), "alert"),
        (
            valid().replace("urn:oasis:names:tc:emergency:cap:1.2", "urn:example"),
            "alert",
        ),
    ];
    for (xml, field) in cases {
        assert_eq!(invalid_field(&xml), field, "in\n{xml}");
    }
}

#[test]
fn the_valid_variants_pass() {
    // a restricted alert with its restriction, an update with references, a ceiling with its altitude
    let ok = [
        alert_with(INFO, "\n  <restriction>staff only</restriction>")
            .replace("<scope>Public", "<scope>Restricted"),
        alert_with(
            INFO,
            "\n  <references>hsas@dhs.gov,123,2003-04-02T14:39:01-05:00</references>",
        )
        .replace("<msgType>Alert", "<msgType>Update"),
        valid().replace("</area>", "<altitude>100</altitude><ceiling>300</ceiling></area>"),
        valid().replace(
            "<geocode>",
            "<circle>38.5,-120.0 0</circle><circle>38.5,-120.0 12.5</circle><geocode>",
        ),
        // an alert without any info (a Cancel usually has none)
        alert_with(
            "",
            "\n  <references>hsas@dhs.gov,123,2003-04-02T14:39:01-05:00</references>",
        )
        .replace("<msgType>Alert", "<msgType>Cancel"),
    ];
    for xml in ok {
        cap::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{e} in\n{xml}"));
    }
    let refs = cap::parse(
        alert_with(
            "",
            "\n  <references>a@b,1,2003-04-02T14:39:01-05:00\n   a@b,2,2003-04-02T19:39:01+00:00</references>",
        )
        .replace("<msgType>Alert", "<msgType>Cancel")
        .as_bytes(),
    )
    .unwrap()
    .references;
    assert_eq!(refs.len(), 2);
    assert_eq!(refs[1].identifier, "2");
    let same_instant = cap::MessageKey {
        sender: "a@b".into(),
        identifier: "2".into(),
        sent: cap::parse_time("2003-04-02T14:39:01-05:00").unwrap(),
    };
    assert!(
        refs[1].same(&same_instant),
        "sent compares as an instant, whatever the offset written"
    );
}

#[test]
fn a_prefix_is_only_a_prefix() {
    let prefixed = valid()
        .replace(
            "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">",
            "<cap:alert xmlns:cap=\"urn:oasis:names:tc:emergency:cap:1.2\">",
        )
        .replace("</alert>", "</cap:alert>");
    let prefixed = regex_free_prefix(&prefixed);
    let a = cap::parse(prefixed.as_bytes()).unwrap();
    assert_eq!(a, cap::parse(valid().as_bytes()).unwrap());
}

/// Puts `cap:` on every element between the root's tags (the test's alerts have no attributes).
fn regex_free_prefix(xml: &str) -> String {
    let start = xml.find("<cap:alert").unwrap();
    let body_start = start + xml[start..].find('>').unwrap() + 1;
    let body_end = xml.rfind("</cap:alert>").unwrap();
    let body = xml[body_start..body_end]
        .replace("</", "\u{1}")
        .replace('<', "<cap:")
        .replace('\u{1}', "</cap:");
    format!("{}{}{}", &xml[..body_start], body, &xml[body_end..])
}

#[test]
fn the_encoding_declared_is_the_one_read() {
    let text = valid()
        .replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"")
        .replace("BARUFFALDI/JUSKIE", "Météo Genève");
    // the bytes as ISO-8859-1: é is 0xE9, è 0xE8
    let bytes: Vec<u8> = text.chars().map(|c| u32::from(c) as u8).collect();
    assert!(std::str::from_utf8(&bytes).is_err(), "not UTF-8 any more");
    let a = cap::parse(&bytes).unwrap();
    assert_eq!(a.infos[0].contact.as_deref(), Some("Météo Genève"));
    // the same bytes declared UTF-8 are not XML
    let lying = bytes
        .windows(10)
        .position(|w| w == b"ISO-8859-1")
        .map(|at| [&bytes[..at], b"UTF-8", &bytes[at + 10..]].concat())
        .unwrap();
    assert!(matches!(cap::parse(&lying), Err(CapError::NotXml(_))));
    // UTF-16 with its byte-order mark
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(
        valid()
            .replace("UTF-8", "UTF-16")
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    assert_eq!(cap::parse(&utf16).unwrap().identifier, "43b080713727");
}

#[test]
fn dangerous_markup_is_refused_before_reading() {
    let xxe = valid()
        .replace(
            "<alert",
            "<!DOCTYPE alert [<!ENTITY x SYSTEM \"http://127.0.0.1:9/probe\">]>\n<alert",
        )
        .replace("BARUFFALDI/JUSKIE", "&x;");
    assert!(matches!(
        cap::parse(xxe.as_bytes()),
        Err(CapError::Refused { .. })
    ));
    let xinclude = valid().replace(
        "<contact>BARUFFALDI/JUSKIE</contact>",
        "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"http://127.0.0.1:9/probe\"/>",
    );
    assert!(matches!(
        cap::parse(xinclude.as_bytes()),
        Err(CapError::Refused { .. })
    ));
    // an undeclared entity is simply not XML
    let entity = valid().replace("BARUFFALDI/JUSKIE", "&probe;");
    assert!(matches!(cap::parse(entity.as_bytes()), Err(CapError::NotXml(_))));
    for not_xml in [&b""[..], b"{\"alert\": 1}", b"<alert>", b"\xff\xfe\x00"] {
        assert!(
            matches!(cap::parse(not_xml), Err(CapError::NotXml(_))),
            "{not_xml:?}"
        );
    }
}

#[test]
fn a_signature_is_noticed_not_trusted() {
    let signed = valid().replace(
        "</alert>",
        "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo/></Signature></alert>",
    );
    assert!(cap::parse(signed.as_bytes()).unwrap().signed);
    // a signature only after the infos, and no other namespace
    let misplaced = valid().replace(
        "<scope>Public</scope>",
        "<scope>Public</scope><Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"/>",
    );
    assert_eq!(invalid_field(&misplaced), "info");
    let foreign = valid().replace("</alert>", "<x:extra xmlns:x=\"urn:example\"/></alert>");
    assert_eq!(invalid_field(&foreign), "extra");
    let attribute = valid().replace("<status>", "<status kind=\"real\">");
    assert_eq!(invalid_field(&attribute), "status");
}

#[test]
fn the_grade_table() {
    use cap::{Certainty as C, Severity as S, Urgency as U};
    assert_eq!(map::grade(S::Extreme, U::Immediate, C::Observed), Grade::I);
    assert_eq!(map::grade(S::Severe, U::Expected, C::Likely), Grade::II);
    assert_eq!(map::grade(S::Moderate, U::Future, C::Observed), Grade::III);
    assert_eq!(map::grade(S::Minor, U::Immediate, C::Observed), Grade::IV);
    assert_eq!(map::grade(S::Unknown, U::Immediate, C::Observed), Grade::IV);
    assert_eq!(
        map::grade(S::Extreme, U::Immediate, C::Possible),
        Grade::II,
        "doubt lowers one grade"
    );
    assert_eq!(map::grade(S::Moderate, U::Immediate, C::Unknown), Grade::IV);
    assert_eq!(map::grade(S::Extreme, U::Immediate, C::Unlikely), Grade::IV);
    assert_eq!(
        map::grade(S::Extreme, U::Past, C::Observed),
        Grade::IV,
        "a past event alarms no one"
    );
}

#[test]
fn the_mapping_follows_the_chinese_info_and_keeps_the_others() {
    let zh = r#"<info>
    <language>zh-CN</language>
    <category>Met</category>
    <event>暴雨</event>
    <urgency>Expected</urgency>
    <severity>Extreme</severity>
    <certainty>Likely</certainty>
    <onset>2003-04-02T20:00:00+08:00</onset>
    <headline>市气象台发布暴雨红色预警信号</headline>
    <description>预计未来3小时内降雨量将达100毫米以上。</description>
    <area><areaDesc>城区</areaDesc><circle>47.14,9.52 3</circle></area>
  </info>"#;
    let xml = alert_with(&format!("{}\n  {zh}", INFO), "");
    let a = cap::parse(xml.as_bytes()).unwrap();
    let mapped = map::incidents(&a);
    assert_eq!(mapped.len(), 1, "the Chinese info only");
    let m = &mapped[0];
    assert_eq!(m.title, "市气象台发布暴雨红色预警信号");
    assert_eq!(m.grade, Grade::I);
    assert_eq!(m.class, IncidentClass::NaturalDisaster);
    assert_eq!(m.source, "cap:hsas@dhs.gov");
    assert_eq!(m.external_id, "43b080713727,2003-04-02T14:39:01-05:00");
    assert_eq!(
        m.occurred_at.to_rfc3339(),
        "2003-04-02T12:00:00+00:00",
        "its onset"
    );
    assert_eq!(m.address.as_deref(), Some("城区"));
    let (lon, lat) = m.point.unwrap();
    assert!(
        (lon - 9.52).abs() < 1e-9 && (lat - 47.14).abs() < 1e-9,
        "the circle's centre"
    );
    assert_eq!(m.outline.len(), 1);
    assert_eq!(m.outline[0].len(), map::CIRCLE_SIDES + 1);
    assert_eq!(m.outline[0].first(), m.outline[0].last());
    // 3 km north of the centre is ~0.027°
    let north = m.outline[0].iter().map(|p| p[1]).fold(f64::MIN, f64::max);
    assert!((north - 47.14 - 3.0 / 111.19).abs() < 1e-3, "{north}");
    let langs: Vec<&str> = m.record.texts.iter().map(|t| t.language.as_str()).collect();
    assert_eq!(langs, ["zh-CN", "en-US"], "the followed first, the other kept");
    assert_eq!(m.record.severity, "Extreme");

    // without a Chinese info: the first info's language; the polygon's inside point, its outline
    let en = map::incidents(&cap::parse(valid().as_bytes()).unwrap());
    assert_eq!(en[0].title, "SEVERE THUNDERSTORM WARNING");
    assert_eq!(en[0].grade, Grade::II);
    let (lon, lat) = en[0].point.unwrap();
    assert!(citydeck_domain::areas::ring_contains(
        &cap::polygon("38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89 38.47,-120.14").unwrap(),
        (lon, lat)
    ));
    assert_eq!(
        en[0].description.as_deref().map(|d| d.contains("TAKE COVER")),
        Some(true),
        "description and instruction"
    );
    // geocodes only: no point of its own
    let geocoded = valid().replace(
        "<polygon>38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89 38.47,-120.14</polygon>",
        "",
    );
    let g = map::incidents(&cap::parse(geocoded.as_bytes()).unwrap());
    assert!(g[0].point.is_none() && g[0].outline.is_empty());
    assert_eq!(g[0].new_incident((9.5, 47.1)).lon, 9.5);
}

#[test]
fn several_infos_of_one_language_make_several_incidents() {
    let two = alert_with(
        &format!(
            "{INFO}\n  {}",
            INFO.replace("SEVERE THUNDERSTORM WARNING", "FLASH FLOOD")
        ),
        "",
    );
    let m = map::incidents(&cap::parse(two.as_bytes()).unwrap());
    assert_eq!(m.len(), 2);
    assert_eq!(m[1].title, "FLASH FLOOD");
    assert!(m[0].external_id.ends_with("#0") && m[1].external_id.ends_with("#1"));
    assert!(map::incidents(&cap::parse(alert_with("", "").as_bytes()).unwrap()).is_empty());
}
