//! The sync cursor decoder: anything a phone (or an attacker) sends is refused or decodes to a
//! position that encodes back to the same cursor; a cursor issued for a position decodes to it.
#![no_main]
use fangpin::api::v1::sync::{decode, encode};
use fangpin::config::CipherKind;
use fangpin::crypto::Crypto;
use fangpin::db::repo::sync::Position;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let crypto = Crypto::new(&[7u8; 32], CipherKind::Aes256Gcm);
    let text = String::from_utf8_lossy(data);
    if let Ok(p) = decode(&crypto, &text) {
        assert_eq!(decode(&crypto, &encode(&crypto, &p)).unwrap(), p);
    }
    if data.len() >= 8 {
        let seq = i64::from_le_bytes(data[..8].try_into().unwrap());
        let p = Position { seq, id: String::from_utf8_lossy(&data[8..]).into_owned() };
        assert_eq!(decode(&crypto, &encode(&crypto, &p)).unwrap(), p);
    }
});
