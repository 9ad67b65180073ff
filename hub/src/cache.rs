//! An in-process cache of `getTag` and `listTags` answers, the hot read paths, kept encoded
//! (`Value::Encoded`) so that a hit is sent without copying or encoding the value again.
//!
//! Entries carry the generation they were read at. The generation moves when this hub commits a
//! change to tags, and when any hub does (a `kiln_tags` notification). The cache is used only
//! while the notification connection is up, so a change made through another hub is never
//! missed for longer than its notification takes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use common::xmlrpc::{Value, encode_value};

use crate::scheduler::Wakeups;

/// How many `getTag` answers are kept before the cache starts over.
const MAX_ENTRIES: usize = 20_000;

/// What a cached `getTag` answer depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TagKey {
    /// `tagInfo` as given: an id or a name.
    pub info: String,
    /// `strict`.
    pub strict: bool,
    /// `blocked`.
    pub blocked: bool,
}

/// The cache.
#[derive(Debug, Default)]
pub struct TagCache {
    local: AtomicU64,
    hits: AtomicU64,
    entries: Mutex<HashMap<TagKey, (u64, Value)>>,
    listing: Mutex<Option<(u64, Value)>>,
}

impl TagCache {
    /// The current generation, or `None` when the cache must not be used.
    pub fn generation(&self, wakeups: &Wakeups) -> Option<u64> {
        wakeups.is_listening().then(|| {
            self.local
                .load(Ordering::Acquire)
                .wrapping_add(wakeups.tag_generation())
        })
    }

    /// Forgets everything (after this hub committed a change to tags).
    pub fn invalidate(&self) {
        self.local.fetch_add(1, Ordering::AcqRel);
    }

    /// A cached `getTag` answer still valid at `generation`.
    pub fn get(&self, key: &TagKey, generation: u64) -> Option<Value> {
        let entries = self.entries.lock().ok()?;
        let found = entries
            .get(key)
            .filter(|(g, _)| *g == generation)
            .map(|(_, v)| v.clone());
        if found.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        found
    }

    /// How many answers came from the cache (for tests and diagnostics).
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Stores a `getTag` answer read at `generation`, encoded once, and returns what to send.
    pub fn put(&self, key: TagKey, generation: u64, value: &Value) -> Value {
        let encoded = encode_value(value);
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.retain(|_, (g, _)| *g == generation);
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(key, (generation, encoded.clone()));
        }
        encoded
    }

    /// The cached answer of an unfiltered `listTags()`, already encoded (`Value::Encoded`): a
    /// hit copies a pointer, not thousands of tags.
    pub fn get_listing(&self, generation: u64) -> Option<Value> {
        let listing = self.listing.lock().ok()?;
        let found = listing
            .as_ref()
            .filter(|(g, _)| *g == generation)
            .map(|(_, v)| v.clone());
        if found.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        found
    }

    /// Stores the answer of an unfiltered `listTags()` read at `generation`, encoded once, and
    /// returns what to send.
    pub fn put_listing(&self, generation: u64, value: &Value) -> Value {
        let encoded = encode_value(value);
        if let Ok(mut listing) = self.listing.lock() {
            *listing = Some((generation, encoded.clone()));
        }
        encoded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_die_with_their_generation() {
        let cache = TagCache::default();
        let key = TagKey {
            info: "f40".into(),
            strict: false,
            blocked: false,
        };
        let plain = |v: Option<Value>| v.map(Value::into_decoded);
        let sent = cache.put(key.clone(), 7, &Value::Int(1));
        assert!(matches!(sent, Value::Encoded(_)), "kept and sent encoded");
        assert_eq!(plain(cache.get(&key, 7)), Some(Value::Int(1)));
        assert_eq!(cache.get(&key, 8), None);
        let _ = cache.put_listing(3, &Value::Array(vec![]));
        assert_eq!(plain(cache.get_listing(3)), Some(Value::Array(vec![])));
        assert_eq!(cache.get_listing(4), None);
    }
}
