//! Uploaded file contents: the emulator's object storage (spec §8.1), kept on the [`App`] so a
//! request's copy-on-write covers the bytes too. The routes and the `$files` rows that point
//! at the objects are in [`crate::storage`].

use std::collections::{BTreeSet, HashMap};

use axum::body::Bytes;

use super::App;

/// One stored object: the bytes with the metadata S3 would keep beside them.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredObject {
    /// The file contents.
    pub bytes: Bytes,
    /// `Content-Type` to serve it with.
    pub content_type: String,
    /// `Content-Disposition` to serve it with.
    pub content_disposition: String,
}

/// An app's objects by location-id.
pub type Objects = HashMap<String, StoredObject>;

impl App {
    /// Drops every object no `$files` row points at (replaced by a re-upload, or deleted through a
    /// storage route or a transaction).
    pub fn sweep_objects(&mut self) {
        if self.objects.is_empty() {
            return;
        }
        let Some(attr) = self.attrs.fwd("$files", "location-id") else {
            self.objects.clear();
            return;
        };
        let live: BTreeSet<&str> = self
            .triples
            .entities_with(attr.id)
            .flat_map(|file| self.triples.values(file, attr.id))
            .filter_map(|stored| stored.value.as_str())
            .collect();
        let dead: Vec<String> = self.objects.keys().filter(|key| !live.contains(key.as_str())).cloned().collect();
        for key in dead {
            self.objects.remove(&key);
        }
    }
}
