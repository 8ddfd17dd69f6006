//! Storage: uploads from bytes, text, the host's own objects or a chunk stream, with progress;
//! deletes; listing and download URLs through `$files` queries, so they honour `as_user`
//! (spec §3.19, §8). Request building is pure; [`Storage`] sends through the client.

use std::cell::RefCell;
use std::fmt;
use std::pin::Pin;
use std::rc::Rc;

use futures_core::Stream;
use serde::Deserialize;

use crate::client::{CallOptions, Instant};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::request::{admin_url, headers, HttpRequest, Impersonation};
use crate::transport::{self, HostBody, Transport};
use crate::Value;

/// A chunk stream's item: bytes, or why the source failed.
pub type Chunk = std::result::Result<Vec<u8>, String>;

type BoxedChunks = Pin<Box<dyn Stream<Item = Chunk>>>;

/// Where an upload's bytes come from.
///
/// ```
/// use instant_edge::storage::UploadSource;
/// assert_eq!(UploadSource::from_text("hello").size(), Some(5));
/// assert_eq!(UploadSource::from_bytes(vec![1, 2, 3]).size(), Some(3));
/// ```
#[derive(Clone)]
pub enum UploadSource {
    /// Bytes in Rust memory.
    Bytes(Rc<[u8]>),
    /// A body the host already holds (a `Blob`, `ArrayBuffer`, typed array or `ReadableStream`
    /// on wasm32): handed to `fetch` as is, never copied into wasm memory.
    Host(HostBody),
    /// Chunks pulled one at a time while the request is sent; readable once.
    Stream(ChunkStream),
}

/// A one-shot chunk stream (clones share it; the transport takes it when sending).
#[derive(Clone)]
pub struct ChunkStream(Rc<RefCell<Option<BoxedChunks>>>);

impl ChunkStream {
    /// Takes the stream out; `None` once taken.
    pub fn take(&self) -> Option<BoxedChunks> {
        self.0.borrow_mut().take()
    }
}

impl UploadSource {
    /// Uploads these bytes.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> UploadSource {
        UploadSource::Bytes(Rc::from(bytes.into()))
    }

    /// Uploads this text as UTF-8.
    pub fn from_text(text: impl Into<String>) -> UploadSource {
        UploadSource::Bytes(Rc::from(text.into().into_bytes()))
    }

    /// Uploads the chunks of `stream` as they come; an `Err` item aborts the upload.
    ///
    /// ```
    /// use instant_edge::storage::UploadSource;
    /// struct Once(Option<Vec<u8>>);
    /// impl futures_core::Stream for Once {
    ///     type Item = Result<Vec<u8>, String>;
    ///     fn poll_next(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Option<Self::Item>> {
    ///         std::task::Poll::Ready(self.0.take().map(Ok))
    ///     }
    /// }
    /// let source = UploadSource::from_stream(Once(Some(b"hi".to_vec())));
    /// assert_eq!(source.size(), None);
    /// ```
    pub fn from_stream<S, E>(stream: S) -> UploadSource
    where
        S: Stream<Item = std::result::Result<Vec<u8>, E>> + 'static,
        E: fmt::Display,
    {
        let mapped = MapErr(Box::pin(stream));
        UploadSource::Stream(ChunkStream(Rc::new(RefCell::new(Some(Box::pin(mapped))))))
    }

    /// A body the host holds.
    pub fn from_host(body: HostBody) -> UploadSource {
        UploadSource::Host(body)
    }

    /// The size in bytes, when known before sending.
    pub fn size(&self) -> Option<u64> {
        match self {
            UploadSource::Bytes(bytes) => Some(bytes.len() as u64),
            UploadSource::Host(body) => body.size(),
            UploadSource::Stream(_) => None,
        }
    }

    /// Whether the bytes can be sent a second time (a retry).
    pub fn replayable(&self) -> bool {
        match self {
            UploadSource::Bytes(_) => true,
            UploadSource::Host(body) => body.replayable(),
            UploadSource::Stream(_) => false,
        }
    }
}

impl fmt::Debug for UploadSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UploadSource::Bytes(bytes) => write!(f, "Bytes({} bytes)", bytes.len()),
            UploadSource::Host(_) => f.write_str("Host"),
            UploadSource::Stream(_) => f.write_str("Stream"),
        }
    }
}

/// Maps a stream's error to its message (the stream boxed, so polling it needs no `unsafe`).
struct MapErr<S>(Pin<Box<S>>);

