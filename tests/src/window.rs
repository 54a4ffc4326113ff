//! The real `citydeck` window (Tauri + WebKitGTK) driven through tauri-driver / WebKitWebDriver, for the
//! end-to-end window tests and the map benchmark. Needs a display (Xvfb), `tauri-driver` and
//! `WebKitWebDriver` (`cargo xtask setup` installs them).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::ClientBuilder;

use crate::{binary, repo_root, DEMO_PASSWORD};

pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: after SIGKILL WebKitWebDriver keeps the pipes open and the run hangs (BUILD.md).
        unsafe {
            libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM);
        }
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub async fn wait_for_text(
    c: &fantoccini::Client,
    css: &str,
    text: &str,
    timeout: Duration,
) -> Result<(), String> {
    let start = std::time::Instant::now();
    let mut last = String::new();
    while start.elapsed() < timeout {
        // textContent, not the WebDriver "visible text": a long title is ellipsized on screen but is there.
        let script = "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';";
        if let Ok(v) = c.execute(script, vec![serde_json::json!(css)]).await {
            last = v.as_str().unwrap_or_default().to_string();
            if last.contains(text) {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(format!(
        "{text:?} did not appear in {css} within {timeout:?}; it showed: {last:.400}"
    ))
}

/// A `citydeck` window opened through tauri-driver, signed in to `hub_url` as `user`, acking as `screen`, on
/// central Helsinki ([`crate::helsinki_city`]).
pub struct Window {
    pub c: fantoccini::Client,
    pub _driver: Driver,
}

pub async fn open_window(hub_url: &str, user: &str, screen: &str, data_dir: &std::path::Path) -> Window {
    open_app(&binary("citydeck"), hub_url, user, screen, data_dir).await
}

/// [`open_window`] for the desktop binary at `app` (e.g. from a benchmark that is not a test executable).
pub async fn open_app(
    app: &std::path::Path,
    hub_url: &str,
    user: &str,
    screen: &str,
    data_dir: &std::path::Path,
) -> Window {
    open_app_traced(app, hub_url, user, screen, data_dir, None).await
}

/// [`open_app`], with tauri-driver and everything it starts (WebKitWebDriver, the app, WebKit's web and
/// network processes) run under `strace -f -e trace=connect` writing to `trace`: every socket connection the
/// desktop makes is on record.
pub async fn open_app_traced(
    app: &std::path::Path,
    hub_url: &str,
    user: &str,
    screen: &str,
    data_dir: &std::path::Path,
    trace: Option<&std::path::Path>,
) -> Window {
    let city = crate::helsinki_city();
    let env: [(&str, &std::ffi::OsStr); 6] = [
        ("CITYDECK_CITY", city.as_os_str()),
        ("CITYDECK_HUB_URL", hub_url.as_ref()),
        ("CITYDECK_USER", user.as_ref()),
        ("CITYDECK_PASSWORD", DEMO_PASSWORD.as_ref()),
        ("CITYDECK_DATA_DIR", data_dir.as_os_str()),
        ("CITYDECK_SCREEN", screen.as_ref()),
    ];
    open_app_env(app, &env, trace).await
}

/// Opens the desktop at `app` with exactly the `CITYDECK_*` settings in `env` (any other `CITYDECK_*` variable
/// of this process is removed, so e.g. no `CITYDECK_HUB_URL` means the embedded hub), optionally traced (see
/// [`open_app_traced`]).
pub async fn open_app_env(
    app: &std::path::Path,
    env: &[(&str, &std::ffi::OsStr)],
    trace: Option<&std::path::Path>,
) -> Window {
    let port = free_port();
    let native_port = free_port();
    // Traced: the application WebKitWebDriver starts is a wrapper running the desktop under strace (tracing
    // tauri-driver itself makes WebKitWebDriver lose the application).
    let app = match trace {
        Some(file) => {
            let wrapper = file.with_extension("sh");
            let script = format!(
                "#!/bin/sh\nexec strace -f -qq --seccomp-bpf -e trace=connect -o '{}' '{}' \"$@\"\n",
                file.display(),
                app.display()
            );
            std::fs::write(&wrapper, script).expect("writing the strace wrapper");
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))
                .expect("chmod the strace wrapper");
            wrapper
        }
        None => app.to_path_buf(),
    };
    let mut cmd = Command::new("tauri-driver");
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("CITYDECK_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    let driver = Driver(
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tauri-driver not found: `cargo xtask setup` installs it"),
    );
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), "wry".into());
    caps.insert("tauri:options".into(), serde_json::json!({ "application": app }));
    for _ in 0..100 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return Window { c, _driver: driver },
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    panic!("could not open a WebDriver session on the citydeck window");
}

