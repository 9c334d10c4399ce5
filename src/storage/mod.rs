//! Object storage for photos, behind the `object_store` crate: a local folder (the embedded
//! default), any S3-compatible service (SeaweedFS, MinIO, Ceph RGW, OSS/COS/OBS in S3 mode,
//! AWS), or memory (tests). Object keys are built here and nowhere else.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};

/// What the object store can fail with; `api` maps it to problem+json (`error.rs`).
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No object under the key.
    #[error("no such object")]
    NotFound,
    /// The store cannot be reached or refused the request: retry shortly (the cause is logged).
    #[error("{0}")]
    Unavailable(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    Local,
    S3,
    Memory,
}

/// S3 settings (`FANGPIN_S3_*`). `Debug` leaves the secret key out.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct S3Settings {
    pub endpoint: Option<String>,
    pub bucket: String,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Path-style URLs (`endpoint/bucket/key`): SeaweedFS, MinIO and most self-hosted stores.
    pub path_style: bool,
    /// A folder inside the bucket, so several deployments (or test runs) can share one bucket.
    pub prefix: Option<String>,
    /// Requests signed without the body's SHA-256 (`UNSIGNED-PAYLOAD`): no second pass over
    /// each photo for the signature.
    pub unsigned_payload: bool,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key.as_ref().map(|_| "[redacted]"))
            .field("path_style", &self.path_style)
            .field("prefix", &self.prefix)
            .field("unsigned_payload", &self.unsigned_payload)
            .finish()
    }
}

/// Where a photo's objects live.
pub mod keys {
    pub fn original(household_id: &str, photo_id: &str) -> String {
        format!("photos/{household_id}/{photo_id}/original.jpg")
    }

    pub fn thumbnail(household_id: &str, photo_id: &str) -> String {
        format!("photos/{household_id}/{photo_id}/thumb.jpg")
    }

    /// A document of a household's file.
    pub fn document(household_id: &str, document_id: &str) -> String {
        format!("documents/{household_id}/{document_id}")
    }

    /// The document id of an object key under `documents/`, if it is one of ours.
    pub fn document_id(key: &str) -> Option<&str> {
        let mut parts = key.split('/');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("documents"), Some(_), Some(id), None) => Some(id),
            _ => None,
        }
    }

    /// The preview the camera embedded (EXIF IFD1), upright; only for photos that had one.
    pub fn preview(household_id: &str, photo_id: &str) -> String {
        format!("photos/{household_id}/{photo_id}/preview.jpg")
    }

    /// The photo id of an object key under `photos/`, if it is one of ours.
    pub fn photo_id(key: &str) -> Option<&str> {
        let mut parts = key.split('/');
        match (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("photos"), Some(_), Some(id), Some("original.jpg" | "thumb.jpg" | "preview.jpg"), None) => Some(id),
            _ => None,
        }
    }
}

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    kind: StorageKind,
    signer: Option<Arc<object_store::aws::AmazonS3>>,
    prefix: Option<String>,
    /// The folder of the local store.
    root: Option<std::path::PathBuf>,
}

fn unavailable(e: impl std::fmt::Display) -> StorageError {
    StorageError::Unavailable(format!("object store: {e}"))
}

impl Storage {
    /// A folder (0700, objects 0600: see `private_fs`).
    pub fn local(root: &std::path::Path) -> anyhow::Result<Self> {
        crate::private_fs::create_dir(root)?;
        let root = root.canonicalize()?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(&root)?;
        Ok(Self { store: Arc::new(fs), kind: StorageKind::Local, signer: None, prefix: None, root: Some(root) })
    }

    pub fn memory() -> Self {
        Self { store: Arc::new(object_store::memory::InMemory::new()), kind: StorageKind::Memory, signer: None, prefix: None, root: None }
    }

