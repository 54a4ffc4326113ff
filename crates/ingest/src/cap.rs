//! OASIS Common Alerting Protocol 1.2, read and checked.
//!
//! [`parse`] takes the bytes of a posted alert and gives the [`Alert`] or why not: [`CapError::NotXml`] (the
//! bytes are not a well-formed XML document in an encoding we know — HTTP 400), [`CapError::Refused`] (markup
//! that could make a parser fetch or expand something: a DOCTYPE, hence any entity declaration, or an XInclude —
//! refused before anything is read, and nothing is ever fetched: this module has no I/O at all) or
//! [`CapError::Invalid`] naming the element at fault the way the API reports it (`info[0].certainty`,
//! `info[1].area[0].polygon[2]`, `references`) — HTTP 422.
//!
//! What is checked, from the OASIS CAP 1.2 schema (`CAP-v1.2.xsd`) and the specification's prose:
//! - the root is `alert` in the namespace `urn:oasis:names:tc:emergency:cap:1.2` (CAP 1.1 and 1.0 are named as
//!   such); the children of `alert`, `info`, `resource`, `area`, `eventCode`, `parameter` and `geocode` come in
//!   the schema's order with its occurrence bounds, no element of the CAP namespace is unknown and none has an
//!   attribute (but `xsi:` ones); after the last `info`, elements of XML Signature's namespace are allowed (the
//!   schema's `<any namespace="http://www.w3.org/2000/09/xmldsig#">`; [`Alert::signed`] says whether there is a
//!   `Signature` — it is not verified), and no other namespace anywhere;
//! - the enumerations: `status`, `msgType`, `scope`, `category`, `responseType`, `urgency`, `severity`,
//!   `certainty` (CAP 1.2's list: `Very Likely` is no longer one of them);
//! - every date and time has the schema's form `YYYY-MM-DDThh:mm:ss±hh:mm` (no `Z`, no fraction);
//! - `identifier` and `sender` hold no whitespace, comma, `<` or `&`;
//! - `restriction` is present when `scope` is `Restricted`, `addresses` when it is `Private`;
//! - `references` is a whitespace-separated list of `sender,identifier,sent` (never empty), required by an
//!   `Update`, `Cancel`, `Ack` or `Error` (they act on the messages it names);
//! - a `polygon` is at least four `lat,lon` pairs, the first equal to the last; a `circle` is `lat,lon radius`
//!   with a radius in kilometres ≥ 0; latitudes within ±90, longitudes within ±180;
//! - `size` is a whole number, `altitude` / `ceiling` decimals, and a `ceiling` needs an `altitude`.
//!
//! Real alerts vary and all of this is accepted: a `cap:` (or any) prefix for the namespace, an encoding
//! declared in the XML declaration (UTF-8, UTF-16 with its byte-order mark, ISO-8859-1, windows-1252, GBK …;
//! decoded per the WHATWG encoding labels), several `info` blocks in different languages, several `area`s with
//! polygons, circles and geocodes, leading and trailing whitespace around values.

use chrono::{DateTime, FixedOffset};
use roxmltree::{Document, Node, ParsingOptions};

/// The CAP 1.2 namespace.
pub const NS: &str = "urn:oasis:names:tc:emergency:cap:1.2";
/// XML Signature's namespace (`ds:Signature`).
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// XInclude's namespaces (2001 and the 2003 draft's): refused wherever they appear.
const XINCLUDE_NS: [&str; 2] = [
    "http://www.w3.org/2001/XInclude",
    "http://www.w3.org/2003/XInclude",
];
/// The largest alert the hub reads (HTTP 413 above it): real alerts are a few KiB, the biggest with detailed
/// polygons a few hundred.
pub const MAX_BYTES: usize = 1 << 20;
/// A bound on the parsed tree, far above any real alert, so a crafted document cannot make it huge.
const MAX_NODES: u32 = 200_000;

/// Why bytes are not a CAP 1.2 alert we take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapError {
    /// Not a well-formed XML document (or not decodable in its declared encoding).
    #[error("not XML: {0}")]
    NotXml(String),
    /// Markup refused on principle (a DOCTYPE, an entity declaration, an XInclude), named by `what`.
    #[error("{what} is refused: the hub never expands or fetches anything an alert declares")]
    Refused { what: String },
    /// Well-formed XML, but not a valid CAP 1.2 alert: `field` names the element (`info[0].certainty`).
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
}

