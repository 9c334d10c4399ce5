//! Personal data at rest: ID and phone numbers are sealed with an authenticated cipher
//! (AES-256-GCM or SM4-GCM) and indexed by a keyed hash (HMAC-SHA256) for uniqueness and lookup.
//! A database dump alone reveals neither.

use aes_gcm::aead::{Aead, KeyInit, OsRng, generic_array::GenericArray};
use aes_gcm::{AeadCore, Aes256Gcm, AesGcm};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::CipherKind;

type Sm4Gcm = AesGcm<sm4::Sm4, aes_gcm::aead::consts::U12>;

/// Keys derived from the one configured data key.
#[derive(Clone)]
pub struct Crypto {
    kind: CipherKind,
    aes: Aes256Gcm,
    sm4: Sm4Gcm,
    mac_key: [u8; 32],
}

impl std::fmt::Debug for Crypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Crypto({:?})", self.kind)
    }
}

fn derive(master: &[u8; 32], info: &[u8]) -> [u8; 32] {
    let hk = hkdf::Hkdf::<Sha256>::new(Some(b"fangpin"), master);
    let mut out = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's output limit.
    hk.expand(info, &mut out).unwrap_or_default();
    out
}

impl Crypto {
    pub fn new(master: &[u8; 32], kind: CipherKind) -> Self {
        let enc = derive(master, b"encryption");
        Self {
            kind,
            aes: Aes256Gcm::new(GenericArray::from_slice(&enc)),
            sm4: Sm4Gcm::new(GenericArray::from_slice(&enc[..16])),
            mac_key: derive(master, b"lookup-hmac"),
        }
    }

