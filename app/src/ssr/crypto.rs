//! Secrets at rest (TOTP seeds, later payment and webhook keys): AES-256-GCM.
//!
//! Every ciphertext reads `v1:<key id>:<nonce>:<ciphertext>` (base64url), so
//! keys can be rotated: the first key of the key file encrypts, all of them
//! decrypt. The caller passes associated data naming the row (`totp:<id>`),
//! so a ciphertext copied into another row does not decrypt. Keys live in a
//! file outside the database, created on first start.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use std::fmt;
use std::path::Path;

const VERSION: &str = "v1";

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("key file {0}: {1}")]
    KeyFile(String, String),
    #[error("a stored secret could not be decrypted")]
    Decrypt,
    #[error("a secret could not be encrypted")]
    Encrypt,
}

struct Key {
    id: String,
    cipher: Aes256Gcm,
}

/// The application's encryption keys. Printing it shows only the key ids.
///
/// A ciphertext under a key this process does not know makes it read the
/// key file again (once per call): after `ledgerlock keys rotate` on
/// another instance, the new key is picked up without a restart.
pub struct SecretBox {
    keys: std::sync::RwLock<Vec<Key>>,
    path: Option<std::path::PathBuf>,
    /// The key file's identity when last read (see [`FileStamp`]): sealing
    /// reads the file again when it changed, so new secrets use a rotated
    /// key at once.
    read_at: std::sync::Mutex<Option<FileStamp>>,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<String> = self.keys().iter().map(|key| key.id.clone()).collect();
        write!(f, "SecretBox(keys: {ids:?})")
    }
}

