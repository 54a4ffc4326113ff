//! `citydeck-hub ingest watch`: for deployments that pull, a watcher polls a source and posts what is new to a hub
//! (issue 22): a CAP Atom feed (`--cap-atom URL`: each entry's CAP alert, linked or inline), a folder of CAP files
//! (`--cap-dir DIR`: every `*.xml` / `*.cap` file not posted yet) or a GeoJSON feed (`--geojson URL --feed NAME`:
//! the features not posted yet, to the city's feed NAME). It signs in as a feed account; the hub dedupes
//! anyway (an alert by `(sender, identifier, sent)`, a feature by its id), the watcher only spares it the
//! repeats. A source that fails is logged and tried again next round; it never stops the watcher.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::{json, Value};

/// Where the watcher reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    CapAtom(String),
    CapDir(PathBuf),
    GeoJson { url: String, feed: String },
}

/// A watcher's settings.
#[derive(Clone, Debug)]
pub struct Watch {
    /// The hub's base URL (`http://127.0.0.1:8640`).
    pub hub: String,
    pub username: String,
    pub password: String,
    pub source: Source,
    /// Time between two rounds.
    pub every: Duration,
}

/// What the rounds so far posted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Posted {
    /// Alerts or features posted (each once).
    pub items: u64,
    /// Posts the hub refused (logged; not retried: the hub said why).
    pub refused: u64,
    /// Rounds whose source could not be read (retried next round).
    pub failed_rounds: u64,
}

struct Client {
    http: reqwest::Client,
    hub: String,
    token: String,
}

impl Client {
    async fn login(w: &Watch) -> anyhow::Result<Client> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?;
        let r = http
            .post(format!("{}/api/v1/login", w.hub))
            .json(&json!({"username": w.username, "password": w.password}))
            .send()
            .await
            .with_context(|| format!("reaching the hub at {}", w.hub))?;
        if !r.status().is_success() {
            bail!("the hub refused the login of {}: {}", w.username, r.status());
        }
        let body: Value = r.json().await?;
        let token = body["token"]
            .as_str()
            .context("the login answer has no token")?
            .to_string();
        Ok(Client {
            http,
            hub: w.hub.clone(),
            token,
        })
    }

    /// Posts one CAP alert: whether the hub took it (created, duplicate, updated, cancelled or ignored).
    async fn cap(&self, xml: Vec<u8>, what: &str) -> anyhow::Result<bool> {
        let r = self
            .http
            .post(format!("{}/api/v1/ingest/cap", self.hub))
            .bearer_auth(&self.token)
            .header(reqwest::header::CONTENT_TYPE, "application/cap+xml")
            .body(xml)
            .send()
            .await?;
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            tracing::info!(%what, status = %body["status"], "alert posted");
            Ok(true)
        } else if status.is_client_error() && status.as_u16() != 401 {
            tracing::warn!(%what, %status, field = %body["field"], message = %body["message"], "the hub refused the alert");
            Ok(false)
        } else {
            bail!("the hub answered {status} for {what}: {}", body["message"])
        }
    }

    async fn features(&self, feed: &str, features: Vec<Value>) -> anyhow::Result<bool> {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/api/v1/ingest/geojson", self.hub),
            [("feed", feed)],
        )?;
        let r = self
            .http
            .post(url)
            .bearer_auth(&self.token)
            .json(&json!({"type": "FeatureCollection", "features": features}))
            .send()
            .await?;
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            tracing::info!(feed, created = %body["created"], merged = %body["merged"], duplicates = %body["duplicates"], "features posted");
            Ok(true)
        } else if status.is_client_error() && status.as_u16() != 401 {
            tracing::warn!(feed, %status, field = %body["field"], message = %body["message"], "the hub refused the features");
            Ok(false)
        } else {
            bail!("the hub answered {status} for feed {feed}: {}", body["message"])
        }
    }
}

/// What the watcher has posted already (by entry, file or feature).
#[derive(Default)]
struct Seen(HashSet<String>);

/// Runs the watcher: `rounds` rounds (`None`: until the future is dropped), [`Watch::every`] apart.
pub async fn run(w: Watch, rounds: Option<u64>) -> anyhow::Result<Posted> {
    let client = Client::login(&w).await?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let mut seen = Seen::default();
    let mut posted = Posted::default();
    let mut round = 0;
    loop {
        if let Err(e) = one_round(&w, &client, &http, &mut seen, &mut posted).await {
            posted.failed_rounds += 1;
            tracing::warn!("watch round failed, trying again in {:?}: {e:#}", w.every);
        }
        round += 1;
        if rounds.is_some_and(|r| round >= r) {
            return Ok(posted);
        }
        tokio::time::sleep(w.every).await;
    }
}