    /// Parses a base64 key of exactly 32 bytes.
    pub fn parse_key(b64: &str) -> anyhow::Result<[u8; 32]> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|e| anyhow::anyhow!("data key is not base64: {e}"))?;
        bytes.try_into().map_err(|_| anyhow::anyhow!("data key must be 32 bytes"))
    }

    /// `a1:<nonce+ciphertext>` (AES) or `s1:…` (SM4); the tag says how to open it.
    pub fn seal(&self, plaintext: &str) -> String {
        let (tag, sealed) = match self.kind {
            CipherKind::Aes256Gcm => {
                let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
                ("a1", self.aes.encrypt(&nonce, plaintext.as_bytes()).map(|ct| [nonce.as_slice(), &ct].concat()))
            }
            CipherKind::Sm4Gcm => {
                let nonce = Sm4Gcm::generate_nonce(&mut OsRng);
                ("s1", self.sm4.encrypt(&nonce, plaintext.as_bytes()).map(|ct| [nonce.as_slice(), &ct].concat()))
            }
        };
        // Encryption with a valid key and a fresh nonce cannot fail for inputs this small.
        format!("{tag}:{}", B64.encode(sealed.unwrap_or_default()))
    }

    pub fn open(&self, sealed: &str) -> anyhow::Result<String> {
        let (tag, body) = sealed.split_once(':').ok_or_else(|| anyhow::anyhow!("not a sealed value"))?;
        let bytes = B64.decode(body)?;
        if bytes.len() < 12 {
            anyhow::bail!("sealed value too short");
        }
        let (nonce, ct) = bytes.split_at(12);
        let nonce = GenericArray::from_slice(nonce);
        let plain = match tag {
            "a1" => self.aes.decrypt(nonce, ct),
            "s1" => self.sm4.decrypt(nonce, ct),
            other => anyhow::bail!("unknown cipher tag {other}"),
        }
        .map_err(|_| anyhow::anyhow!("sealed value failed authentication (wrong data key?)"))?;
        Ok(String::from_utf8(plain)?)
    }

    /// Seals bytes (a stored answer): the tag of [`Crypto::seal`], `:`, then nonce and ciphertext
    /// as raw bytes.
    pub fn seal_bytes(&self, plaintext: &[u8]) -> Vec<u8> {
        let (tag, sealed) = match self.kind {
            CipherKind::Aes256Gcm => {
                let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
                (b"a1:", self.aes.encrypt(&nonce, plaintext).map(|ct| [nonce.as_slice(), &ct].concat()))
            }
            CipherKind::Sm4Gcm => {
                let nonce = Sm4Gcm::generate_nonce(&mut OsRng);
                (b"s1:", self.sm4.encrypt(&nonce, plaintext).map(|ct| [nonce.as_slice(), &ct].concat()))
            }
        };
        // Encryption only fails for inputs of gigabytes; an empty result then opens to an error.
        [tag.as_slice(), &sealed.unwrap_or_default()].concat()
    }

    /// Opens what [`Crypto::seal_bytes`] sealed; an error for anything else (unsealed or tampered).
    pub fn open_bytes(&self, sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
        if sealed.len() < 3 + 12 || sealed[2] != b':' {
            anyhow::bail!("not a sealed value");
        }
        let (nonce, ct) = sealed[3..].split_at(12);
        let nonce = GenericArray::from_slice(nonce);
        match &sealed[..2] {
            b"a1" => self.aes.decrypt(nonce, ct),
            b"s1" => self.sm4.decrypt(nonce, ct),
            _ => anyhow::bail!("unknown cipher tag"),
        }
        .map_err(|_| anyhow::anyhow!("sealed value failed authentication (wrong data key?)"))
    }

    /// Keyed hash for exact lookup and uniqueness (`kind` separates ID numbers from phones).
    pub fn lookup_hash(&self, kind: &str, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key).unwrap_or_else(|_| unreachable!());
        mac.update(kind.as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// 32 random bytes as base64 (new keys and secrets).
pub fn random_key_b64() -> String {
    use rand::RngCore;
    let mut k = [0u8; 32];
    rand::rng().fill_bytes(&mut k);
    base64::engine::general_purpose::STANDARD.encode(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ciphers_round_trip_and_detect_tampering() {
        for kind in [CipherKind::Aes256Gcm, CipherKind::Sm4Gcm] {
            let c = Crypto::new(&[7u8; 32], kind);
            let sealed = c.seal("61083119680305123X");
            assert!(!sealed.contains("6108311968"));
            assert_eq!(c.open(&sealed).unwrap(), "61083119680305123X");
            let mut tampered = sealed.clone().into_bytes();
            let last = tampered.len() - 2;
            tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
            assert!(c.open(std::str::from_utf8(&tampered).unwrap()).is_err());
        }
    }

    #[test]
    fn bytes_are_sealed_with_either_cipher_and_tampering_is_detected() {
        let body = br#"{"id_number":"61083119680305123X","phone":"13812345678"}"#;
        for kind in [CipherKind::Aes256Gcm, CipherKind::Sm4Gcm] {
            let c = Crypto::new(&[7u8; 32], kind);
            let sealed = c.seal_bytes(body);
            assert!(!sealed.windows(10).any(|w| w == b"6108311968" || w == b"1381234567"));
            assert_eq!(c.open_bytes(&sealed).unwrap(), body);
            let mut tampered = sealed.clone();
            let last = tampered.len() - 1;
            tampered[last] ^= 1;
            assert!(c.open_bytes(&tampered).is_err());
            assert!(Crypto::new(&[8u8; 32], kind).open_bytes(&sealed).is_err(), "another key");
            assert!(c.open_bytes(body).is_err(), "an unsealed body does not open");
        }
        assert!(Crypto::new(&[7u8; 32], CipherKind::Aes256Gcm).open_bytes(b"").is_err());
    }

    #[test]
    fn values_sealed_with_either_cipher_open_after_a_switch() {
        let aes = Crypto::new(&[1u8; 32], CipherKind::Aes256Gcm);
        let sm4 = Crypto::new(&[1u8; 32], CipherKind::Sm4Gcm);
        assert_eq!(sm4.open(&aes.seal("x")).unwrap(), "x");
        assert_eq!(aes.open(&sm4.seal("y")).unwrap(), "y");
    }

    #[test]
    fn lookup_hash_is_keyed() {
        let a = Crypto::new(&[1u8; 32], CipherKind::Aes256Gcm);
        let b = Crypto::new(&[2u8; 32], CipherKind::Aes256Gcm);
        assert_eq!(a.lookup_hash("id", "1"), a.lookup_hash("id", "1"));
        assert_ne!(a.lookup_hash("id", "1"), b.lookup_hash("id", "1"));
        assert_ne!(a.lookup_hash("id", "1"), a.lookup_hash("phone", "1"));
    }
}