impl<S, E> Stream for MapErr<S>
where
    S: Stream<Item = std::result::Result<Vec<u8>, E>>,
    E: fmt::Display,
{
    type Item = Chunk;

    fn poll_next(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Chunk>> {
        self.get_mut().0.as_mut().poll_next(cx).map(|item| item.map(|chunk| chunk.map_err(|e| e.to_string())))
    }
}

/// How far an upload got: bytes handed to the network so far, and the total when known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Bytes pulled from the source so far.
    pub loaded: u64,
    /// The size, when known.
    pub total: Option<u64>,
}

/// Called as an upload's bytes are pulled (monotone; the last call has `loaded == total`).
pub type OnProgress = Rc<dyn Fn(Progress)>;

/// An upload's body as the transport sees it.
#[derive(Clone)]
pub struct UploadBody {
    /// The bytes.
    pub source: UploadSource,
    /// The size, when known (sent as `content-length` when the body travels as a stream).
    pub size: Option<u64>,
    /// Progress observer.
    pub on_progress: Option<OnProgress>,
}

impl fmt::Debug for UploadBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadBody").field("source", &self.source).field("size", &self.size).finish()
    }
}

impl PartialEq for UploadBody {
    fn eq(&self, other: &Self) -> bool {
        self.size == other.size
            && match (&self.source, &other.source) {
                (UploadSource::Bytes(a), UploadSource::Bytes(b)) => a == b,
                (UploadSource::Stream(a), UploadSource::Stream(b)) => Rc::ptr_eq(&a.0, &b.0),
                (UploadSource::Host(a), UploadSource::Host(b)) => a == b,
                _ => false,
            }
    }
}

/// `uploadFile`'s metadata.
#[derive(Clone, Default)]
pub struct UploadOptions {
    /// Sent as `content-type` (the server defaults to `application/octet-stream`).
    pub content_type: Option<String>,
    /// Sent as `content-disposition` (the server defaults to `inline`).
    pub content_disposition: Option<String>,
    /// The size of a stream, when the caller knows it (else the body is sent chunked).
    pub file_size: Option<u64>,
    /// Progress observer.
    pub on_progress: Option<OnProgress>,
}

impl fmt::Debug for UploadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadOptions")
            .field("content_type", &self.content_type)
            .field("content_disposition", &self.content_disposition)
            .field("file_size", &self.file_size)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

/// Checks a storage path before anything is sent: not blank, no `..` segment, no control
/// characters, and only characters a `path` header can carry (Latin-1).
///
/// ```
/// use instant_edge::storage::check_path;
/// assert!(check_path("photos/demo.png").is_ok());
/// for bad in ["", "  ", "a/../b", "..", "a\nb", "фото.png"] {
///     assert!(check_path(bad).is_err(), "{bad}");
/// }
/// ```
pub fn check_path(path: &str) -> Result<()> {
    if path.trim().is_empty() {
        return Err(Error::invalid("path", "must not be empty"));
    }
    if path.split(['/', '\\']).any(|segment| segment == "..") {
        return Err(Error::invalid("path", "must not contain a `..` segment"));
    }
    if path.chars().any(|c| c.is_control()) {
        return Err(Error::invalid("path", "must not contain control characters"));
    }
    if path.chars().any(|c| u32::from(c) > 0xFF) {
        return Err(Error::invalid("path", "travels in the `path` header, which carries Latin-1 characters only"));
    }
    Ok(())
}

/// A header value as given, or an invalid-argument error naming `what`.
fn header_value(value: &str, what: &'static str) -> Result<String> {
    if value.chars().any(|c| c.is_control() || u32::from(c) > 0xFF) {
        return Err(Error::invalid(what, "must be a printable Latin-1 header value"));
    }
    Ok(value.to_owned())
}

/// `PUT /admin/storage/upload` with the official client's headers: its authorised headers
/// (impersonation included) and `path`, then `content-disposition`, `content-type` (no JSON
/// content type), `content-length` for a stream of known size, then the version headers.
pub fn upload_request(
    config: &Config,
    who: Option<&Impersonation>,
    path: &str,
    source: UploadSource,
    options: &UploadOptions,
) -> Result<HttpRequest> {
    check_path(path)?;
    let mut headers = headers(config, who)?;
    // The version headers go last, as `jsonFetch` adds them after the call's own.
    let versions: Vec<_> = headers.iter().filter(|(name, _)| name.starts_with("Instant-")).cloned().collect();
    headers.retain(|(name, _)| *name != "content-type" && !name.starts_with("Instant-"));
    headers.push(("path", path.to_owned()));
    if let Some(disposition) = options.content_disposition.as_deref().filter(|d| !d.is_empty()) {
        headers.push(("content-disposition", header_value(disposition, "contentDisposition")?));
    }
    if let Some(content_type) = options.content_type.as_deref().filter(|t| !t.is_empty()) {
        headers.push(("content-type", header_value(content_type, "contentType")?));
    }
    let size = source.size().or(options.file_size);
    if let (Some(known), Some(given)) = (source.size(), options.file_size) {
        if known != given {
            return Err(Error::invalid("fileSize", "differs from the size of the data"));
        }
    }
    if let (None, Some(size)) = (source.size(), size) {
        // A stream of known size: `content-length`, as the official client sends `fileSize`.
        headers.push(("content-length", size.to_string()));
    }
    headers.extend(versions);
    Ok(HttpRequest {
        method: "PUT",
        url: admin_url(config, "storage/upload"),
        headers,
        body: None,
        idempotent: false,
        secret: None,
        upload: Some(UploadBody { source, size, on_progress: options.on_progress.clone() }),
    })
}