impl CapError {
    fn invalid(field: impl Into<String>, reason: impl Into<String>) -> CapError {
        CapError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// `<status>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Actual,
    Exercise,
    System,
    Test,
    Draft,
}

/// `<msgType>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsgType {
    Alert,
    Update,
    Cancel,
    Ack,
    Error,
}

/// `<scope>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Public,
    Restricted,
    Private,
}

/// `<category>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    Geo,
    Met,
    Safety,
    Security,
    Rescue,
    Fire,
    Health,
    Env,
    Transport,
    Infra,
    Cbrne,
    Other,
}

/// `<urgency>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Urgency {
    Immediate,
    Expected,
    Future,
    Past,
    Unknown,
}

/// `<severity>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Extreme,
    Severe,
    Moderate,
    Minor,
    Unknown,
}

/// `<certainty>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Certainty {
    Observed,
    Likely,
    Possible,
    Unlikely,
    Unknown,
}

macro_rules! cap_enum {
    ($t:ty, $($text:literal => $v:expr),+ $(,)?) => {
        impl $t {
            /// The value as CAP writes it.
            pub fn as_str(self) -> &'static str {
                $(if self == $v { return $text; })+
                unreachable!()
            }
            fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($v),)+
                    _ => None,
                }
            }
            const VALUES: &'static [&'static str] = &[$($text),+];
        }
    };
}

cap_enum!(Status, "Actual" => Status::Actual, "Exercise" => Status::Exercise, "System" => Status::System,
    "Test" => Status::Test, "Draft" => Status::Draft);
cap_enum!(MsgType, "Alert" => MsgType::Alert, "Update" => MsgType::Update, "Cancel" => MsgType::Cancel,
    "Ack" => MsgType::Ack, "Error" => MsgType::Error);
cap_enum!(Scope, "Public" => Scope::Public, "Restricted" => Scope::Restricted, "Private" => Scope::Private);
cap_enum!(Category, "Geo" => Category::Geo, "Met" => Category::Met, "Safety" => Category::Safety,
    "Security" => Category::Security, "Rescue" => Category::Rescue, "Fire" => Category::Fire,
    "Health" => Category::Health, "Env" => Category::Env, "Transport" => Category::Transport,
    "Infra" => Category::Infra, "CBRNE" => Category::Cbrne, "Other" => Category::Other);
cap_enum!(Urgency, "Immediate" => Urgency::Immediate, "Expected" => Urgency::Expected,
    "Future" => Urgency::Future, "Past" => Urgency::Past, "Unknown" => Urgency::Unknown);
cap_enum!(Severity, "Extreme" => Severity::Extreme, "Severe" => Severity::Severe,
    "Moderate" => Severity::Moderate, "Minor" => Severity::Minor, "Unknown" => Severity::Unknown);
cap_enum!(Certainty, "Observed" => Certainty::Observed, "Likely" => Certainty::Likely,
    "Possible" => Certainty::Possible, "Unlikely" => Certainty::Unlikely, "Unknown" => Certainty::Unknown);

const RESPONSE_TYPES: &[&str] = &[
    "Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None",
];

/// A message named by `sender,identifier,sent` (an alert's own key, or an entry of its `references`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageKey {
    pub sender: String,
    pub identifier: String,
    /// As written (with its offset); compare with [`MessageKey::same`], which compares instants.
    pub sent: DateTime<FixedOffset>,
}

impl MessageKey {
    /// The same message: same sender and identifier, `sent` the same instant whatever the offset written.
    pub fn same(&self, other: &MessageKey) -> bool {
        self.sender == other.sender && self.identifier == other.identifier && self.sent == other.sent
    }
}

/// A `valueName` / `value` pair (`eventCode`, `parameter`, `geocode`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameValue {
    pub name: String,
    pub value: String,
}

/// `<circle>`: centre and radius.
#[derive(Clone, Debug, PartialEq)]
pub struct Circle {
    pub lat: f64,
    pub lon: f64,
    pub radius_km: f64,
}

/// `<area>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Area {
    pub desc: String,
    /// Each polygon's ring as `(lon, lat)` points, closed (first = last).
    pub polygons: Vec<Vec<(f64, f64)>>,
    pub circles: Vec<Circle>,
    pub geocodes: Vec<NameValue>,
    pub altitude: Option<f64>,
    pub ceiling: Option<f64>,
}

