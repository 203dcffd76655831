//! Telethon StringSessions: every `session_strings` vector of shared/vectors/tgbackx_vectors.json
//! parses to its fields and encodes back to the same text; malformed ones are refused.

use crate::common::shared_dir;
use tgbox_core::session::StringSession;

#[test]
fn vectors_round_trip() {
    let text = std::fs::read_to_string(shared_dir().join("vectors/tgbackx_vectors.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = v["session_strings"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let s = case["string"].as_str().unwrap();
        let parsed = StringSession::parse(s).unwrap();
        assert_eq!(u64::from(parsed.dc_id), case["dc_id"].as_u64().unwrap());
        assert_eq!(parsed.ip.to_string(), case["ip"].as_str().unwrap());
        assert_eq!(u64::from(parsed.port), case["port"].as_u64().unwrap());
        assert_eq!(
            hex::encode(parsed.auth_key()),
            case["auth_key_hex"].as_str().unwrap()
        );
        assert_eq!(parsed.encode().as_str(), s);
        assert_eq!(s.len() as u64, case["string_len"].as_u64().unwrap());
        assert!(!format!("{parsed:?}").contains(&case["auth_key_hex"].as_str().unwrap()[..16]));
    }
}

#[test]
fn malformed_sessions_are_refused() {
    let good = StringSession::new(2, "1.2.3.4".parse().unwrap(), 443, [7; 256])
        .unwrap()
        .encode();
    assert!(StringSession::parse(&good).is_ok());
    let zero = format!("1{}", tgbox_core::b64::encode(&[0u8; 263]));
    for bad in [
        "",
        "1",
        "2AAAA",
        &good[1..],
        &good[..good.len() - 8],
        &format!("{}AAAA", good.as_str()),
        &zero,
        "1!!!!",
    ] {
        assert!(StringSession::parse(bad).is_err(), "{bad:.20}");
    }
    assert!(StringSession::new(2, "::1".parse().unwrap(), 443, [0; 256]).is_err());
}
