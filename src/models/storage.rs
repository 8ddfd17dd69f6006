use crate::prelude::*;
use serde::Deserialize;

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