/// `<resource>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    pub desc: String,
    pub mime_type: String,
    pub size: Option<u64>,
    pub uri: Option<String>,
    pub digest: Option<String>,
}

/// `<info>`: the alert in one language.
#[derive(Clone, Debug, PartialEq)]
pub struct Info {
    /// RFC 3066 language tag; `en-US` when absent (the schema's default).
    pub language: String,
    pub categories: Vec<Category>,
    pub event: String,
    pub response_types: Vec<String>,
    pub urgency: Urgency,
    pub severity: Severity,
    pub certainty: Certainty,
    pub audience: Option<String>,
    pub event_codes: Vec<NameValue>,
    pub effective: Option<DateTime<FixedOffset>>,
    pub onset: Option<DateTime<FixedOffset>>,
    pub expires: Option<DateTime<FixedOffset>>,
    pub sender_name: Option<String>,
    pub headline: Option<String>,
    pub description: Option<String>,
    pub instruction: Option<String>,
    pub web: Option<String>,
    pub contact: Option<String>,
    pub parameters: Vec<NameValue>,
    pub resources: Vec<Resource>,
    pub areas: Vec<Area>,
}

/// A CAP 1.2 alert, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub identifier: String,
    pub sender: String,
    pub sent: DateTime<FixedOffset>,
    pub status: Status,
    pub msg_type: MsgType,
    pub source: Option<String>,
    pub scope: Scope,
    pub restriction: Option<String>,
    pub addresses: Option<String>,
    pub codes: Vec<String>,
    pub note: Option<String>,
    pub references: Vec<MessageKey>,
    pub incidents: Option<String>,
    pub infos: Vec<Info>,
    /// An XML signature (`ds:Signature`) follows the infos. Not verified.
    pub signed: bool,
}

impl Alert {
    /// This alert's own key.
    pub fn key(&self) -> MessageKey {
        MessageKey {
            sender: self.sender.clone(),
            identifier: self.identifier.clone(),
            sent: self.sent,
        }
    }
}

/// Reads and checks a CAP 1.2 alert from the bytes posted (any size: the caller bounds it, see [`MAX_BYTES`]).
pub fn parse(bytes: &[u8]) -> Result<Alert, CapError> {
    let text = decode(bytes)?;
    refuse_markup(&text)?;
    let doc = Document::parse_with_options(
        &text,
        ParsingOptions {
            allow_dtd: false,
            nodes_limit: MAX_NODES,
        },
    )
    .map_err(|e| match e {
        roxmltree::Error::DtdDetected => CapError::Refused {
            what: "a DOCTYPE".into(),
        },
        other => CapError::NotXml(other.to_string()),
    })?;
    if let Some(x) = doc.descendants().find(|n| {
        n.is_element()
            && n.tag_name()
                .namespace()
                .is_some_and(|ns| XINCLUDE_NS.contains(&ns))
    }) {
        return Err(CapError::Refused {
            what: format!("an XInclude (<{}>)", x.tag_name().name()),
        });
    }
    read_alert(doc.root_element())
}

/// The document's text: UTF-16 or UTF-8 by byte-order mark, else the encoding its XML declaration names
/// (UTF-8 without one).
fn decode(bytes: &[u8]) -> Result<String, CapError> {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, malformed) = enc.decode_without_bom_handling(&bytes[bom..]);
        return if malformed {
            Err(CapError::NotXml(format!("bytes that are not {}", enc.name())))
        } else {
            Ok(text.into_owned())
        };
    }
    let enc = match declared_encoding(bytes) {
        None => encoding_rs::UTF_8,
        Some(label) => encoding_rs::Encoding::for_label(label.as_bytes())
            .ok_or_else(|| CapError::NotXml(format!("unknown encoding {label:?}")))?,
    };
    // A document declaring UTF-16 without a byte-order mark cannot have been read this far in ASCII.
    if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
        return Err(CapError::NotXml("UTF-16 without a byte-order mark".into()));
    }
    let (text, malformed) = enc.decode_without_bom_handling(bytes);
    if malformed {
        return Err(CapError::NotXml(format!("bytes that are not {}", enc.name())));
    }
    Ok(text.into_owned())
}

/// The `encoding="…"` of a leading XML declaration, read as ASCII.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = bytes.strip_prefix(b"<?xml")?;
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].to_string())
}

