//! The demo accounts' shared password: the hub creates the accounts with it (`--demo`), the simulator and the
//! embedded desktop log in with it. Only the process environment is read.

/// Overrides the demo password (an empty value counts as unset).
pub const DEMO_PASSWORD_ENV: &str = "CITYDECK_DEMO_PASSWORD";
pub const DEMO_PASSWORD_DEFAULT: &str = "citydeck-demo";

/// `$CITYDECK_DEMO_PASSWORD`, or [`DEMO_PASSWORD_DEFAULT`] when it is unset or empty.
pub fn demo_password() -> String {
    std::env::var(DEMO_PASSWORD_ENV)
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| DEMO_PASSWORD_DEFAULT.into())
}
