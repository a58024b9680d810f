//! The configuration in force, on the audit record. `signet.toml` is edited outside signet, so
//! each start compares the policy it loaded (profiles, certificate URLs, role separation, weak-key
//! lists) with the newest one recorded and, when they differ, appends a `config.change` entry
//! naming what changed and holding the whole policy. A profile switched from manager approval to
//! auto, or a validity raised, is on the record with the time it took effect.

use serde::Serialize;
use serde_json::{Map, Value, json};
use signet_issuance::{Profile, Urls, WeakKeys};
use signet_model::Clock;
use signet_store::Store;
use signet_store::audit::AuditEvent;

use crate::error::AuthorityResult;

/// What changed in the configuration since the last recorded one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ConfigurationChange {
    /// SHA-256 of the policy now in force (canonical JSON).
    pub sha256: String,
    /// SHA-256 of the one recorded before; `None` on the first start.
    pub previous_sha256: Option<String>,
    /// Profiles that are new.
    pub profiles_added: Vec<String>,
    /// Profiles that are gone.
    pub profiles_removed: Vec<String>,
    /// Profiles whose settings changed.
    pub profiles_changed: Vec<String>,
    /// Other settings that changed (`urls`, `strict_role_separation`, `weak_keys`).
    pub settings_changed: Vec<String>,
}

impl ConfigurationChange {
    /// One line for the operator, e.g. "profiles changed: server; settings changed: urls".
    pub fn summary(&self) -> String {
        if self.previous_sha256.is_none() {
            return "first configuration recorded".into();
        }
        let parts = [
            ("profiles added", &self.profiles_added),
            ("profiles removed", &self.profiles_removed),
            ("profiles changed", &self.profiles_changed),
            ("settings changed", &self.settings_changed),
        ];
        let said: Vec<String> = parts
            .iter()
            .filter(|(_, names)| !names.is_empty())
            .map(|(what, names)| format!("{what}: {}", names.join(", ")))
            .collect();
        said.join("; ")
    }
}

/// The policy as canonical JSON: profiles by name, then the other settings.
fn policy(
    profiles: &[&Profile],
    urls: &Urls,
    strict_role_separation: bool,
    weak_keys: &WeakKeys,
) -> AuthorityResult<Value> {
    let mut by_name = Map::new();
    let mut sorted = profiles.to_vec();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    for profile in sorted {
        let value = serde_json::to_value(profile)
            .map_err(|e| crate::error::AuthorityError::new(crate::Kind::Internal, e.to_string()))?;
        by_name.insert(profile.name.clone(), value);
    }
    let files: Vec<String> = weak_keys.files().iter().map(|f| f.display().to_string()).collect();
    let mut url_settings = json!({"base": urls.base, "ocsp": urls.ocsp});
    // Partitions change the URLs certificates name; recorded only when a CA has any, so
    // configurations from before partitioning read the same.
    if !urls.crl_shards.is_empty()
        && let Some(map) = url_settings.as_object_mut()
    {
        map.insert("crl_shards".into(), json!(urls.crl_shards));
    }
    Ok(json!({
        "profiles": by_name,
        "urls": url_settings,
        "strict_role_separation": strict_role_separation,
        "weak_keys": {"files": files, "keys": weak_keys.len()},
    }))
}

/// A member of a JSON object, or null.
fn field<'a>(value: &'a Value, key: &str) -> &'a Value {
    value.get(key).unwrap_or(&Value::Null)
}

/// Names (members of two JSON objects) added in `now`, gone from `before`, and changed.
fn compare(before: &Value, now: &Value) -> (Vec<String>, Vec<String>, Vec<String>) {
    let empty = Map::new();
    let before = before.as_object().unwrap_or(&empty);
    let now = now.as_object().unwrap_or(&empty);
    let added = now.keys().filter(|k| !before.contains_key(*k)).cloned().collect();
    let removed = before.keys().filter(|k| !now.contains_key(*k)).cloned().collect();
    let changed =
        now.iter().filter(|(k, v)| before.get(*k).is_some_and(|old| old != *v)).map(|(k, _)| k.clone()).collect();
    (added, removed, changed)
}

/// Records the policy in force if it differs from the newest recorded one; answers what changed.
pub(crate) async fn record(
    store: &dyn Store,
    clock: &dyn Clock,
    profiles: &[&Profile],
    urls: &Urls,
    strict_role_separation: bool,
    weak_keys: &WeakKeys,
) -> AuthorityResult<Option<ConfigurationChange>> {
    let policy = policy(profiles, urls, strict_role_separation, weak_keys)?;
    let sha256 = signet_codec::public_key::sha256_hex(policy.to_string().as_bytes());
    let last: Option<Value> =
        store.last_config_change().await?.and_then(|record| serde_json::from_str(&record.event.details).ok());
    let previous_sha256 = last.as_ref().and_then(|l| field(l, "sha256").as_str()).map(str::to_string);
    if previous_sha256.as_deref() == Some(sha256.as_str()) {
        return Ok(None);
    }
    let mut change = ConfigurationChange { sha256, previous_sha256, ..Default::default() };
    if let Some(last) = &last {
        let before = field(last, "policy");
        (change.profiles_added, change.profiles_removed, change.profiles_changed) =
            compare(field(before, "profiles"), field(&policy, "profiles"));
        change.settings_changed = ["urls", "strict_role_separation", "weak_keys"]
            .into_iter()
            .filter(|key| field(before, key) != field(&policy, key))
            .map(str::to_string)
            .collect();
    }
    let mut details = serde_json::to_value(&change).unwrap_or_default();
    if let Some(fields) = details.as_object_mut() {
        fields.insert("policy".into(), policy);
    }
    let event = AuditEvent::new(clock.now(), "system", "config.change", "config", details);
    store.append_audit(vec![event]).await?;
    Ok(Some(change))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_compared_by_name() {
        let before = json!({"server": {"approval": "manager"}, "client": {"approval": "auto"}, "old": {}});
        let now = json!({"server": {"approval": "auto"}, "client": {"approval": "auto"}, "new": {}});
        let (added, removed, changed) = compare(&before, &now);
        assert_eq!(
            (added, removed, changed),
            (vec!["new".to_string()], vec!["old".to_string()], vec!["server".to_string()])
        );
    }

    #[test]
    fn the_summary_names_each_kind_of_change() {
        let change = ConfigurationChange {
            previous_sha256: Some("ab".into()),
            profiles_changed: vec!["server".into()],
            settings_changed: vec!["urls".into()],
            ..Default::default()
        };
        assert_eq!(change.summary(), "profiles changed: server; settings changed: urls");
        assert_eq!(ConfigurationChange::default().summary(), "first configuration recorded");
    }
}