/// Refuses a DOCTYPE (and with it every entity declaration) by looking, before any parsing, for the markup that
/// declares one; roxmltree would refuse it too (`allow_dtd: false`), this only makes the answer say what it was.
fn refuse_markup(text: &str) -> Result<(), CapError> {
    if text.contains("<!DOCTYPE") {
        return Err(CapError::Refused {
            what: "a DOCTYPE".into(),
        });
    }
    if text.contains("<!ENTITY") {
        return Err(CapError::Refused {
            what: "an entity declaration".into(),
        });
    }
    Ok(())
}

/// One element of a sequence in the schema: its name, and at most how many (`None`: unbounded); `min` says
/// whether it is required.
struct Slot {
    name: &'static str,
    required: bool,
    many: bool,
}

const fn one(name: &'static str) -> Slot {
    Slot {
        name,
        required: true,
        many: false,
    }
}
const fn opt(name: &'static str) -> Slot {
    Slot {
        name,
        required: false,
        many: false,
    }
}
const fn many(name: &'static str) -> Slot {
    Slot {
        name,
        required: false,
        many: true,
    }
}
const fn some(name: &'static str) -> Slot {
    Slot {
        name,
        required: true,
        many: true,
    }
}

const ALERT: &[Slot] = &[
    one("identifier"),
    one("sender"),
    one("sent"),
    one("status"),
    one("msgType"),
    opt("source"),
    one("scope"),
    opt("restriction"),
    opt("addresses"),
    many("code"),
    opt("note"),
    opt("references"),
    opt("incidents"),
    many("info"),
];
const INFO: &[Slot] = &[
    opt("language"),
    some("category"),
    one("event"),
    many("responseType"),
    one("urgency"),
    one("severity"),
    one("certainty"),
    opt("audience"),
    many("eventCode"),
    opt("effective"),
    opt("onset"),
    opt("expires"),
    opt("senderName"),
    opt("headline"),
    opt("description"),
    opt("instruction"),
    opt("web"),
    opt("contact"),
    many("parameter"),
    many("resource"),
    many("area"),
];
const RESOURCE: &[Slot] = &[
    one("resourceDesc"),
    one("mimeType"),
    opt("size"),
    opt("uri"),
    opt("derefUri"),
    opt("digest"),
];
const AREA: &[Slot] = &[
    one("areaDesc"),
    many("polygon"),
    many("circle"),
    many("geocode"),
    opt("altitude"),
    opt("ceiling"),
];
const PAIR: &[Slot] = &[one("valueName"), one("value")];

/// The children of a CAP element, checked against its sequence: in order, within their bounds, none unknown.
/// Elements of other namespaces are allowed only where `any_after` (after the sequence, as the schema's `any`
/// after `alert`'s infos); text between elements must be whitespace.
struct Children<'a, 'input> {
    /// For each slot of the sequence, its elements in document order.
    slots: Vec<Vec<Node<'a, 'input>>>,
    /// Elements of other namespaces (after the sequence).
    others: Vec<Node<'a, 'input>>,
}

