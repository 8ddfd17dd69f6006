//! `db.storage()`: uploads, deletes, listing and download URLs (spec §3.19, §8) over the
//! request builders of [`crate::request::storage`].

use crate::prelude::*;
use serde::Deserialize;

use super::{CallOptions, Instant};
use crate::answer;
use crate::error::Result;
use crate::host::{self, Transport};
use crate::http::HttpRequest;
pub use crate::http::{Chunk, ChunkStream, OnProgress, Progress, UploadSource};
pub use crate::models::{StoredFile, Uploaded};
pub use crate::request::storage::*;

impl StoredFile {
    /// The object key `<app-id>/<bin>/<location-id>` the deprecated list route reports as `key`.
    ///
    /// ```
    /// use instant_edge::storage::object_key;
    /// assert_eq!(object_key("a", "b"), "a/8/b"); // "b".hashCode() = 98
    /// ```
    pub fn key(&self, app_id: &str) -> Option<String> {
        self.location_id.as_deref().map(|location| object_key(app_id, location))
    }
}

#[derive(Deserialize)]
struct Data<T> {
    data: T,
}

#[derive(Deserialize)]
struct Deleted {
    id: Option<String>,
}

#[derive(Deserialize)]
struct DeletedMany {
    ids: Vec<String>,
}

/// `db.storage()`: files with the client's configuration, transport and impersonation.
///
/// ```no_run
/// # async fn run(db: instant_edge::Instant) -> instant_edge::Result<()> {
/// use instant_edge::storage::{UploadOptions, UploadSource};
/// let options = UploadOptions { content_type: Some("text/plain".into()), ..Default::default() };
/// db.storage().upload_file("notes/hello.txt", UploadSource::from_text("hello"), &options).await?;
/// let url = db.storage().download_url("notes/hello.txt").await?;
/// db.storage().delete("notes/hello.txt").await?;
/// # let _ = url; Ok(()) }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Storage<'a, T: Transport> {
    db: &'a Instant<T>,
}

impl<T: Transport> Instant<T> {
    /// Storage calls (acting as this handle's user, if any).
    pub fn storage(&self) -> Storage<'_, T> {
        Storage { db: self }
    }
}

impl<T: Transport> Storage<'_, T> {
    async fn send<R: serde::de::DeserializeOwned>(&self, request: HttpRequest) -> Result<R> {
        let json = self.db.call(request, &CallOptions::default()).await?;
        host::decode(json)
    }

    /// Uploads `source` to `path` (replacing what was there): the new file's id.
    pub async fn upload_file(&self, path: &str, source: UploadSource, options: &UploadOptions) -> Result<Uploaded> {
        let request = upload_request(self.db.config(), self.db.who(), path, source, options)?;
        Ok(self.send::<Data<Uploaded>>(request).await?.data)
    }

    /// Deletes the file at `path`: its id, or `None` when there was none.
    pub async fn delete(&self, path: &str) -> Result<Option<String>> {
        let request = delete_request(self.db.config(), self.db.who(), path)?;
        Ok(self.send::<Data<Deleted>>(request).await?.data.id)
    }

    /// Deletes the files at `paths`: the ids actually deleted.
    pub async fn delete_many(&self, paths: &[String]) -> Result<Vec<String>> {
        let request = delete_many_request(self.db.config(), self.db.who(), paths)?;
        Ok(self.send::<Data<DeletedMany>>(request).await?.data.ids)
    }

    /// Every file the caller may see (a `$files` query).
    pub async fn list(&self) -> Result<Vec<StoredFile>> {
        let request = self.db.query_request(&&list_query(), None)?;
        let json = self.db.call(request, &CallOptions::default()).await?;
        answer::rows(&json, "$files").into_iter().map(host::decode).collect()
    }

    /// The download URL of the file at `path`, or `None` (a `$files` query).
    pub async fn download_url(&self, path: &str) -> Result<Option<String>> {
        let request = self.db.query_request(&&file_query(path)?, None)?;
        let json = self.db.call(request, &CallOptions::default()).await?;
        answer::first_url(&json).map(host::decode).transpose().map(Option::flatten)
    }
}
