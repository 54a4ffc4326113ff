//! `citydeck-tile-server --mbtiles X --assets DIR --listen 127.0.0.1:PORT`: the map handler of the desktop's
//! `citydeck-map` protocol over plain HTTP, for the Chromium UI harness and benchmarks. Same answers, same
//! headers; the style's URLs point at `http://<listen>` (or `--base-url`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use citydeck_tiles::MapServer;
use clap::Parser;

#[derive(Parser)]
#[command(about = "serves the citydeck offline map (style, tiles, glyphs, sprites, districts) over HTTP")]
struct Args {
    /// The MBTiles basemap (`cargo xtask data` builds data/cache/helsinki.mbtiles).
    #[arg(long)]
    mbtiles: PathBuf,
    /// The asset folder (glyphs/, districts.geojson): data/cache/map.
    #[arg(long)]
    assets: PathBuf,
    /// A city's areas file served as the districts instead of the asset folder's (e.g.
    /// data/cache/liechtenstein/areas.geojson).
    #[arg(long)]
    districts: Option<PathBuf>,
    #[arg(long, default_value = "127.0.0.1:8765")]
    listen: SocketAddr,
    /// Base URL written into the style (default `http://<listen>`).
    #[arg(long)]
    base_url: Option<String>,
}

async fn answer(server: Arc<MapServer>, uri: Uri) -> Response {
    let path = uri.path().to_owned();
    let r = tokio::task::spawn_blocking(move || server.handle(&path))
        .await
        .unwrap_or_else(|e| citydeck_tiles::Response {
            status: 500,
            content_type: "text/plain".into(),
            body: e.to_string().into_bytes(),
            headers: vec![("Access-Control-Allow-Origin".into(), "*".into())],
        });
    to_http(r)
}

fn to_http(r: citydeck_tiles::Response) -> Response {
    let mut resp = Response::new(Body::from(r.body));
    *resp.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(&r.content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    for (k, v) in r.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::from_str(&v)) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let base = args.base_url.unwrap_or_else(|| format!("http://{}", args.listen));
    let server =
        Arc::new(MapServer::open(&args.mbtiles, &args.assets, &base)?.with_districts(args.districts));
    let app = axum::Router::new().fallback(move |uri: Uri| answer(server.clone(), uri));
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    eprintln!("citydeck-tile-server: {base}/style.json");
    axum::serve(listener, app).await?;
    Ok(())
}