impl SecretBox {
    /// Loads the key file (`<id> <base64 32 bytes>` per line, the first one
    /// current), creating it with one fresh key, readable by its owner only,
    /// if it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, CryptoError> {
        let shown = path.display().to_string();
        if !path.exists() {
            let mut key = [0_u8; 32];
            OsRng.fill_bytes(&mut key);
            write_private(path, &format!("k1 {}\n", STANDARD.encode(key)))
                .map_err(|error| CryptoError::KeyFile(shown.clone(), error.to_string()))?;
        }
        let text = std::fs::read_to_string(path)
            .map_err(|error| CryptoError::KeyFile(shown.clone(), error.to_string()))?;
        let mut keys =
            Self::parse(&text).map_err(|message| CryptoError::KeyFile(shown, message))?;
        keys.path = Some(path.to_owned());
        keys.read_at = std::sync::Mutex::new(modified(path));
        Ok(keys)
    }

    /// Reads the key file again if it changed since it was read.
    fn reload_if_changed(&self) {
        let Some(path) = &self.path else {
            return;
        };
        let now = modified(path);
        let changed = self
            .read_at
            .lock()
            .map(|read_at| *read_at != now)
            .unwrap_or(false);
        if changed {
            self.reload_for("");
        }
    }

    fn keys(&self) -> std::sync::RwLockReadGuard<'_, Vec<Key>> {
        self.keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reads the key file again; answers whether it now has key `id`.
    fn reload_for(&self, id: &str) -> bool {
        let Some(path) = &self.path else {
            return false;
        };
        let Ok(fresh) = std::fs::read_to_string(path)
            .map_err(|_| ())
            .and_then(|text| Self::parse(&text).map_err(|_| ()))
        else {
            return false;
        };
        if let Ok(mut read_at) = self.read_at.lock() {
            *read_at = modified(path);
        }
        let fresh = fresh
            .keys
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let found = fresh.iter().any(|key| key.id == id);
        *self
            .keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        found
    }

    fn parse(text: &str) -> Result<Self, String> {
        let keys = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(|line| {
                let (id, encoded) = line
                    .split_once(' ')
                    .ok_or("each line is `<id> <base64 key>`")?;
                if id.contains(':') {
                    return Err("key ids cannot contain ':'".to_owned());
                }
                let bytes = STANDARD
                    .decode(encoded.trim())
                    .map_err(|_| format!("key {id} is not base64"))?;
                let cipher = Aes256Gcm::new_from_slice(&bytes)
                    .map_err(|_| format!("key {id} must be 32 bytes"))?;
                Ok(Key {
                    id: id.to_owned(),
                    cipher,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        if keys.is_empty() {
            return Err("no key in the file".into());
        }
        Ok(Self {
            keys: std::sync::RwLock::new(keys),
            path: None,
            read_at: std::sync::Mutex::new(None),
        })
    }

    /// The id of the key that encrypts (the file's first).
    pub fn current_key_id(&self) -> String {
        self.keys()
            .first()
            .map_or_else(String::new, |key| key.id.clone())
    }

    /// The key id a sealed secret names, if it is one of ours in form.
    pub fn key_id_of(sealed: &str) -> Option<&str> {
        let mut parts = sealed.split(':');
        match (parts.next(), parts.next()) {
            (Some(VERSION), Some(id)) => Some(id),
            _ => None,
        }
    }

    /// Puts a fresh key first in the key file at `path` (its id one above
    /// the highest `k<n>`), keeping the others so older ciphertexts still
    /// decrypt, and answers the new id. The file is replaced atomically
    /// (a new file, private to its owner, renamed over the old).
    ///
    /// # Errors
    /// The file cannot be read, parsed or written.
    pub fn add_key(path: &Path) -> Result<String, CryptoError> {
        let shown = path.display().to_string();
        let fail = |message: String| CryptoError::KeyFile(shown.clone(), message);
        let text = std::fs::read_to_string(path).map_err(|error| fail(error.to_string()))?;
        let current = Self::parse(&text).map_err(&fail)?;
        let next = current
            .keys()
            .iter()
            .filter_map(|key| key.id.strip_prefix('k')?.parse::<u32>().ok())
            .max()
            .unwrap_or(0)
            + 1;
        let id = format!("k{next}");
        let mut key = [0_u8; 32];
        OsRng.fill_bytes(&mut key);
        let staged = path.with_extension("new");
        let _ = std::fs::remove_file(&staged);
        write_private(&staged, &format!("{id} {}\n{text}", STANDARD.encode(key)))
            .map_err(|error| fail(error.to_string()))?;
        std::fs::rename(&staged, path).map_err(|error| fail(error.to_string()))?;
        Ok(id)
    }

    pub fn seal(&self, plaintext: &[u8], associated_data: &str) -> Result<String, CryptoError> {
        self.reload_if_changed();
        let keys = self.keys();
        let key = keys.first().ok_or(CryptoError::Encrypt)?;
        let mut nonce = [0_u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let ciphertext = key
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: associated_data.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Encrypt)?;
        Ok(format!(
            "{VERSION}:{}:{}:{}",
            key.id,
            URL_SAFE_NO_PAD.encode(nonce),
            URL_SAFE_NO_PAD.encode(ciphertext)
        ))
    }

    pub fn open(&self, sealed: &str, associated_data: &str) -> Result<Vec<u8>, CryptoError> {
        let mut parts = sealed.split(':');
        let (Some(VERSION), Some(id), Some(nonce), Some(ciphertext), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(CryptoError::Decrypt);
        };
        if !self.keys().iter().any(|key| key.id == id) && !self.reload_for(id) {
            return Err(CryptoError::Decrypt);
        }
        let keys = self.keys();
        let key = keys
            .iter()
            .find(|key| key.id == id)
            .ok_or(CryptoError::Decrypt)?;
        let nonce: [u8; 12] = URL_SAFE_NO_PAD
            .decode(nonce)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(CryptoError::Decrypt)?;
        let ciphertext = URL_SAFE_NO_PAD
            .decode(ciphertext)
            .map_err(|_| CryptoError::Decrypt)?;
        key.cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &ciphertext,
                    aad: associated_data.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Decrypt)
    }
}

/// What tells a changed key file: its modification time, length and (on
/// Unix) inode; `keys rotate` renames a new file over the old, so the inode
/// changes even when the clock's granularity hides the new time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    modified: Option<std::time::SystemTime>,
    len: u64,
    inode: u64,
}

fn modified(path: &Path) -> Option<FileStamp> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some(FileStamp {
        modified: meta.modified().ok(),
        len: meta.len(),
        inode,
    })
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_keys() -> SecretBox {
        SecretBox::parse(&format!(
            "k2 {}\nk1 {}\n",
            STANDARD.encode([2_u8; 32]),
            STANDARD.encode([1_u8; 32])
        ))
        .unwrap()
    }

    #[test]
    fn sealed_secrets_open_with_the_same_associated_data_only() {
        let keys = two_keys();
        let sealed = keys.seal(b"JBSWY3DPEHPK3PXP", "totp:row-1").unwrap();
        assert!(sealed.starts_with("v1:k2:"), "the current key encrypts");
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(
            keys.open(&sealed, "totp:row-1").unwrap(),
            b"JBSWY3DPEHPK3PXP"
        );
        assert!(
            keys.open(&sealed, "totp:row-2").is_err(),
            "bound to its row"
        );
        assert_ne!(
            sealed,
            keys.seal(b"JBSWY3DPEHPK3PXP", "totp:row-1").unwrap(),
            "fresh nonce"
        );
    }

    #[test]
    fn older_keys_still_decrypt_after_rotation() {
        let old = SecretBox::parse(&format!("k1 {}\n", STANDARD.encode([1_u8; 32]))).unwrap();
        let sealed = old.seal(b"secret", "aad").unwrap();
        assert_eq!(two_keys().open(&sealed, "aad").unwrap(), b"secret");
    }

    #[test]
    fn tampering_and_unknown_keys_are_refused() {
        let keys = two_keys();
        let sealed = keys.seal(b"secret", "aad").unwrap();
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(
            keys.open(&String::from_utf8(tampered).unwrap(), "aad")
                .is_err()
        );
        assert!(keys.open(&sealed.replacen("k2", "k9", 1), "aad").is_err());
        assert!(keys.open("v0:k2:AAAA:AAAA", "aad").is_err());
        assert!(
            !format!("{keys:?}").contains("AQEB"),
            "Debug shows ids only"
        );
    }

    #[test]
    fn an_added_key_encrypts_and_the_old_ones_still_decrypt() {
        let dir = tempfile_dir();
        let path = dir.join("secret.key");
        let first = SecretBox::load_or_create(&path).unwrap();
        let sealed = first.seal(b"x", "a").unwrap();
        assert_eq!(SecretBox::key_id_of(&sealed), Some("k1"));
        assert_eq!(SecretBox::add_key(&path).unwrap(), "k2");
        // A running process seals with the new key at once.
        assert!(first.seal(b"y", "a").unwrap().starts_with("v1:k2:"));
        let after = SecretBox::load_or_create(&path).unwrap();
        assert_eq!(after.current_key_id(), "k2");
        assert_eq!(after.open(&sealed, "a").unwrap(), b"x");
        assert!(after.seal(b"x", "a").unwrap().starts_with("v1:k2:"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_key_file_is_created_once_and_private() {
        let dir = tempfile_dir();
        let path = dir.join("secret.key");
        let first = SecretBox::load_or_create(&path).unwrap();
        let sealed = first.seal(b"x", "a").unwrap();
        let again = SecretBox::load_or_create(&path).unwrap();
        assert_eq!(again.open(&sealed, "a").unwrap(), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ledgerlock-crypto-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn malformed_key_files_say_why() {
        assert!(SecretBox::parse("").is_err());
        assert!(SecretBox::parse("k1 not-base64!").is_err());
        assert!(SecretBox::parse(&format!("k1 {}", STANDARD.encode([0_u8; 16]))).is_err());
    }
}