fn children<'a, 'input>(
    node: Node<'a, 'input>,
    path: &str,
    seq: &[Slot],
    any_after: bool,
) -> Result<Children<'a, 'input>, CapError> {
    let at = |name: &str| {
        if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    let mut slots: Vec<Vec<Node>> = seq.iter().map(|_| Vec::new()).collect();
    let mut others = Vec::new();
    let mut pos = 0usize;
    for child in node.children() {
        if child.is_text() {
            if child.text().is_some_and(|t| !t.trim().is_empty()) {
                return Err(CapError::invalid(
                    if path.is_empty() { "alert" } else { path },
                    "holds text between its elements",
                ));
            }
            continue;
        }
        if !child.is_element() {
            continue;
        }
        let name = child.tag_name().name();
        if child.tag_name().namespace() != Some(NS) {
            // the schema's `<any namespace="http://www.w3.org/2000/09/xmldsig#">` after alert's infos
            if any_after && child.tag_name().namespace() == Some(DSIG_NS) {
                others.push(child);
                continue;
            }
            return Err(CapError::invalid(
                at(name),
                format!(
                    "an element of another namespace ({}) is not allowed here",
                    ns_of(child)
                ),
            ));
        }
        no_attributes(child, &at(name))?;
        if !others.is_empty() {
            return Err(CapError::invalid(
                at(name),
                "comes after an element of another namespace (the schema allows those only at the end)",
            ));
        }
        let Some(i) = seq.iter().position(|s| s.name == name) else {
            return Err(CapError::invalid(at(name), "is not an element CAP 1.2 has here"));
        };
        if i < pos {
            return Err(CapError::invalid(
                at(name),
                format!("is out of order (it comes before <{}>)", seq[pos].name),
            ));
        }
        if !seq[i].many && !slots[i].is_empty() {
            return Err(CapError::invalid(at(name), "appears more than once"));
        }
        pos = i;
        slots[i].push(child);
    }
    for (slot, found) in seq.iter().zip(&slots) {
        if slot.required && found.is_empty() {
            return Err(CapError::invalid(at(slot.name), "is required and missing"));
        }
    }
    Ok(Children { slots, others })
}

/// CAP's elements have no attributes (the schema declares none); `xsi:` ones (`schemaLocation`) are allowed,
/// as every schema validator allows them.
fn no_attributes(node: Node, field: &str) -> Result<(), CapError> {
    const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
    match node.attributes().find(|a| a.namespace() != Some(XSI)) {
        Some(a) => Err(CapError::invalid(
            field,
            format!("has an attribute ({}); CAP elements have none", a.name()),
        )),
        None => Ok(()),
    }
}

fn ns_of(node: Node) -> String {
    node.tag_name().namespace().unwrap_or("no namespace").to_string()
}

impl<'a, 'input> Children<'a, 'input> {
    fn nodes(&self, seq: &[Slot], name: &str) -> &[Node<'a, 'input>] {
        let i = seq
            .iter()
            .position(|s| s.name == name)
            .expect("a slot of this sequence");
        &self.slots[i]
    }
}

/// The text of a simple element, trimmed; an element holding elements is invalid.
fn text_of(node: Node, field: &str) -> Result<String, CapError> {
    if node.children().any(|c| c.is_element()) {
        return Err(CapError::invalid(field, "must hold text, not elements"));
    }
    let text: String = node.children().filter_map(|c| c.text()).collect();
    Ok(text.trim().to_string())
}

/// A simple element's text, required to be non-empty.
fn nonempty(node: Node, field: &str) -> Result<String, CapError> {
    let t = text_of(node, field)?;
    if t.is_empty() {
        return Err(CapError::invalid(field, "is empty"));
    }
    Ok(t)
}

fn enum_of<T>(node: Node, field: &str, parse: fn(&str) -> Option<T>, values: &[&str]) -> Result<T, CapError> {
    let t = text_of(node, field)?;
    parse(&t).ok_or_else(|| CapError::invalid(field, format!("{t:?} is not one of {}", values.join(", "))))
}

/// The schema's `dateTime` restriction: `YYYY-MM-DDThh:mm:ss±hh:mm`, a real date and time.
pub fn parse_time(s: &str) -> Option<DateTime<FixedOffset>> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let shape = b.len() == 25
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && (b[19] == b'+' || b[19] == b'-')
        && digits(20..22)
        && b[22] == b':'
        && digits(23..25);
    if !shape {
        return None;
    }
    DateTime::parse_from_rfc3339(s).ok()
}

fn time_of(node: Node, field: &str) -> Result<DateTime<FixedOffset>, CapError> {
    let t = text_of(node, field)?;
    parse_time(&t).ok_or_else(|| {
        CapError::invalid(
            field,
            format!("{t:?} is not a CAP date and time (YYYY-MM-DDThh:mm:ss±hh:mm, e.g. 2026-12-07T14:30:00+08:00)"),
        )
    })
}

/// `identifier` / `sender`: no whitespace, comma or restricted character.
fn token_of(node: Node, field: &str) -> Result<String, CapError> {
    let t = nonempty(node, field)?;
    if let Some(c) = t
        .chars()
        .find(|c| c.is_whitespace() || matches!(c, ',' | '<' | '&'))
    {
        return Err(CapError::invalid(
            field,
            format!("must not contain {c:?} (no spaces, commas, '<' or '&')"),
        ));
    }
    Ok(t)
}