/// `DELETE /admin/storage/files?app_id=…&filename=<encodeURIComponent(path)>`.
pub fn delete_request(config: &Config, who: Option<&Impersonation>, path: &str) -> Result<HttpRequest> {
    check_path(path)?;
    let mut url = admin_url(config, "storage/files");
    url.push_str("&filename=");
    crate::rooms::encode_uri_component(path, &mut url);
    Ok(HttpRequest { method: "DELETE", url, headers: headers(config, who)?, body: None, idempotent: true, secret: None, upload: None })
}

/// `POST /admin/storage/files/delete` with `{"filenames": [...]}`.
pub fn delete_many_request(config: &Config, who: Option<&Impersonation>, paths: &[String]) -> Result<HttpRequest> {
    for path in paths {
        check_path(path)?;
    }
    let body = Value::object([("filenames", Value::Array(paths.iter().map(|p| Value::from(p.as_str())).collect()))]);
    Ok(HttpRequest {
        method: "POST",
        url: admin_url(config, "storage/files/delete"),
        headers: headers(config, who)?,
        body: Some(transport::stringify(&body)),
        idempotent: true,
        secret: None,
        upload: None,
    })
}

/// `{"$files": {}}`: every file the caller may see.
pub fn list_query() -> Value {
    Value::object([("$files", Value::empty_object())])
}

/// `{"$files": {"$": {"where": {"path": <path>}}}}`: one file and its URL.
pub fn file_query(path: &str) -> Result<Value> {
    check_path(path)?;
    let options = Value::object([("where", Value::object([("path", Value::from(path))]))]);
    Ok(Value::object([("$files", Value::object([("$", options)]))]))
}

/// A stored file as `$files` holds it (spec §8.2).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct StoredFile {
    /// The `$files` entity id.
    pub id: String,
    /// The path it was uploaded to.
    pub path: String,
    /// Bytes.
    #[serde(default)]
    pub size: Option<f64>,
    /// The stored content type.
    #[serde(rename = "content-type", default)]
    pub content_type: Option<String>,
    /// The stored content disposition.
    #[serde(rename = "content-disposition", default)]
    pub content_disposition: Option<String>,
    /// Where to download it (a signed URL; opaque).
    #[serde(default)]
    pub url: Option<String>,
    /// The object's id in storage.
    #[serde(rename = "location-id", default)]
    pub location_id: Option<String>,
}

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

/// `<app-id>/<abs(Java hashCode of location-id) mod 10>/<location-id>` (spec §8.1).
pub fn object_key(app_id: &str, location_id: &str) -> String {
    // Java's `String.hashCode`, then Clojure's `(mod (Math/abs h) 10)` (`abs` of i32::MIN stays negative).
    let hash = location_id.encode_utf16().fold(0i32, |h, unit| h.wrapping_mul(31).wrapping_add(i32::from(unit)));
    let bin = hash.wrapping_abs().rem_euclid(10);
    let mut key = String::from(app_id);
    key.push('/');
    key.push(char::from(b'0' + bin as u8));
    key.push('/');
    key.push_str(location_id);
    key
}

/// The answer of the upload route: `{"data": {"id", "location-id", "size"}}`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Uploaded {
    /// The `$files` entity id.
    pub id: String,
    /// The object's id in storage.
    #[serde(rename = "location-id", default)]
    pub location_id: Option<String>,
    /// Bytes stored.
    #[serde(default)]
    pub size: Option<f64>,
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

#[derive(Deserialize)]
struct Files {
    #[serde(rename = "$files", default)]
    files: Vec<StoredFile>,
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
        transport::decode(json)
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
        let request = self.db.query_request(&list_query(), &CallOptions::default())?;
        Ok(self.send::<Files>(request).await?.files)
    }

    /// The download URL of the file at `path`, or `None` (a `$files` query).
    pub async fn download_url(&self, path: &str) -> Result<Option<String>> {
        let request = self.db.query_request(&file_query(path)?, &CallOptions::default())?;
        Ok(self.send::<Files>(request).await?.files.into_iter().next().and_then(|file| file.url))
    }
}
