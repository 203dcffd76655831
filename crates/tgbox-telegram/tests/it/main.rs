//! Integration tests of the Telegram backend against the loopback MTProto test server.

mod backups;
mod conformance;
mod faults;
mod live;
mod login;
mod roundtrip;
mod smoke;
