fn main() {
    // The one Tauri config is the repo-root tauri.conf.json.
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("tauri build script failed");
}
