//! Issue 21 (城市运行数字体征), first slice, over the real HTTP API on both backends: the hub loads the scenario
//! packs of `--scenarios DIR` and lists their indicators at `GET /api/v1/indicators`; a bad pack stops the start
//! naming the file and the key.

mod common;

use common::{hub, hub_config, scenarios, B};
use serde_json::json;

async fn indicators_are_listed_from_the_packs_for_every_role(b: B) {
    let t = hub_config(b, |c| c.scenarios = Some(scenarios())).await;
    for role in ["leader", "commander", "operator", "field", "admin"] {
        let tok = t.token(role).await;
        let (status, body) = t.get(&tok, "/api/v1/indicators").await;
        assert_eq!(status, 200, "{role}: {body}");
        let list = body["indicators"].as_array().unwrap();
        // as many as the shipped packs declare
        let declared: usize = std::fs::read_dir(scenarios())
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .map(|t| t.matches("[[indicators]]").count())
            .sum();
        assert_eq!(list.len(), declared);
        // pack by pack in file-name order (the overview pack shows other packs' indicators and owns none)
        let mut packs: Vec<&str> = list.iter().map(|i| i["scenario"].as_str().unwrap()).collect();
        packs.dedup();
        assert_eq!(packs, ["lifeline", "safety", "traffic", "weather"]);
        let power = list.iter().find(|i| i["id"] == "power_load").unwrap();
        assert_eq!(
            *power,
            json!({
                "id": "power_load", "name": {"zh": "电力负荷", "en": "Power load"}, "unit": "MW",
                "scenario": "lifeline", "direction": "above",
                "thresholds": {"blue": 35880.0, "yellow": 36900.0, "orange": 37300.0, "red": 37700.0},
                "latest": null,
            })
        );
        let water = list.iter().find(|i| i["id"] == "water_flow").unwrap();
        assert_eq!(water["direction"], "below");
        let ids: Vec<&str> = list.iter().map(|i| i["id"].as_str().unwrap()).collect();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "each indicator once");
    }
    let (status, _) = t
        .http
        .get(t.url("/api/v1/indicators"))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 401, "no token, no indicators");
}

async fn a_hub_without_packs_lists_none(b: B) {
    let t = hub(b).await;
    let tok = t.token("leader").await;
    let (status, body) = t.get(&tok, "/api/v1/indicators").await;
    assert_eq!((status, body), (200, json!({"indicators": []})));
}

async fn a_bad_pack_stops_the_start_naming_the_file_and_the_key(b: B) {
    let dir = tempfile::tempdir().unwrap();
    let packs = dir.path().join("packs");
    std::fs::create_dir(&packs).unwrap();
    for f in ["lifeline.toml", "overview.toml"] {
        std::fs::copy(scenarios().join(f), packs.join(f)).unwrap();
    }
    // red below orange for an `above` indicator
    let text = std::fs::read_to_string(scenarios().join("lifeline.toml"))
        .unwrap()
        .replace("red = 37700", "red = 37000");
    std::fs::write(packs.join("lifeline.toml"), text).unwrap();
    let mut config = common::config(dir.path());
    config.scenarios = Some(packs.clone());
    let err = match citydeck_hub::start_with(config, common::backend(b, dir.path())).await {
        Ok(_) => panic!("a bad pack was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.starts_with(&format!(
            "--scenarios {}: lifeline.toml: indicators[0].thresholds.red",
            packs.display()
        )),
        "{err}"
    );
    // an empty folder is refused too (a typo in the path must not start a hub with no vital signs)
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let mut config = common::config(dir.path());
    config.scenarios = Some(empty);
    let err = match citydeck_hub::start_with(config, common::backend(b, dir.path())).await {
        Ok(_) => panic!("an empty scenarios folder was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("no scenario pack"), "{err}");
}

#[test]
fn citydeck_hub_refuses_a_bad_pack_on_stderr_and_a_missing_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.toml"), "id = \"x\"\nname = 3\n").unwrap();
    for arg in [dir.path().to_path_buf(), dir.path().join("missing")] {
        let stderr = common::hub_refuses(dir.path(), "--scenarios", &arg);
        assert!(
            stderr.contains(&format!("--scenarios {}: ", arg.display())),
            "{stderr}"
        );
    }
}

crate::backends! {
    #[tokio::test] indicators_are_listed_from_the_packs_for_every_role;
    #[tokio::test] a_hub_without_packs_lists_none;
    #[tokio::test] a_bad_pack_stops_the_start_naming_the_file_and_the_key;
}