async fn one_round(
    w: &Watch,
    client: &Client,
    http: &reqwest::Client,
    seen: &mut Seen,
    posted: &mut Posted,
) -> anyhow::Result<()> {
    let mut count = |taken: bool| {
        if taken {
            posted.items += 1;
        } else {
            posted.refused += 1;
        }
    };
    match &w.source {
        Source::CapDir(dir) => {
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
                .with_context(|| format!("reading {}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "xml" || x == "cap"))
                .collect();
            files.sort();
            for f in files {
                let modified = std::fs::metadata(&f).and_then(|m| m.modified()).ok();
                let key = format!("{}@{modified:?}", f.display());
                if seen.0.contains(&key) {
                    continue;
                }
                let bytes = std::fs::read(&f).with_context(|| format!("reading {}", f.display()))?;
                count(client.cap(bytes, &f.display().to_string()).await?);
                seen.0.insert(key);
            }
        }
        Source::CapAtom(url) => {
            let text = get(http, url).await?;
            for entry in atom_entries(&text, url)? {
                if seen.0.contains(&entry.key) {
                    continue;
                }
                let xml = match entry.alert {
                    Alert::Inline(xml) => xml.into_bytes(),
                    Alert::Link(href) => get(http, &href).await?.into_bytes(),
                };
                count(client.cap(xml, &entry.key).await?);
                seen.0.insert(entry.key);
            }
        }
        Source::GeoJson { url, feed } => {
            let text = get(http, url).await?;
            let body: Value = serde_json::from_str(&text).with_context(|| format!("{url} is not JSON"))?;
            let features = body["features"]
                .as_array()
                .with_context(|| format!("{url} has no features"))?;
            let new: Vec<(String, Value)> = features
                .iter()
                .map(|f| (f["id"].to_string() + &f["properties"].to_string(), f.clone()))
                .filter(|(k, _)| !seen.0.contains(k))
                .collect();
            if !new.is_empty() {
                let n = new.len() as u64;
                let (keys, features): (Vec<String>, Vec<Value>) = new.into_iter().unzip();
                if client.features(feed, features).await? {
                    posted.items += n;
                } else {
                    posted.refused += n;
                }
                seen.0.extend(keys);
            }
        }
    }
    Ok(())
}

async fn get(http: &reqwest::Client, url: &str) -> anyhow::Result<String> {
    let r = http
        .get(url)
        .send()
        .await
        .with_context(|| format!("fetching {url}"))?;
    if !r.status().is_success() {
        bail!("{url} answered {}", r.status());
    }
    Ok(r.text().await?)
}

enum Alert {
    Inline(String),
    Link(String),
}

struct Entry {
    key: String,
    alert: Alert,
}

/// An Atom feed's entries with their CAP alert: the `<alert>` inside `<content>`, else the link of type
/// `application/cap+xml` (else the `alternate` one, else the first), resolved against the feed's URL.
fn atom_entries(text: &str, base: &str) -> anyhow::Result<Vec<Entry>> {
    const ATOM: &str = "http://www.w3.org/2005/Atom";
    let doc = roxmltree::Document::parse_with_options(
        text,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: 1_000_000,
        },
    )
    .context("the feed is not XML")?;
    let base = reqwest::Url::parse(base)?;
    let mut out = Vec::new();
    for entry in doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name((ATOM, "entry")))
    {
        let id = entry
            .children()
            .find(|n| n.has_tag_name((ATOM, "id")))
            .and_then(|n| n.text())
            .map(str::trim)
            .map(str::to_string);
        let inline = entry
            .children()
            .find(|n| n.has_tag_name((ATOM, "content")))
            .and_then(|c| {
                c.children()
                    .find(|n| n.is_element() && n.tag_name().name() == "alert")
            })
            .map(|alert| text[alert.range()].to_string());
        let links: Vec<_> = entry
            .children()
            .filter(|n| n.has_tag_name((ATOM, "link")))
            .collect();
        let link = links
            .iter()
            .find(|l| l.attribute("type").is_some_and(|t| t.contains("cap")))
            .or_else(|| {
                links
                    .iter()
                    .find(|l| l.attribute("rel").is_none_or(|r| r == "alternate"))
            })
            .or(links.first())
            .and_then(|l| l.attribute("href"))
            .map(|h| base.join(h).map(|u| u.to_string()))
            .transpose()?;
        let alert = match (inline, link.clone()) {
            (Some(xml), _) => Alert::Inline(xml),
            (None, Some(href)) => Alert::Link(href),
            (None, None) => continue,
        };
        out.push(Entry {
            key: id.or(link).unwrap_or_default(),
            alert,
        });
    }
    Ok(out)
}
