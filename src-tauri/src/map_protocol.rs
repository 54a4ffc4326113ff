//! The `citydeck-map` custom protocol: the offline map (style, vector tiles, glyphs, sprites, districts) served
//! to the webview from the MBTiles basemap and the asset folder named in [`crate::settings::MapSettings`],
//! through [`citydeck_tiles::MapServer::handle`] — zero network requests.
//!
//! URLs: `citydeck-map://localhost/<path>` on Linux and macOS, `http://citydeck-map.localhost/<path>` on
//! Windows and Android (see [`BASE_URL`]); the paths and status codes are documented in `citydeck_tiles`.
//! Each request is answered from a blocking thread (SQLite and file reads never run on the main thread). The
//! map files are opened on the first request; if they are missing every answer is a 503 saying why.
//! Every answer carries `Access-Control-Allow-Origin: *`: the page (`tauri://localhost`) and MapLibre's web
//! workers fetch cross-origin.

use std::sync::{Arc, OnceLock};

use citydeck_tiles::{MapServer, Response};
use tauri::http;

/// The URI scheme.
pub const SCHEME: &str = "citydeck-map";

/// The base URL the webview uses for [`SCHEME`] on this platform.
pub const BASE_URL: &str = if cfg!(any(windows, target_os = "android")) {
    "http://citydeck-map.localhost"
} else {
    "citydeck-map://localhost"
};

type Server = Arc<Result<MapServer, String>>;

fn server() -> Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            let opened = crate::settings::MapSettings::load()
                .and_then(|m| {
                    MapServer::open(&m.mbtiles, &m.assets, BASE_URL).map(|s| s.with_districts(m.districts))
                })
                .map_err(|e| format!("{e:#}"));
            if let Err(e) = &opened {
                tracing::warn!("citydeck-map: the offline map is unavailable: {e}");
            }
            Arc::new(opened)
        })
        .clone()
}

/// Answers one request of the protocol (any thread).
pub fn answer(method: &http::Method, path: &str) -> Response {
    let cors = vec![
        ("Access-Control-Allow-Origin".to_owned(), "*".to_owned()),
        (
            "Access-Control-Allow-Methods".to_owned(),
            "GET, HEAD, OPTIONS".to_owned(),
        ),
        ("Access-Control-Allow-Headers".to_owned(), "*".to_owned()),
        (
            "Access-Control-Expose-Headers".to_owned(),
            "Access-Control-Allow-Origin".to_owned(),
        ),
    ];
    if method == http::Method::OPTIONS {
        return Response {
            status: 204,
            content_type: "text/plain".into(),
            body: Vec::new(),
            headers: cors,
        };
    }
    if method != http::Method::GET && method != http::Method::HEAD {
        return Response {
            status: 405,
            content_type: "text/plain".into(),
            body: b"GET only\n".to_vec(),
            headers: cors,
        };
    }
    match &*server() {
        Ok(s) => {
            let mut r = s.handle(path);
            if method == http::Method::HEAD {
                r.body.clear();
            }
            r
        }
        Err(e) => Response {
            status: 503,
            content_type: "text/plain; charset=utf-8".into(),
            body: format!("offline map unavailable: {e}\n").into_bytes(),
            headers: cors,
        },
    }
}

fn to_http(r: Response) -> http::Response<Vec<u8>> {
    let mut b = http::Response::builder()
        .status(r.status)
        .header(http::header::CONTENT_TYPE, r.content_type);
    for (k, v) in r.headers {
        b = b.header(k, v);
    }
    b.body(r.body).unwrap_or_else(|_| {
        let mut fallback = http::Response::new(b"bad response\n".to_vec());
        *fallback.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}

/// The handler to pass to `register_asynchronous_uri_scheme_protocol(SCHEME, handler())`.
pub fn handler<R: tauri::Runtime>(
) -> impl Fn(tauri::UriSchemeContext<'_, R>, http::Request<Vec<u8>>, tauri::UriSchemeResponder)
       + Send
       + Sync
       + 'static {
    |_ctx, request, responder| {
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        tauri::async_runtime::spawn_blocking(move || {
            responder.respond(to_http(answer(&method, &path)));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preflight_and_other_methods_answer_without_touching_the_map() {
        let r = answer(&http::Method::OPTIONS, "/tiles/0/0/0.pbf");
        assert_eq!(r.status, 204);
        assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"));
        let r = answer(&http::Method::POST, "/style.json");
        assert_eq!(r.status, 405);
        assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"));
        let h = to_http(r);
        assert_eq!(h.status(), 405);
        assert_eq!(h.headers()["access-control-allow-origin"], "*");
        assert_eq!(h.headers()["content-type"], "text/plain");
    }
}