    pub fn s3(s: &S3Settings) -> anyhow::Result<Self> {
        let mut b = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&s.bucket)
            .with_region(if s.region.is_empty() { "us-east-1" } else { &s.region })
            .with_virtual_hosted_style_request(!s.path_style)
            .with_unsigned_payload(s.unsigned_payload)
            .with_client_options(
                object_store::ClientOptions::new()
                    .with_timeout(Duration::from_secs(30))
                    .with_connect_timeout(Duration::from_secs(3)),
            )
            // A store that is down answers 503 within seconds instead of being retried for
            // object_store's default 3 minutes while the phone waits.
            .with_retry(object_store::RetryConfig {
                backoff: object_store::BackoffConfig::default(),
                max_retries: 2,
                retry_timeout: Duration::from_secs(8),
            });
        if let Some(endpoint) = &s.endpoint {
            b = b.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
        }
        if let (Some(k), Some(secret)) = (&s.access_key_id, &s.secret_access_key) {
            b = b.with_access_key_id(k).with_secret_access_key(secret);
        } else {
            b = b.with_skip_signature(true);
        }
        let s3 = Arc::new(b.build()?);
        let prefix = s.prefix.as_deref().map(|p| p.trim_matches('/').to_owned()).filter(|p| !p.is_empty());
        let store: Arc<dyn ObjectStore> = match &prefix {
            Some(p) => Arc::new(object_store::prefix::PrefixStore::new(s3.clone(), p.as_str())),
            None => s3.clone(),
        };
        Ok(Self { store, kind: StorageKind::S3, signer: Some(s3), prefix, root: None })
    }

    pub fn kind(&self) -> StorageKind {
        self.kind
    }

    /// Fails clearly when the bucket is missing or the service unreachable.
    pub async fn check(&self) -> anyhow::Result<()> {
        let mut listing = self.store.list(Some(&ObjectPath::from("photos")));
        match listing.next().await {
            None | Some(Ok(_)) => Ok(()),
            Some(Err(e)) => Err(anyhow::anyhow!("the object store is not usable: {e}")),
        }
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), StorageError> {
        self.store.put(&ObjectPath::from(key), PutPayload::from_bytes(bytes)).await.map(|_| ()).map_err(unavailable)?;
        if let Some(root) = &self.root {
            crate::private_fs::tighten_object(root, &root.join(key)).map_err(unavailable)?;
        }
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Bytes, StorageError> {
        let res = self.store.get(&ObjectPath::from(key)).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => StorageError::NotFound,
            other => unavailable(other),
        })?;
        res.bytes().await.map_err(unavailable)
    }

    /// The object as a stream of chunks (large originals are not held in memory).
    pub async fn stream(&self, key: &str) -> Result<impl futures_util::Stream<Item = Result<Bytes, StorageError>> + use<>, StorageError> {
        let res = self.store.get(&ObjectPath::from(key)).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => StorageError::NotFound,
            other => unavailable(other),
        })?;
        Ok(res.into_stream().map(|r| r.map_err(unavailable)))
    }

    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self.store.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Every key under `prefix` with its last-modified time.
    pub async fn list(&self, prefix: &str) -> Result<Vec<(String, chrono::DateTime<chrono::Utc>)>, StorageError> {
        let mut out = Vec::new();
        let mut listing = self.store.list(Some(&ObjectPath::from(prefix)));
        while let Some(item) = listing.next().await {
            let meta = item.map_err(unavailable)?;
            out.push((meta.location.to_string(), meta.last_modified));
        }
        Ok(out)
    }

    /// A short-lived presigned GET URL (S3 only).
    pub async fn signed_url(&self, key: &str, ttl: Duration) -> Option<String> {
        use object_store::signer::Signer;
        let s3 = self.signer.as_ref()?;
        let full = match &self.prefix {
            Some(p) => format!("{p}/{key}"),
            None => key.to_owned(),
        };
        s3.signed_url(http::Method::GET, &ObjectPath::from(full), ttl).await.ok().map(|u| u.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::keys;

    #[test]
    fn s3_settings_show_no_secret_key() {
        let s = super::S3Settings { access_key_id: Some("AKIDEXAMPLE".into()), secret_access_key: Some("wJalrXUtnFEMI".into()), ..Default::default() };
        let shown = format!("{s:?}");
        assert!(shown.contains("AKIDEXAMPLE") && !shown.contains("wJalrXUtnFEMI"), "{shown}");
    }

    #[test]
    fn keys_name_the_photo() {
        let k = keys::original("h1", "p1");
        assert_eq!(k, "photos/h1/p1/original.jpg");
        assert_eq!(keys::photo_id(&k), Some("p1"));
        assert_eq!(keys::photo_id(&keys::thumbnail("h1", "p1")), Some("p1"));
        assert_eq!(keys::photo_id("photos/h1/p1/other.bin"), None);
        assert_eq!(keys::photo_id("backup/x"), None);
    }
}