/// Polls a JavaScript expression in the window until it is true.
pub async fn wait_js(
    c: &fantoccini::Client,
    expr: &str,
    what: &str,
    timeout: Duration,
) -> Result<(), String> {
    let start = std::time::Instant::now();
    let script = format!("return !!({expr});");
    while start.elapsed() < timeout {
        if let Ok(v) = c.execute(&script, vec![]).await {
            if v.as_bool() == Some(true) {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!("{what}: `{expr}` not true within {timeout:?}"))
}

/// [`wait_js`], but on a timeout the error also carries the value of `explain` (a JavaScript expression
/// describing the page's state), so a failure on CI says what the window was showing instead.
pub async fn wait_js_explained(
    c: &fantoccini::Client,
    expr: &str,
    what: &str,
    timeout: Duration,
    explain: &str,
) -> Result<(), String> {
    match wait_js(c, expr, what, timeout).await {
        Ok(()) => Ok(()),
        Err(e) => {
            let state = match c
                .execute(
                    &format!("try {{ return ({explain}); }} catch (e) {{ return 'explain threw: ' + e; }}"),
                    vec![],
                )
                .await
            {
                Ok(v) => v.to_string(),
                Err(err) => format!("(the page did not answer: {err})"),
            };
            Err(format!("{e}\nthe window's state: {state}"))
        }
    }
}

/// Closes the session and the driver, then fails the test with `result`'s error, if any.
/// A failed test leaves a screenshot of its window in `artifacts/failed-<test>.png`.
pub async fn finish(c: fantoccini::Client, driver: Driver, result: Result<(), String>) {
    if result.is_err() {
        let test = std::thread::current()
            .name()
            .unwrap_or("window")
            .replace("::", "-");
        if save_screenshot(&c, &format!("failed-{test}.png")).await.is_ok() {
            eprintln!("the window at the failure: artifacts/failed-{test}.png");
        }
    }
    let _ = c.close().await;
    drop(driver);
    if let Err(e) = result {
        panic!("{e}");
    }
}

pub async fn js(c: &fantoccini::Client, script: &str) -> Result<serde_json::Value, String> {
    c.execute(script, vec![]).await.map_err(|e| e.to_string())
}

/// Clicks the element `css` matches (by script, as the tests' other clicks): waits for it first, and asks once
/// more if WebKitWebDriver answers the script with an error that carries no message (seen once in CI on a row
/// click: WebKitWebDriver's own hiccup; a user would click again). A missing element or a script error with a
/// message fails at once.
pub async fn click_css(c: &fantoccini::Client, css: &str) -> Result<(), String> {
    let sel = serde_json::to_string(css).map_err(|e| e.to_string())?;
    wait_js(
        c,
        &format!("document.querySelector({sel})"),
        &format!("{css} on screen"),
        Duration::from_secs(10),
    )
    .await?;
    let script = format!("document.querySelector({sel}).click(); return true;");
    match js(c, &script).await {
        Err(e) if e.trim_end().ends_with("webdriver returned error:") => {
            eprintln!("WebKitWebDriver answered the click on {css} with an empty error: clicking once more");
            js(c, &script).await.map(|_| ())
        }
        r => r.map(|_| ()),
    }
}

pub async fn save_screenshot(c: &fantoccini::Client, name: &str) -> Result<(), String> {
    let png = c.screenshot().await.map_err(|e| e.to_string())?;
    let out = repo_root().join("artifacts");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    std::fs::write(out.join(name), png).map_err(|e| e.to_string())
}