fn opt_text(kids: &Children, seq: &[Slot], name: &str, path: &str) -> Result<Option<String>, CapError> {
    kids.nodes(seq, name)
        .first()
        .map(|n| text_of(*n, &join(path, name)))
        .transpose()
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn read_alert(root: Node) -> Result<Alert, CapError> {
    if root.tag_name().name() != "alert" {
        return Err(CapError::invalid(
            root.tag_name().name(),
            "the root element must be <alert>",
        ));
    }
    match root.tag_name().namespace() {
        Some(NS) => {}
        Some(
            ns @ ("urn:oasis:names:tc:emergency:cap:1.1"
            | "urn:oasis:names:tc:emergency:cap:1.0"
            | "http://www.incident.com/cap/1.0"),
        ) => {
            return Err(CapError::invalid(
                "alert",
                format!("{ns} is an older CAP version; only CAP 1.2 ({NS}) is taken"),
            ))
        }
        other => {
            return Err(CapError::invalid(
                "alert",
                format!("namespace {:?} is not CAP 1.2 ({NS})", other.unwrap_or("")),
            ))
        }
    }
    no_attributes(root, "alert")?;
    let kids = children(root, "", ALERT, true)?;
    let first = |name: &str| kids.nodes(ALERT, name).first().copied();
    let req = |name: &str| first(name).expect("required slots are checked");
    let identifier = token_of(req("identifier"), "identifier")?;
    let sender = token_of(req("sender"), "sender")?;
    let sent = time_of(req("sent"), "sent")?;
    let status = enum_of(req("status"), "status", Status::parse, Status::VALUES)?;
    let msg_type = enum_of(req("msgType"), "msgType", MsgType::parse, MsgType::VALUES)?;
    let scope = enum_of(req("scope"), "scope", Scope::parse, Scope::VALUES)?;
    let source = opt_text(&kids, ALERT, "source", "")?;
    let restriction = opt_text(&kids, ALERT, "restriction", "")?;
    let addresses = opt_text(&kids, ALERT, "addresses", "")?;
    if scope == Scope::Restricted && restriction.as_deref().is_none_or(str::is_empty) {
        return Err(CapError::invalid(
            "restriction",
            "is required when scope is Restricted",
        ));
    }
    if scope == Scope::Private && addresses.as_deref().is_none_or(str::is_empty) {
        return Err(CapError::invalid(
            "addresses",
            "is required when scope is Private",
        ));
    }
    let codes = kids
        .nodes(ALERT, "code")
        .iter()
        .enumerate()
        .map(|(i, n)| text_of(*n, &format!("code[{i}]")))
        .collect::<Result<_, _>>()?;
    let note = opt_text(&kids, ALERT, "note", "")?;
    let references = match first("references") {
        Some(n) => {
            let refs = references(&text_of(n, "references")?)?;
            if refs.is_empty() {
                return Err(CapError::invalid(
                    "references",
                    "is empty (it lists sender,identifier,sent of earlier messages)",
                ));
            }
            refs
        }
        None => Vec::new(),
    };
    if references.is_empty()
        && matches!(
            msg_type,
            MsgType::Update | MsgType::Cancel | MsgType::Ack | MsgType::Error
        )
    {
        return Err(CapError::invalid(
            "references",
            format!(
                "is required by msgType {} (it names the messages acted on)",
                msg_type.as_str()
            ),
        ));
    }
    let incidents = opt_text(&kids, ALERT, "incidents", "")?;
    let infos = kids
        .nodes(ALERT, "info")
        .iter()
        .enumerate()
        .map(|(i, n)| read_info(*n, &format!("info[{i}]")))
        .collect::<Result<_, _>>()?;
    let signed = kids
        .others
        .iter()
        .any(|n| n.tag_name().namespace() == Some(DSIG_NS) && n.tag_name().name() == "Signature");
    Ok(Alert {
        identifier,
        sender,
        sent,
        status,
        msg_type,
        source,
        scope,
        restriction,
        addresses,
        codes,
        note,
        references,
        incidents,
        infos,
        signed,
    })
}

/// `references`: whitespace-separated `sender,identifier,sent`.
fn references(text: &str) -> Result<Vec<MessageKey>, CapError> {
    text.split_whitespace()
        .enumerate()
        .map(|(i, item)| {
            let bad = |why: &str| CapError::invalid("references", format!("entry {i} ({item:?}) {why}"));
            let parts: Vec<&str> = item.split(',').collect();
            let &[sender, identifier, sent] = parts.as_slice() else {
                return Err(bad("is not sender,identifier,sent"));
            };
            if sender.is_empty() || identifier.is_empty() {
                return Err(bad("has an empty sender or identifier"));
            }
            let sent = parse_time(sent).ok_or_else(|| bad("has a sent that is not a CAP date and time"))?;
            Ok(MessageKey {
                sender: sender.to_string(),
                identifier: identifier.to_string(),
                sent,
            })
        })
        .collect()
}

fn read_info(node: Node, path: &str) -> Result<Info, CapError> {
    let kids = children(node, path, INFO, false)?;
    let f = |name: &str| join(path, name);
    let first = |name: &str| kids.nodes(INFO, name).first().copied();
    let req = |name: &str| first(name).expect("required slots are checked");
    let language = match first("language") {
        Some(n) => {
            let l = text_of(n, &f("language"))?;
            if l.is_empty() {
                "en-US".to_string()
            } else {
                l
            }
        }
        None => "en-US".to_string(),
    };
    let categories = kids
        .nodes(INFO, "category")
        .iter()
        .enumerate()
        .map(|(i, n)| {
            enum_of(
                *n,
                &f(&format!("category[{i}]")),
                Category::parse,
                Category::VALUES,
            )
        })
        .collect::<Result<_, _>>()?;
    let event = nonempty(req("event"), &f("event"))?;
    let response_types = kids
        .nodes(INFO, "responseType")
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let field = f(&format!("responseType[{i}]"));
            let t = text_of(*n, &field)?;
            if RESPONSE_TYPES.contains(&t.as_str()) {
                Ok(t)
            } else {
                Err(CapError::invalid(
                    field,
                    format!("{t:?} is not one of {}", RESPONSE_TYPES.join(", ")),
                ))
            }
        })
        .collect::<Result<_, _>>()?;
    let urgency = enum_of(req("urgency"), &f("urgency"), Urgency::parse, Urgency::VALUES)?;
    let severity = enum_of(req("severity"), &f("severity"), Severity::parse, Severity::VALUES)?;
    let certainty = enum_of(
        req("certainty"),
        &f("certainty"),
        Certainty::parse,
        Certainty::VALUES,
    )?;
    let time = |name: &str| first(name).map(|n| time_of(n, &f(name))).transpose();
    let pairs = |name: &str| -> Result<Vec<NameValue>, CapError> {
        kids.nodes(INFO, name)
            .iter()
            .enumerate()
            .map(|(i, n)| pair(*n, &f(&format!("{name}[{i}]"))))
            .collect()
    };
    Ok(Info {
        categories,
        event,
        response_types,
        urgency,
        severity,
        certainty,
        audience: opt_text(&kids, INFO, "audience", path)?,
        event_codes: pairs("eventCode")?,
        effective: time("effective")?,
        onset: time("onset")?,
        expires: time("expires")?,
        sender_name: opt_text(&kids, INFO, "senderName", path)?,
        headline: opt_text(&kids, INFO, "headline", path)?,
        description: opt_text(&kids, INFO, "description", path)?,
        instruction: opt_text(&kids, INFO, "instruction", path)?,
        web: opt_text(&kids, INFO, "web", path)?,
        contact: opt_text(&kids, INFO, "contact", path)?,
        parameters: pairs("parameter")?,
        resources: kids
            .nodes(INFO, "resource")
            .iter()
            .enumerate()
            .map(|(i, n)| read_resource(*n, &f(&format!("resource[{i}]"))))
            .collect::<Result<_, _>>()?,
        areas: kids
            .nodes(INFO, "area")
            .iter()
            .enumerate()
            .map(|(i, n)| read_area(*n, &f(&format!("area[{i}]"))))
            .collect::<Result<_, _>>()?,
        language,
    })
}

fn pair(node: Node, path: &str) -> Result<NameValue, CapError> {
    let kids = children(node, path, PAIR, false)?;
    Ok(NameValue {
        name: text_of(kids.nodes(PAIR, "valueName")[0], &join(path, "valueName"))?,
        value: text_of(kids.nodes(PAIR, "value")[0], &join(path, "value"))?,
    })
}

fn read_resource(node: Node, path: &str) -> Result<Resource, CapError> {
    let kids = children(node, path, RESOURCE, false)?;
    let size = match opt_text(&kids, RESOURCE, "size", path)? {
        Some(s) => Some(s.parse::<u64>().map_err(|_| {
            CapError::invalid(
                join(path, "size"),
                format!("{s:?} is not a whole number of bytes"),
            )
        })?),
        None => None,
    };
    Ok(Resource {
        desc: text_of(
            kids.nodes(RESOURCE, "resourceDesc")[0],
            &join(path, "resourceDesc"),
        )?,
        mime_type: text_of(kids.nodes(RESOURCE, "mimeType")[0], &join(path, "mimeType"))?,
        size,
        uri: opt_text(&kids, RESOURCE, "uri", path)?,
        digest: opt_text(&kids, RESOURCE, "digest", path)?,
    })
}

fn read_area(node: Node, path: &str) -> Result<Area, CapError> {
    let kids = children(node, path, AREA, false)?;
    let polygons = kids
        .nodes(AREA, "polygon")
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let field = join(path, &format!("polygon[{i}]"));
            polygon(&text_of(*n, &field)?).map_err(|why| CapError::invalid(field, why))
        })
        .collect::<Result<_, _>>()?;
    let circles = kids
        .nodes(AREA, "circle")
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let field = join(path, &format!("circle[{i}]"));
            circle(&text_of(*n, &field)?).map_err(|why| CapError::invalid(field, why))
        })
        .collect::<Result<_, _>>()?;
    let geocodes = kids
        .nodes(AREA, "geocode")
        .iter()
        .enumerate()
        .map(|(i, n)| pair(*n, &join(path, &format!("geocode[{i}]"))))
        .collect::<Result<_, _>>()?;
    let decimal = |name: &str| -> Result<Option<f64>, CapError> {
        match opt_text(&kids, AREA, name, path)? {
            Some(s) => s
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(Some)
                .ok_or_else(|| CapError::invalid(join(path, name), format!("{s:?} is not a decimal number"))),
            None => Ok(None),
        }
    };
    let altitude = decimal("altitude")?;
    let ceiling = decimal("ceiling")?;
    if ceiling.is_some() && altitude.is_none() {
        return Err(CapError::invalid(
            join(path, "ceiling"),
            "needs an altitude (the ceiling is the top of the altitude range)",
        ));
    }
    Ok(Area {
        desc: nonempty(kids.nodes(AREA, "areaDesc")[0], &join(path, "areaDesc"))?,
        polygons,
        circles,
        geocodes,
        altitude,
        ceiling,
    })
}

/// `lat,lon` in WGS 84 degrees, as `(lon, lat)`.
fn point(s: &str) -> Result<(f64, f64), String> {
    let (lat, lon) = s.split_once(',').ok_or_else(|| format!("{s:?} is not lat,lon"))?;
    let lat: f64 = lat
        .trim()
        .parse()
        .map_err(|_| format!("{s:?}: the latitude is not a number"))?;
    let lon: f64 = lon
        .trim()
        .parse()
        .map_err(|_| format!("{s:?}: the longitude is not a number"))?;
    if !(-90.0..=90.0).contains(&lat) {
        return Err(format!("{s:?}: latitude {lat} is outside ±90"));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(format!("{s:?}: longitude {lon} is outside ±180"));
    }
    Ok((lon, lat))
}

/// A polygon: whitespace-separated `lat,lon` pairs, at least four, closed.
pub fn polygon(s: &str) -> Result<Vec<(f64, f64)>, String> {
    let ring = s.split_whitespace().map(point).collect::<Result<Vec<_>, _>>()?;
    if ring.len() < 4 {
        return Err(format!(
            "has {} points; a polygon needs at least 4 (the first repeated last)",
            ring.len()
        ));
    }
    if ring.first() != ring.last() {
        return Err("is not closed (its first and last points differ)".into());
    }
    Ok(ring)
}

/// A circle: `lat,lon radius` (kilometres).
pub fn circle(s: &str) -> Result<Circle, String> {
    let mut parts = s.split_whitespace();
    let (Some(centre), Some(radius), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!("{s:?} is not \"lat,lon radius\""));
    };
    let (lon, lat) = point(centre)?;
    let radius_km: f64 = radius
        .parse()
        .ok()
        .filter(|r: &f64| r.is_finite() && *r >= 0.0)
        .ok_or_else(|| format!("radius {radius:?} is not a distance in km ≥ 0"))?;
    Ok(Circle { lat, lon, radius_km })
}
